"""The playground window: its state, its events as pure functions, the loop, and --screenshot.

    state = new_state(run)              # run: playground_model.start(Config(...))
    state = handle_event(state, event)  # a click, a key, the mouse over the plane
    state = advance(state)              # while playing: `speed` training steps
    run_window(state)                   # the window until closed; sleeps while paused

The state is a plain dict; handle_event returns a new one (the Run inside is never changed,
only replaced). Drawing is playground_draw's, the network and its training playground_model's.
"""
import os

import numpy as np
import pygame

import fnn
from fnn import datasets
from fnn.io import files
from fnnapp.views import playground_draw as D
from fnnapp.views import playground_model as M
from fnnapp.views.inputs import AppError
from fnnapp.views.theme import make_fonts
from fnnapp.views.window import open_window, wait_events

FPS = 30                     # frames a second at most while training
IDLE_WAKE = 0.1              # s the paused loop sleeps at most between two looks for Ctrl-C
SNAP = 10                    # px: the mouse within this of a point picks that point
NO_DISPLAY = ("no display to open the playground on; python playground.py --steps N "
              "--screenshot PNG trains and draws without one")

# The choices each field steps through (a click: the next one, a right click: the one before).
CHOICES = {"lr": M.RATES, "batch": M.BATCHES, "activation": M.ACTIVATIONS_SHOWN, "reg": M.REGS,
           "reg_rate": M.REG_RATES, "optimizer": M.OPTIMIZERS, "noise": M.NOISES, "train": M.SPLITS}
KEYS = {pygame.K_SPACE: ("play",), pygame.K_n: ("step",), pygame.K_r: ("reset",),
        pygame.K_s: ("save",), pygame.K_e: ("explain",), pygame.K_t: ("test",),
        pygame.K_EQUALS: ("layer", 1), pygame.K_PLUS: ("layer", 1), pygame.K_KP_PLUS: ("layer", 1),
        pygame.K_MINUS: ("layer", -1), pygame.K_KP_MINUS: ("layer", -1),
        pygame.K_PERIOD: ("units", None, 1), pygame.K_COMMA: ("units", None, -1),
        pygame.K_a: ("field", "activation"), pygame.K_b: ("field", "batch"),
        pygame.K_g: ("field", "reg"), pygame.K_o: ("field", "optimizer"),
        pygame.K_RIGHTBRACKET: ("field", "reg_rate"), pygame.K_LEFTBRACKET: ("field", "reg_rate", -1),
        pygame.K_UP: ("field", "lr"), pygame.K_DOWN: ("field", "lr", -1),
        pygame.K_x: ("field", "noise"), pygame.K_z: ("field", "noise", -1),
        pygame.K_d: ("next_dataset",)}


def new_state(run, speed=10, save_to=os.path.join("models", "playground.npz")):
    """The window's state around a Run: paused, nothing selected."""
    return {"run": run, "playing": False, "speed": speed, "selected": None, "probe": None,
            "hover": None, "explain": False, "show_test": True, "message": "", "running": True,
            "save_to": save_to, "cache": {}}


def _step_value(choices, value, direction):
    """The next (direction 1) or previous (-1) of the choices after value (the nearest one
    when value is not among them)."""
    k = int(np.argmin([abs(c - value) if not isinstance(c, str) else c != value for c in choices]))
    return choices[(k + direction) % len(choices)]


def do(state, action, direction=1):
    """The state after one action (layout's and KEYS's tuples). Pure: a new dict."""
    s, run = dict(state, message=""), state["run"]
    cfg, a = run.cfg, action[0]
    try:
        if a == "play":
            s["playing"] = not s["playing"]
        elif a == "step":
            s["playing"], s["run"] = False, M.train(run, 1)
        elif a == "reset":
            s["run"] = M.fresh(run) if direction > 0 else M.edit(run, seed=cfg.seed + 1)
        elif a == "field" and action[1] == "seed":
            s["run"] = M.edit(run, seed=max(0, cfg.seed + direction))
        elif a == "field":
            d = direction * (action[2] if len(action) > 2 else 1)
            s["run"] = M.edit(run, **{action[1]: _step_value(CHOICES[action[1]], getattr(cfg, action[1]), d)})
        elif a == "dataset":
            s["run"] = M.edit(run, dataset=action[1])
        elif a == "next_dataset":
            names = list(datasets.DATASETS)
            s = do(s, ("dataset", names[(names.index(cfg.dataset) + direction) % len(names)]))
        elif a == "feature":
            f = action[1]
            feats = tuple(n for n in datasets.FEATURES if (n in cfg.features) != (n == f))
            if feats:
                s["run"] = M.edit(run, features=feats)
        elif a == "layer":
            if action[1] > 0 and len(cfg.hidden) < M.MAX_LAYERS:
                s["run"] = M.edit(run, hidden=cfg.hidden + (4,))
            elif action[1] < 0 and cfg.hidden:
                s["run"] = M.edit(run, hidden=cfg.hidden[:-1])
        elif a == "units":
            l = action[1] or (s["selected"][0] if s["selected"] and s["selected"][0] <= len(cfg.hidden)
                              else len(cfg.hidden))
            if 1 <= l <= len(cfg.hidden):
                n = min(max(cfg.hidden[l - 1] + action[2] * direction, 1), M.MAX_UNITS)
                s["run"] = M.edit(run, hidden=cfg.hidden[:l - 1] + (n,) + cfg.hidden[l:])
        elif a == "unit":
            s["selected"] = None if s["selected"] == action[1:] else action[1:]
        elif a == "explain":
            s["explain"] = not s["explain"]
            if s["explain"] and (s["probe"] is None or s["probe"][1] is None):
                s["probe"] = first_point(run)
        elif a == "test":
            s["show_test"] = not s["show_test"]
        elif a == "save":
            s["message"] = save(run, s["save_to"])
    except (ValueError, OSError) as e:
        s["message"] = str(e)
    return settle(s, run)


