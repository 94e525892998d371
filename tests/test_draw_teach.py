"""draw.py's backprop views and teaching: --digits on the command line; G, B, digit keys,
Ctrl-Z and K driven by real pygame events (headless)."""
import os
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest

import draw
import fnn
from conftest import Early
from fnn.io.data import load_csv
from fnn.digits.teach import HEADER, digit_row
from fnnapp.views import pad, teaching, window
from fnnapp.views.canvas import demo_strokes

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1")


def test_digits_reports_the_models_accuracy_per_digit(tmp_path, mnist_test_slice, capsys):
    X, y = mnist_test_slice
    path = tmp_path / "mine.csv"
    path.write_text("\n".join([HEADER] + [digit_row(X[:, j], y[j]) for j in range(30)]) + "\n")
    model = ROOT / "data" / "mnist_mlp.npz"
    assert draw.main(["--model", str(model), "--digits", str(path)]) == 0
    params, layers, _ = fnn.load(model)
    right = fnn.predict(params, X[:, :30], layers) == y[:30]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}: {right.sum()}/30 correct ({right.mean():.1%}) by {model}"
    for d in range(10):
        n, k = int((y[:30] == d).sum()), int(right[y[:30] == d].sum())
        assert any(line.startswith(f"  {d}: ") and line.endswith(f"({k}/{n})") for line in lines)


def queue_early(d):
    """A CSV of one short row, and draw.py --digits on it, run in the background from the start
    of the session (conftest.Early)."""
    bad = d / "bad.csv"
    bad.write_text("1,2,3\n")
    digits = Early.command([sys.executable, ROOT / "draw.py", "--digits", bad], cwd=ROOT, env=ENV,
                           timeout=60)
    return {"bad": bad, "digits": digits}


