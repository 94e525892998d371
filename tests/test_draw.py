"""draw.py: the pad driven by real pygame events (headless, SDL_VIDEODRIVER=dummy), the brush,
the prediction path, --model / --image / --screenshot on the command line."""
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pygame
import pytest

import draw
import fnn
import fnn.io.data
from conftest import Early
from fnn.digits.preprocess import even_out_strokes, mnistify
from fnnapp.views import app, inputs, pad, teaching, window
from fnnapp.views.canvas import BRUSH_RADIUS, ERASER_RADIUS, demo_strokes, draw_strokes, paint
from fnnapp.views.theme import ACCENT, BG, make_fonts

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / draw.DEFAULT_MODEL


# ---- helpers ---------------------------------------------------------------------------------

def queue_early(d):
    """An untrained 784-32-10 MLP saved with fnn.save in d (fast; for the event plumbing), and
    this file's command lines, run in the background from the start of the session
    (conftest.Early): a missing model, no display, --image of a scanned 7, --screenshot."""
    tiny = str(d / "tiny_mlp.npz")
    fnn.save(tiny, fnn.init_params([784, 32, 10], seed=0))
    X, y = fnn.io.data.load_csv(ROOT / "data" / "mnist_test.csv.gz", max_rows=1)
    seven = d / "seven.png"
    save_digit_png(X[:, 0], seven, scale=8, dark_on_light=True)     # a 224x224 "scan" of a 7
    return {"tiny": tiny, "missing": draw_py("--model", d / "nope.npz"),
            "no display": Early(without_a_display, tiny),
            "image": (seven, y[0], draw_py("--image", seven)),            # the default model
            "screenshot": (d / "pad.png", draw_py("--model", tiny, "--screenshot", d / "pad.png"))}


def draw_py(*args):
    """python draw.py ARGS, queued (conftest.Early)."""
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return Early.command([sys.executable, ROOT / "draw.py", *args], cwd=ROOT, env=env, timeout=60)


@pytest.fixture
def tiny_mlp(early):
    return early["tiny"]


@pytest.fixture(scope="module")
def trained():
    """The shipped default model, for tests that need real recognition."""
    if not SHIPPED.exists():
        pytest.skip(f"{draw.DEFAULT_MODEL} is not there yet (train.py ships it)")
    return inputs.load_model(str(SHIPPED))


def cell_px(x, y):
    """Canvas coordinates in cells -> screen pixel."""
    return int(pad.CANVAS.x + x * pad.CELL), int(pad.CANVAS.y + y * pad.CELL)


def drag(points, button=1):
    """Real mouse events for one stroke through `points` (cells): down, motions, up."""
    down = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=cell_px(*points[0]), button=button)
    held = (1, 0, 0) if button == 1 else (0, 0, 1)
    moves = [pygame.event.Event(pygame.MOUSEMOTION, pos=cell_px(*p), rel=(0, 0), buttons=held)
             for p in points[1:]]
    up = pygame.event.Event(pygame.MOUSEBUTTONUP, pos=cell_px(*points[-1]), button=button)
    return [down, *moves, up]


def key(k):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0)


def run_app(argv, script, max_frames=60):
    """Run draw.main(argv); script[frame] is a list of events to post before that frame.
    Returns (exit code, the states seen at the start of each frame)."""
    seen = []

    def on_frame(frame, state):
        seen.append(state)
        for ev in script.get(frame, []):
            pygame.event.post(ev)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(window, "IDLE_WAKE", BRISK)
        code = draw.main([*argv, "--max-frames", str(max_frames)], on_frame=on_frame)
    return code, seen


# A frame with no event waits for one up to IDLE_WAKE (0.25 s); tests of what the pad does,
# not of how it idles (test_idle_pad_sleeps_and_keeps_its_frame), wait this long instead.
BRISK = 0.01


# ---- the brush -------------------------------------------------------------------------------

def test_paint_is_soft_continuous_and_pure():
    canvas = np.zeros((28, 28), np.float32)
    out = paint(canvas, 22.5, 10.5, radius=1.6, prev=(4.5, 10.5))     # one fast move
    assert not canvas.any(), "paint must not modify its input"
    assert out.dtype == np.float32 and out.shape == (28, 28)
    assert np.all(out[10, 4:23] == 1.0), "a fast stroke is continuous along the segment"
    assert 0.3 < out[9, 12] < 1.0 and out[9, 12] == out[11, 12], "grey, symmetric edges"
    assert out[8, 12] == 0.0 and out[10, 26] == 0.0
    assert len(np.unique(out)) >= 3                                       # graded, not 0/1
    erased = paint(out, 12.5, 10.5, radius=2.4, erase=True)
    assert erased[10, 12] == 0.0 and erased[10, 5] == 1.0