def first_point(run):
    """The probe on the first training point: (u, its label, "train")."""
    return run.data[0][:, 0], run.data[1][0], "train"


def settle(s, before):
    """After an action: a probe from other data dropped (the explanation keeps one), a selected
    unit that no longer exists unselected."""
    run = s["run"]
    if run.data is not before.data:
        s["probe"] = first_point(run) if s["explain"] else None
    for key in ("selected", "hover"):
        if s[key] is not None:
            l, i = s[key]
            if l > len(run.cfg.hidden) + 1 or i >= run.params[f"W{l}"].shape[0]:
                s[key] = None
    return s


def save(run, out):
    """S: the network as an fnn model file at out (a path, or an output fnn.io.files.check
    accepted); fnn.save writes it through fnn.io.files, which refuses to replace a file that
    is not a model file. -> the line to show."""
    try:
        meta = {"made_by": "playground.py", **run.cfg._asdict(), "step": run.step,
                **{k: float(v) for k, v in M.scores(run).items()}}
        path = fnn.save(out, run.params, run.layers, meta=meta)
    except (ValueError, OSError) as e:
        return f"not saved: {e}"
    return f"saved {files.shown(path)} (step {run.step:,}; input: {', '.join(run.cfg.features)})"


def probe_at(run, pos):
    """The mouse at pos over the plane -> (u, label, "train"/"test") of the nearest point within
    SNAP px, or (u, None, None) for a bare point of the plane."""
    u = D.to_plane(pos)
    best = (None, SNAP ** 2 + 1e-9)
    for U, y, where in ((run.data[0], run.data[1], "train"), (run.data[2], run.data[3], "test")):
        if U.shape[1]:
            px, py = D.to_screen(U)
            d2 = (px - pos[0]) ** 2 + (py - pos[1]) ** 2
            j = int(np.argmin(d2))
            if d2[j] < best[1]:
                best = ((U[:, j], y[j], where), d2[j])
    return best[0] or (u, None, None)


def handle_event(state, event):
    """The state after one pygame event."""
    if event.type == pygame.QUIT:
        return dict(state, running=False)
    if event.type == pygame.MOUSEMOTION:
        if D.OUT.collidepoint(event.pos):
            return dict(state, probe=probe_at(state["run"], event.pos), hover=None)
        hover = next((a[1:] for r, a in D.layout(state) if a[0] == "unit" and r.collidepoint(event.pos)), None)
        return state if hover == state["hover"] else dict(state, hover=hover)
    if event.type == pygame.MOUSEBUTTONDOWN and event.button in (1, 3):
        if D.OUT.collidepoint(event.pos):
            return dict(state, probe=probe_at(state["run"], event.pos))
        for rect, action in reversed(D.layout(state)):
            if rect.collidepoint(event.pos):
                return do(state, action, 1 if event.button == 1 else -1)
        return state
    if event.type != pygame.KEYDOWN:
        return state
    shift = -1 if event.mod & pygame.KMOD_SHIFT else 1
    if event.key == pygame.K_ESCAPE:
        if state["explain"] or state["selected"]:
            return dict(state, explain=False, selected=None)
        return dict(state, running=False)
    if pygame.K_1 <= event.key <= pygame.K_7:
        return do(state, ("feature", list(datasets.FEATURES)[event.key - pygame.K_1]))
    if event.key in KEYS:
        return do(state, KEYS[event.key], shift)
    return state


def advance(state):
    """While playing: state["speed"] more training steps."""
    return dict(state, run=M.train(state["run"], state["speed"], state["speed"]))


def run_window(state, max_frames=None, on_frame=None):
    """The playground in its window until closed; -> the last state. Playing: train `speed`
    steps, draw, at most FPS frames a second. Paused: sleep until an event comes
    (fnnapp.views.window.wait_events, at most IDLE_WAKE s) and draw only after one. Not
    pygame.event.wait: it looks every millisecond, a busy wait.
    on_frame(frame, state) runs after each turn's drawing (tests post events there)."""
    screen = open_window((D.WIDTH, D.HEIGHT), "fnn playground", NO_DISPLAY)
    try:
        fonts, clock, frame, changed = make_fonts(), pygame.time.Clock(), 0, True
        while state["running"] and (max_frames is None or frame < max_frames):
            if state["playing"]:
                state, changed = advance(state), True
            if changed:
                D.render(screen, state, fonts)
                pygame.display.flip()
            if on_frame is not None:
                on_frame(frame, state)
            if state["playing"]:
                clock.tick(FPS)
                events = pygame.event.get()
            else:
                events = wait_events(IDLE_WAKE)
            for event in events:
                state = handle_event(state, event)
            changed, frame = bool(events), frame + 1
    finally:
        pygame.quit()
    return state


def screenshot(state, out):
    """The frame of `state` saved to out, an image output fnn.io.files.check accepted (no
    display needed)."""
    surface = pygame.Surface((D.WIDTH, D.HEIGHT))
    D.render(surface, state, make_fonts())
    ext = os.path.splitext(out.path)[1]
    try:
        files.write(out, lambda f: pygame.image.save(surface, f, ext), suffix=ext)
    except files.WriteError as e:
        raise AppError(str(e)) from None