def test_digits_errors_are_one_line_exit_2(early, tmp_path, capsys):
    bad = early["bad"]
    assert draw.main(["--digits", str(bad)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"draw.py: {bad}: line 1: expected 785 columns (label + 784 pixels), found 3"]
    assert draw.main(["--digits", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "missing.csv" in err[0]
    r = early["digits"].result()
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.splitlines()) == 1    # no traceback


# ---- the pad, driven by real posted events ---------------------------------------------------

MODELS = {name: ROOT / "data" / f"mnist_{name}.npz" for name in ("cnn", "mlp")}


def cell_px(x, y):
    return int(pad.CANVAS.x + x * pad.CELL), int(pad.CANVAS.y + y * pad.CELL)


def drag(points):
    """Real mouse events for one stroke through `points` (cells): down, motions, up."""
    ev = pygame.event.Event
    return ([ev(pygame.MOUSEBUTTONDOWN, pos=cell_px(*points[0]), button=1)]
            + [ev(pygame.MOUSEMOTION, pos=cell_px(*p), rel=(0, 0), buttons=(1, 0, 0)) for p in points[1:]]
            + [ev(pygame.MOUSEBUTTONUP, pos=cell_px(*points[-1]), button=1)])


def key(k, mod=0):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0)


def flagged_one():
    """fnnapp.views.canvas.demo_strokes(1), drawn with the mouse: a 1 with a long, nearly flat
    flag from high on the left, which both shipped models read as a 7."""
    return [ev for stroke in demo_strokes(1) for ev in drag([tuple(p) for p in stroke])]


# per model, a drawing it misreads, its key and its digit
MISREAD = {"cnn": (flagged_one, pygame.K_1, 1), "mlp": (lambda: slashed_zero(), pygame.K_0, 0)}


def slashed_zero():
    """fnnapp.views.canvas.demo_strokes(0), drawn with the mouse: a slanted zero with a slash through it, as
    some people write it, which both shipped models read as an 8."""
    return [ev for stroke in demo_strokes(0) for ev in drag([tuple(p) for p in stroke])]


def run_app(argv, script, max_frames, shots=None, every=None):
    """draw.main(argv) with script[k] posted at the k-th turn at rest (no teaching under way:
    a teaching takes a turn a step) -> the states of those turns, the first max_frames of
    them; shots: a list to get a copy of the window at each of those turns; every(state):
    called at each turn, teaching or not."""
    seen = []

    def on_frame(frame, state):
        if every is not None:
            every(state)
        if state["teaching"] is not None:
            return
        seen.append(state)
        if shots is not None:
            shots.append(pygame.surfarray.array3d(pygame.display.get_surface()).copy())
        for ev in script.get(len(seen) - 1, []) if len(seen) < max_frames else [pygame.event.Event(pygame.QUIT)]:
            pygame.event.post(ev)

    with pytest.MonkeyPatch.context() as m:      # a frame with no event waits 10 ms, not 0.25 s
        m.setattr(window, "IDLE_WAKE", 0.01)
        assert draw.main([*map(str, argv), "--max-frames", "1000"], on_frame=on_frame) == 0
    return seen


@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_a_digit_key_teaches_and_ctrl_z_restores_the_params_exactly(name, tmp_path):
    drawing, k, d = MISREAD[name]
    script = {1: drawing(), 2: [key(k)], 3: [key(pygame.K_z, pygame.KMOD_LCTRL)]}
    states = run_app(["--model", MODELS[name], "--keep", tmp_path / "mine.csv"], script, 5)
    wrong, taught, undone = states[2], states[3], states[4]
    assert wrong["probs"].argmax() != d, "the drawing is misread before teaching"
    assert taught["probs"][d] > wrong["probs"][d] + 0.2 and taught["label"] == d
    np.testing.assert_array_equal(taught["before"], wrong["probs"])
    assert f"taught {d}: p({d})" in taught["message"]
    assert any(not np.array_equal(taught["model"][0][k], wrong["model"][0][k]) for k in wrong["model"][0])
    assert undone["model"] is wrong["model"]                       # the very same params dict
    assert all(np.array_equal(undone["model"][0][k], v) for k, v in fnn.load(MODELS[name])[0].items())
    np.testing.assert_array_equal(undone["probs"], wrong["probs"])


def test_k_keeps_one_valid_row_per_labelled_drawing(tmp_path):
    csv = tmp_path / "mine.csv"
    script = {1: slashed_zero(), 2: [key(pygame.K_k)], 3: [key(pygame.K_0)], 4: [key(pygame.K_k)],
              5: [key(pygame.K_c)], 6: slashed_zero(), 7: [key(pygame.K_7)], 8: [key(pygame.K_k)]}
    states = run_app(["--model", MODELS["mlp"], "--keep", csv], script, 10)
    assert "press the digit" in states[3]["message"]          # no label yet: nothing kept (below)
    assert states[5]["message"] == f"kept as 0: 1 digit in {csv}"
    X, y = load_csv(csv)
    assert y.tolist() == [0, 7] and X.shape == (784, 2)
    np.testing.assert_array_equal(X[:, 0], np.rint(states[5]["seen"].reshape(-1) * 255) / np.float32(255))


def test_ctrl_s_saves_the_taught_model_to_a_new_file_under_models(tmp_path, monkeypatch):
    monkeypatch.setattr(teaching, "MODELS", str(tmp_path / "models"))
    ctrl_s = key(pygame.K_s, pygame.KMOD_LCTRL)
    script = {1: [ctrl_s], 2: slashed_zero(), 3: [key(pygame.K_0)], 4: [ctrl_s], 5: [ctrl_s]}
    states = run_app(["--model", MODELS["mlp"]], script, 7)
    assert states[2]["message"] == "nothing taught yet: nothing to save"
    first, second = (Path(os.path.relpath(tmp_path / "models" / f"mnist_mlp-taught-{k}.npz")) for k in (1, 2))
    assert states[5]["message"] == f"saved {first}" and states[6]["message"] == f"saved {second}"
    params, layers, meta = fnn.load(first)
    assert all(np.array_equal(params[k], v) for k, v in states[4]["model"][0].items())
    assert meta["teachings"] == 1 and (ROOT / "data" / "mnist_mlp.npz").read_bytes() == MODELS["mlp"].read_bytes()


def run_app_frames(argv, script, max_frames):
    """As run_app, also returning a copy of the window at the start of each turn at rest (the
    frame the previous turn drew)."""
    shots = []
    return run_app(argv, script, max_frames, shots), shots


def region(shot, rect):
    return shot[rect.left:rect.right, rect.top:rect.bottom]      # surfarray is (x, y)


@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_g_and_b_views_render_for_the_shipped_models(name):
    from fnn.analysis.explain import log_prob_gradient
    from fnnapp.views.pad import CANVAS, PANEL
    drawing, k, d = MISREAD[name]
    script = {1: drawing(), 2: [key(pygame.K_g)], 3: [key(pygame.K_b)], 4: [key(k)],
              5: [key(pygame.K_ESCAPE)], 6: [key(pygame.K_g)]}
    states, shots = run_app_frames(["--model", MODELS[name]], script, 8)
    params, layers, _ = states[2]["model"]
    pad, grad, xray, labelled, closed = shots[2], shots[3], shots[4], shots[5], shots[7]
    # G: the gradient of the answer's log-probability, drawn in the panel, the canvas untouched
    g = states[3]
    c, G = log_prob_gradient(params, g["seen"].reshape(-1), layers)
    assert g["view"] == "grad" and g["explain"]["c"] == c == int(np.argmax(g["probs"]))    # its answer
    np.testing.assert_array_equal(g["explain"]["G"], G.reshape(28, 28))
    assert np.array_equal(region(grad, CANVAS), region(pad, CANVAS))
    below_bars = pygame.Rect(PANEL.x, PANEL.y + 376, PANEL.w, CANVAS.bottom - PANEL.y - 376)
    assert not np.array_equal(region(grad, below_bars), region(pad, below_bars))
    # B: the X-ray replaces the window; a digit inside it sets the label, teaching nothing
    b = states[4]
    assert b["view"] == "xray" and b["explain"]["label"] == c and len(b["explain"]["steps"]) == len(layers) - 1
    assert not np.array_equal(region(xray, CANVAS), region(pad, CANVAS))
    lab = states[5]
    assert lab["explain"]["label"] == d and lab["model"] is b["model"] and lab["undo"] == []
    np.testing.assert_allclose(lab["explain"]["dZL"], lab["explain"]["probs"] - np.eye(10)[d], atol=1e-6)
    assert not np.array_equal(labelled, xray)                        # BP1's numbers changed
    # Esc closes the X-ray (the pad keeps running); G opens the gradient view again
    assert states[6]["view"] is None and states[6]["running"] and states[7]["view"] == "grad"
    assert np.array_equal(region(closed, CANVAS), region(pad, CANVAS))


def test_views_need_a_drawing_and_the_xray_does_not_paint():
    stroke = drag([(6.5, 14.5), (21.5, 14.5)])
    script = {1: [key(pygame.K_b)], 2: slashed_zero(), 3: [key(pygame.K_b)], 4: stroke}
    states = run_app(["--model", MODELS["mlp"]], script, 6)
    assert states[2]["view"] is None and states[2]["message"] == "draw a digit first"
    assert states[4]["view"] == "xray"
    np.testing.assert_array_equal(states[5]["canvas"], states[4]["canvas"])   # hidden: untouched


def test_teaching_shows_its_steps_and_the_header_says_unsaved_until_ctrl_s(tmp_path, monkeypatch):
    """A digit key starts a teaching drawn a step a frame (the window keeps handling events);
    after it the header says the model is a taught, unsaved copy; Esc then only warns, and
    quits after Ctrl-S."""
    from fnnapp.views.pad import model_line
    monkeypatch.setattr(teaching, "MODELS", str(tmp_path / "models"))
    steps, frames = [], []

    def every(state):
        if state["teaching"] is not None:
            steps.append(state["teaching"]["step"])
            frames.append(pygame.surfarray.array3d(pygame.display.get_surface()).copy())
    script = {1: slashed_zero(), 2: [key(pygame.K_0)], 3: [key(pygame.K_ESCAPE)],
              4: [key(pygame.K_s, pygame.KMOD_LCTRL)], 5: [key(pygame.K_ESCAPE)]}
    states = run_app(["--model", MODELS["mlp"]], script, 7, every=every)
    assert steps == list(range(teaching.STEPS))                   # one frame a step, in order
    bar = pygame.Rect(pad.PANEL.x, pad.PANEL.y + 108, pad.PANEL.w, 22)
    assert not np.array_equal(region(frames[1], bar), region(frames[-1], bar))   # the bar grows
    taught, warned, saved = states[3], states[4], states[5]
    assert model_line(taught) == (f"model: {MODELS['mlp']}, taught 1 time: unsaved copy", True)
    assert warned["running"] and "Esc again quits" in warned["message"] and "Ctrl-S" in warned["message"]
    assert saved["message"].startswith("saved ") and model_line(saved)[1] is False
    assert len(states) == 6                                  # after Ctrl-S, one Esc quits


def test_esc_twice_quits_with_an_unsaved_teaching_and_another_key_disarms(monkeypatch):
    script = {1: slashed_zero(), 2: [key(pygame.K_0)], 3: [key(pygame.K_ESCAPE)],
              4: [key(pygame.K_l)], 5: [key(pygame.K_ESCAPE)], 6: [key(pygame.K_ESCAPE)]}
    states = run_app(["--model", MODELS["mlp"]], script, 20)
    assert states[4]["quit_armed"] and states[5]["quit_armed"] is False and states[6]["quit_armed"]
    assert len(states) == 7                                     # the second Esc in a row quits


def test_sigterm_while_teaching_exits_143_in_one_line(capsys, monkeypatch):
    import signal
    sent = []

    def on_frame(frame, state):
        if state["teaching"] is not None and state["teaching"]["step"] == 2 and not sent:
            sent.append(frame)
            os.kill(os.getpid(), signal.SIGTERM)
        for ev in {1: slashed_zero(), 2: [key(pygame.K_0)]}.get(frame, []):
            pygame.event.post(ev)
    monkeypatch.setattr(window, "IDLE_WAKE", 0.01)
    old = signal.getsignal(signal.SIGTERM)
    try:
        code = draw.main(["--model", str(MODELS["mlp"]), "--max-frames", "100"], on_frame=on_frame)
    finally:
        signal.signal(signal.SIGTERM, old)
    assert code == 143 and sent
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