# ---- the pad, driven by real posted events ---------------------------------------------------

def test_stroke_fills_cells_with_graded_ink_then_S_C_Esc(tiny_mlp):
    stroke = [(6.5, 14.5), (9.5, 14.5), (15.5, 14.5), (21.5, 14.5)]
    script = {1: drag(stroke), 2: [key(pygame.K_s)], 3: [key(pygame.K_c)], 4: [key(pygame.K_ESCAPE)]}
    code, states = run_app(["--model", tiny_mlp], script)
    assert code == 0
    assert len(states) == 5, "Esc ends the loop at once"
    assert states[1]["probs"] is None
    canvas = states[2]["canvas"]
    assert np.all(canvas[14, 6:22] == 1.0), "the stroke's cells are full ink"
    edge = canvas[13, 6:22]
    assert np.all((edge > 0.2) & (edge < 1.0)), "the cells beside it are grey (anti-aliased)"
    assert canvas[11].max() == 0.0 and canvas[:, :4].max() == 0.0, "nothing far from the stroke"
    assert states[2]["probs"] is not None, "live mode predicts when the stroke ends"
    assert states[3]["probs"].shape == (10,) and abs(states[3]["probs"].sum() - 1) < 1e-5
    assert states[3]["seen"].shape == (28, 28) and states[3]["seen"].max() > 0
    assert not states[4]["canvas"].any() and states[4]["probs"] is None


def test_right_drag_erases_and_backspace_clears(tiny_mlp):
    script = {1: drag([(4.5, 10.5), (24.5, 10.5)]),
              2: drag([(14.5, 6.5), (14.5, 14.5)], button=3),
              3: [key(pygame.K_BACKSPACE)],
              4: [pygame.event.Event(pygame.QUIT)]}
    code, states = run_app(["--model", tiny_mlp], script)
    assert code == 0 and len(states) == 5, "closing the window quits"
    before, after = states[2]["canvas"], states[3]["canvas"]
    assert before[10, 12:17].min() == 1.0
    assert after[10, 13:16].max() == 0.0, "erased where the right button dragged"
    assert after[10, 4:10].min() == 1.0, "and nowhere else"
    assert not states[4]["canvas"].any()


def test_live_off_only_S_predicts(tiny_mlp):
    script = {1: [key(pygame.K_l)], 2: drag([(8.5, 8.5), (18.5, 20.5)]),
              4: [key(pygame.K_s)], 5: [key(pygame.K_ESCAPE)]}
    code, states = run_app(["--model", tiny_mlp], script)
    assert code == 0 and len(states) == 6, "Esc ends the loop at once"
    assert not states[2]["live"]
    assert states[3]["canvas"].any() and states[3]["probs"] is None, "no prediction without S"
    assert states[5]["probs"] is not None


def test_empty_canvas_says_draw_a_digit(tiny_mlp):
    state = app.new_state(inputs.load_model(tiny_mlp), "tiny")
    state = app.handle_event(state, key(pygame.K_s))
    assert state["probs"] is None
    _, lines = pad.headline(state)
    assert "draw a digit" in lines[0]
    surface = pygame.Surface((pad.WIDTH, pad.HEIGHT))
    pad.render(surface, state, make_fonts())              # renders without a prediction
    bars = pixels(surface)[pad.PANEL.x:pad.PANEL.right, pad.PANEL.y + 132:pad.PANEL.y + 362]
    assert not (bars == ACCENT).all(axis=-1).any(), "no bar is highlighted"


def test_press_S_mode_hint_after_a_stroke(tiny_mlp):
    """Live off: after a stroke the panel asks for S and does not promise that lifting the pen
    predicts; live on, it does not ask for S."""
    script = {1: [key(pygame.K_l)], 2: drag([(8.5, 8.5), (18.5, 20.5)]), 4: [key(pygame.K_ESCAPE)]}
    code, states = run_app(["--model", tiny_mlp], script)
    assert code == 0
    mode, lines = pad.headline(states[3])
    assert states[3]["probs"] is None and lines is not None
    assert "S" in mode.split() and any("S" in line.split() for line in lines)
    assert not any("lift" in line for line in [mode, *lines])
    mode, lines = pad.headline(states[1])
    assert "S" not in " ".join([mode, *lines]).split(), "live mode needs no S"


def test_dropped_file_is_classified_in_the_window(tiny_mlp, tmp_path, mnist_test_slice):
    X, _ = mnist_test_slice
    png = tmp_path / "digit.png"
    save_digit_png(X[:, 0], png)
    state = app.new_state(inputs.load_model(tiny_mlp), "tiny")
    state = app.handle_event(state, pygame.event.Event(pygame.DROPFILE, file=str(png)))
    assert state["probs"] is not None and state["canvas"].any()
    assert state["message"].startswith("digit.png: ")
    bad = app.handle_event(state, pygame.event.Event(pygame.DROPFILE, file=str(tmp_path / "no.png")))
    assert "cannot read the image" in bad["message"] and bad["running"]


def test_look_inside_mlp_and_cnn(tiny_mlp):
    canvas = draw_strokes(np.zeros((28, 28), np.float32), demo_strokes())
    mlp = teaching.analyse(inputs.load_model(tiny_mlp), canvas)["inside"]
    assert mlp["kind"] == "units" and mlp["a"].shape == (32,) and mlp["weights"].shape == (4, 28, 28)
    net = [fnn.Input(1, 28, 28), fnn.Conv(6, 3, pad=1), "relu", fnn.MaxPool(2), fnn.Flatten(),
           fnn.Dense(10), "softmax"]
    cnn = (fnn.init_params(net, seed=0), fnn.layers.normalize(net), {})
    state = teaching.update_prediction(dict(app.new_state(cnn, "cnn"), canvas=canvas))
    assert state["inside"]["kind"] == "maps" and state["inside"]["a"].shape == (6, 28, 28)
    fonts = make_fonts()
    for st in (teaching.update_prediction(dict(app.new_state(inputs.load_model(tiny_mlp), "m"),
                                           canvas=canvas)), state):
        surface = pygame.Surface((pad.WIDTH, pad.HEIGHT))
        pad.render(surface, st, fonts)
        view = pixels(surface)[pad.PANEL.x + 136:pad.PANEL.right, pad.PANEL.y + 400:pad.PANEL.bottom]
        lit = (view.astype(int) - BG).any(axis=-1) & (view[..., 0] > view[..., 2] + 60)
        assert lit.sum() > 200, "the hidden layer lights up (heat colours) for a drawing"


# ---- rendering: a frame for every change, none while idle ------------------------------------

def pixels(surface):
    return pygame.surfarray.array3d(surface)


def fresh_render(state, like):
    """state drawn on a new Surface like `like`."""
    out = pygame.Surface(like.get_size(), 0, like)
    pad.render(out, state, make_fonts())
    return pixels(out)


def test_window_shows_the_prediction_for_the_drawing_after_S(trained, monkeypatch):
    """Live off: draw a 1, S, clear, draw a 3, S. Every frame the window showed equals a fresh
    render of its state, each prediction is the model's for the canvas, and the panel changed."""
    one = [(14.5, 4.5), (14.5, 12.5), (14.5, 23.5)]
    three = [[tuple(p) for p in s] for s in demo_strokes()]
    script = {1: [key(pygame.K_l)], 2: drag(one), 4: [key(pygame.K_s)], 6: [key(pygame.K_c)],
              7: drag(three[0]), 8: drag(three[1]), 10: [key(pygame.K_s)], 12: [key(pygame.K_ESCAPE)]}
    shown = []

    def on_frame(frame, state):
        if frame:                                   # the screen holds the last frame's render
            screen = pygame.display.get_surface()
            shown.append((state, pixels(screen), fresh_render(state, screen)))
        for ev in script.get(frame, []):
            pygame.event.post(ev)

    monkeypatch.setattr(window, "IDLE_WAKE", BRISK)
    assert draw.main(["--max-frames", "20"], on_frame=on_frame) == 0
    assert len(shown) == 12, "Esc ends the loop"
    for i, (_, screen, fresh) in enumerate(shown):
        assert np.array_equal(screen, fresh), f"frame {i + 1} was stale"
    first, second = shown[4][0], shown[10][0]       # the states after each S
    assert shown[3][0]["probs"] is None and shown[9][0]["probs"] is None, "live is off"
    for state, digit in ((first, 1), (second, 3)):
        np.testing.assert_array_equal(state["probs"], teaching.analyse(trained, state["canvas"])["probs"])
        assert int(state["probs"].argmax()) == digit, state["probs"]
    panel = (slice(pad.PANEL.x, pad.WIDTH), slice(pad.PANEL.y, pad.HEIGHT))
    assert not np.array_equal(shown[4][1][panel], shown[10][1][panel]), "the panel changed"


def test_brush_outline_follows_the_mouse_on_the_canvas_only(tiny_mlp):
    fonts = make_fonts()
    state = app.new_state(None, "")
    surface = pygame.Surface((pad.WIDTH, pad.HEIGHT))

    def ring(mouse, stroke=None):
        pad.render(surface, dict(state, mouse=mouse, stroke=stroke), fonts)
        return (pixels(surface) == ACCENT).all(axis=-1)

    cx, cy = pad.CANVAS.center
    for stroke, radius in ((None, BRUSH_RADIUS), ("erase", ERASER_RADIUS)):
        hit = ring((cx, cy), stroke)
        xs, ys = np.nonzero(hit)
        r = np.hypot(xs - cx, ys - cy)
        assert hit.sum() > 20 and abs(r.mean() - radius * pad.CELL) < 2, stroke
    assert not ring(None).any() and not ring((pad.CANVAS.right + 40, cy)).any()


def test_idle_pad_sleeps_and_keeps_its_frame(tiny_mlp):
    """With nothing happening the loop sleeps (little CPU) and draws no frame: a mark painted
    on the screen survives idle turns; the next event draws the pad over it."""
    mark = (255, 0, 255)
    seen, cpu = {}, {}

    def on_frame(frame, state):
        screen = pygame.display.get_surface()
        if frame == 1:
            screen.fill(mark)
            cpu[1] = time.process_time(), time.perf_counter()
        if frame in (3, 4):
            seen[frame] = pixels(screen).copy()
        if frame == 3:
            cpu[3] = time.process_time(), time.perf_counter()
            pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=cell_px(5, 5), rel=(0, 0),
                                                 buttons=(0, 0, 0)))
        if frame == 4:
            pygame.event.post(key(pygame.K_ESCAPE))

    assert draw.main(["--model", tiny_mlp, "--max-frames", "10"], on_frame=on_frame) == 0
    assert (seen[3] == mark).all(), "no frame was drawn while idle"
    assert not (seen[4] == mark).all(axis=-1).any(), "an event draws a whole new frame"
    (c1, t1), (c3, t3) = cpu[1], cpu[3]
    assert t3 - t1 >= 1.5 * window.IDLE_WAKE, "the idle turns slept"
    assert c3 - c1 < 0.25 * (t3 - t1), ("idle CPU", c3 - c1, t3 - t1)


# ---- command line ----------------------------------------------------------------------------

def test_missing_and_corrupt_model_one_line_exit_2(early, tmp_path, capsys):
    """The missing model through the command line; the corrupt one with draw.main in-process."""
    r = early["missing"].result()
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "nope.npz: no such model file" in r.stderr
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip file")
    assert draw.main(["--model", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.npz" in err and "Traceback" not in err
    assert draw.main(["--model", str(bad), "--image", "x.png"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def without_a_display(tiny_mlp):
    """python draw.py --model TINY_MLP with no DISPLAY, WAYLAND_DISPLAY or SDL_VIDEODRIVER, then
    with an X display that is not there -> [(seconds, CompletedProcess, most stderr lines)]."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    runs = []
    for extra, lines in (({}, 1), ({"DISPLAY": ":7391"}, 1)):   # SDL's own lines silenced
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, str(ROOT / "draw.py"), "--model", tiny_mlp],
                           capture_output=True, text=True, env=dict(env, **extra), timeout=30)
        runs.append((time.perf_counter() - t0, r, lines))
    return runs


def test_no_display_says_so_in_one_line(early):
    """No DISPLAY, WAYLAND_DISPLAY or SDL_VIDEODRIVER: one line pointing to --image and
    --screenshot, exit 2, at once (no invisible window); the same for an X display that is not
    there (without_a_display, run by queue_early)."""
    for seconds, r, lines in early["no display"].result():
        assert seconds < 10
        assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r.stderr
        assert 1 <= r.stderr.count("\n") <= lines, r.stderr
        line = r.stderr.splitlines()[-1]
        assert "no display" in line and "--image" in line and "--screenshot" in line, r.stderr
    assert "DISPLAY=:7391 (no X server listens there" in line            # the display, and why


def test_bad_image_one_line_exit_2(tiny_mlp, tmp_path, capsys):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png")
    assert draw.main(["--model", tiny_mlp, "--image", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "junk.png" in err
    blank = tmp_path / "blank.png"
    pygame.image.save(pygame.Surface((40, 40)), str(blank))
    assert draw.main(["--model", tiny_mlp, "--image", str(blank)]) == 2
    err = capsys.readouterr().err
    assert "blank" in err and err.count("\n") == 1


def save_digit_png(x, path, scale=1, dark_on_light=False):
    """An MNIST digit (784,) in [0, 1] as a PNG, rendered by pygame."""
    g = (x.reshape(28, 28) * 255).astype(np.uint8)
    if dark_on_light:
        g = 255 - g
    g = np.kron(g, np.ones((scale, scale), np.uint8))
    surf = pygame.surfarray.make_surface(np.repeat(g.T[:, :, None], 3, axis=2))
    pygame.image.save(surf, str(path))


def test_image_cli_prints_the_right_digit(trained, early, tmp_path, mnist_test_slice):
    X, y = mnist_test_slice
    png, digit, run = early["image"]                               # the scanned 7 of queue_early
    r = run.result()
    assert r.returncode == 0, r.stderr
    assert digit == y[0] and r.stdout.startswith(f"{png}: {y[0]} (")
    hits = 0
    for j in range(1, 21):                                         # in-process: 20 more PNGs
        p = tmp_path / f"d{j}.png"
        save_digit_png(X[:, j], p, scale=3)
        hits += inputs.classify_image(trained, p)[0] == y[j]
    assert hits >= 19


def test_screenshot_cli(early):
    out, run = early["screenshot"]
    r = run.result()
    assert r.returncode == 0, r.stderr
    assert pygame.image.load(str(out)).get_size() == (pad.WIDTH, pad.HEIGHT)


# ---- recognition with the shipped model ------------------------------------------------------

def test_drawn_digit_is_recognised(trained):
    canvas = draw_strokes(np.zeros((28, 28), np.float32), demo_strokes())
    result = teaching.analyse(trained, canvas)
    probs, seen = result["probs"], result["seen"]
    assert probs.argmax() == 3 and seen.shape == (28, 28)
    np.testing.assert_array_equal(seen.ravel(), mnistify(canvas))     # the preprocessed input


def test_preprocessing_rescues_moved_and_resized_digits(trained, mnist_test_slice):
    """MNIST test digits shifted, shrunk or enlarged, then mnistify'd, keep nearly the
    accuracy of the originals; fed raw they do not (docs/robustness.md has the full table)."""
    from fnn.digits.augment import affine
    X, y = mnist_test_slice
    X, y = X[:, :500], y[:500]
    params, layers, _ = trained
    base = fnn.accuracy(params, X, y, layers)
    for name, kw in [("shift", dict(angle_deg=0, scale=1.0, dx=4, dy=-4)),
                     ("half", dict(angle_deg=0, scale=0.5, dx=-3, dy=3)),
                     ("enlarged", dict(angle_deg=0, scale=1.25, dx=0, dy=0))]:
        Xp = affine(X, **kw)
        Xm = np.stack([mnistify(Xp[:, j].reshape(28, 28)) for j in range(Xp.shape[1])], axis=1)
        acc = fnn.accuracy(params, Xm, y, layers)
        assert acc >= base - 0.06, (name, acc, base)
    raw_half = fnn.accuracy(params, affine(X, 0, 0.5, -3, 3), y, layers)
    assert raw_half < base - 0.2, "raw shrunk digits should be hard, or this test proves nothing"


# ---- pictures drawn with a thin pen ----------------------------------------------------------

THIN = {7: [(100, 60), (200, 60), (140, 250)], 4: [(180, 250), (180, 40), (90, 180), (220, 180)],
        2: [(90, 80), (130, 50), (190, 60), (200, 110), (100, 240), (220, 240)]}


def thin_pen_png(points, path, width=2):
    surf = pygame.Surface((300, 300))
    surf.fill((255, 255, 255))
    pygame.draw.lines(surf, (0, 0, 0), False, points, width)
    pygame.image.save(surf, str(path))


def test_even_out_strokes_widens_thin_lines(tmp_path):
    png = tmp_path / "seven.png"
    thin_pen_png(THIN[7], png)
    ink = inputs.read_image(png)
    faint = mnistify(ink)
    fixed = mnistify(even_out_strokes(ink))
    assert faint.max() < 0.6, "a 2 px line in a 300 px picture is a faint trace at 20 px"
    assert fixed.max() == 1.0 and (fixed > 0.5).sum() > 2 * (faint > 0.5).sum()
    small = np.zeros((28, 28))
    small[5:20, 10:13] = 1.0
    np.testing.assert_array_equal(even_out_strokes(small), small[5:20, 10:13])


def test_thin_pen_on_a_big_picture_is_recognised(trained, tmp_path):
    for digit, points in THIN.items():
        png = tmp_path / f"thin{digit}.png"
        thin_pen_png(points, png)
        k, p, _ = inputs.classify_image(trained, png)
        assert k == digit and p > 0.6, (digit, k, p)
