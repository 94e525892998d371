"""draw.py: a pygame digit pad. Draw a digit, press S, see what the network answers.

    python draw.py                          the pad, with the default model (DEFAULT_MODEL)
    python draw.py --model data/mnist_cnn.npz
    python draw.py --image digit.png        print the prediction for an image file, no window
    python draw.py --screenshot out.png     render the pad with a demo digit to a PNG, no window
    python draw.py --screenshot docs/xray.png --demo 0 --press b0    ... with keys pressed first
    python draw.py --digits models/my_digits.csv    the model's accuracy, per digit, on your set

Mouse: left drag paints, right drag erases. Keys: S predict, C or Backspace clear, L live
prediction on/off, Esc quit. Dropping an image file on the window loads and classifies it.
Backprop on the drawing (fnn.explain, fnn.teach): G shows d log p / d pixel of the answer, B the
X-ray of every layer (0-9 there set its label), a digit key teaches the drawing's true class,
Ctrl-Z undoes that, K keeps the labelled drawing in the handwriting CSV (--keep), Ctrl-S saves
the taught model under models/.

What the network sees is what it was trained on: the pad's 28x28 ink goes through
fnn.preprocess.mnistify (crop to the ink, scale the longer side to 20 px, centre of mass at
the centre), exactly as MNIST was made, so off-centre, small or large drawings are recognised.

The app is a plain dict (`new_state`) changed by pure functions: handle_event(state, event)
-> new state; what the network makes of the drawing (the prediction, G, B, teaching) are the
state -> state functions of ui.teaching. `run` sleeps until something happens, then draws the
frame afresh with ui.pad.render; the brush is ui.canvas.paint.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")   # keep stdout clean for --image

try:                   # Ctrl-C while NumPy and pygame load: one line, no traceback
    import numpy as np     # noqa: E402
    import pygame          # noqa: E402

    import fnn             # noqa: E402
    from fnn import files                                           # noqa: E402
    from ui import image_header, paths                              # noqa: E402
    from fnn.data import DataError                                  # noqa: E402
    from fnn.preprocess import even_out_strokes, to_ink             # noqa: E402
    from fnn.report import format_report                            # noqa: E402
    from fnn.teach import score_digits                              # noqa: E402
    from ui.canvas import BRUSH_RADIUS, ERASER_RADIUS, GRID, draw_strokes, is_empty, paint  # noqa: E402
    from ui.pad import CANVAS, CELL, HEIGHT, WIDTH, render, to_cells     # noqa: E402
    from ui.teaching import (MODELS, NotFinite, analyse, digit_key,  # noqa: E402
                             keep_digit, save_taught, toggle_view, undo, update_prediction)
    from ui.theme import make_fonts                                  # noqa: E402
except KeyboardInterrupt:
    sys.stderr.write("\ndraw.py: interrupted\n")
    sys.exit(130)

HERE = os.path.dirname(os.path.abspath(__file__))
# The model that copes best with how people draw, chosen by benchmarks/robustness.py
# (see docs/robustness.md for the table and the command that trained it).
DEFAULT_MODEL = os.path.join("data", "mnist_cnn.npz")

FPS = 60                         # at most this many frames a second
DEFAULT_DIGITS = os.path.join(MODELS, "my_digits.csv")       # the handwriting set K appends to
LIVE_INTERVAL = 0.1              # s between live predictions while a stroke is being drawn
IDLE_WAKE = 0.25                 # s the loop sleeps at most when nothing happens
HEADLESS = ("dummy", "offscreen")                  # SDL video drivers that show no window
NO_DISPLAY = ("no display to open the pad on; python draw.py --image FILE prints the "
              "prediction for an image, --screenshot PNG renders the pad to a file")
SCREENSHOT_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".tga")     # what pygame.image.save writes


class AppError(Exception):
    """A problem the command line reports as one line on stderr (exit code 2)."""


# ---- the model -----------------------------------------------------------------------------

def load_model(path):
    """fnn.load(path) -> (params, layers, meta), checked to map a 28x28 image to 10 classes.
    Raises AppError (one line naming the file) for a missing, corrupt or unsuitable model."""
    try:
        paths.check_input(path)
        params, layers, meta = fnn.load(path)
    except (paths.PathError, fnn.ModelFileError) as e:
        raise AppError(str(e)) from None
    n_in = int(np.prod(layers[0]["shape"]))
    if n_in != GRID * GRID:
        raise AppError(f"{path}: the model takes {n_in} inputs; draw.py feeds it a 28x28 image (784)")
    try:
        with np.errstate(over="ignore", invalid="ignore"):   # a huge model: analyse says so
            AL, _ = fnn.forward(params, np.zeros((GRID * GRID, 1), np.float32), layers)
    except (NotImplementedError, ValueError) as e:
        raise AppError(f"{path}: this fnn cannot run the model ({e})") from None
    if AL.shape != (10, 1):
        raise AppError(f"{path}: the model has {AL.shape[0]} outputs; a digit model needs 10")
    return params, layers, meta



# ---- images --------------------------------------------------------------------------------

def read_image(path):
    """An image file (anything pygame loads: PNG, JPG, BMP ...) -> (H, W) ink in [0, 1].
    Dark-on-light and light-on-dark both work (fnn.preprocess.to_ink). In a picture with
    transparency the opaque pixels are the ink (a pen stroke on a transparent layer).
    The size is read from the header first (ui.image_header): a huge image is never decoded."""
    try:
        paths.check_input(path)
        image_header.check_size(path)
        surf = pygame.image.load(os.fspath(path))
    except (paths.PathError, image_header.ImageHeaderError) as e:
        raise AppError(str(e)) from None
    except (pygame.error, OSError) as e:
        raise AppError(f"{path}: cannot read the image ({e})") from None
    if surf.get_width() == 0 or surf.get_height() == 0:
        raise AppError(f"{path}: the image is empty")
    rgb = pygame.surfarray.array3d(surf).transpose(1, 0, 2)       # (W, H, 3) -> (H, W, 3)
    if surf.get_flags() & pygame.SRCALPHA:
        alpha = pygame.surfarray.array_alpha(surf).T
        if alpha.min() < 128 <= alpha.max():                           # real transparency
            return to_ink(alpha, invert=False)
    return to_ink(rgb)


def classify_image(model, path):
    """path -> (digit, p, result): result is analyse()'s dict for the image (its "seen" is the
    preprocessed (28, 28) digit). Raises AppError."""
    ink = read_image(path)
    if is_empty(ink):
        raise AppError(f"{path}: no ink found: the image is blank")
    try:
        result = analyse(model, even_out_strokes(ink))
    except NotFinite as e:
        raise AppError(f"{path}: {e}") from None
    probs = result["probs"]
    return int(probs.argmax()), float(probs.max()), result


# ---- state and events ----------------------------------------------------------------------

def new_state(model=None, model_name=""):
    """The whole app as plain data."""
    return {
        "canvas": np.zeros((GRID, GRID), np.float32),
        "probs": None,           # (10,) last prediction, None = nothing to show ("draw a digit")
        "seen": None,            # (28, 28) what the network received
        "inside": None,          # the hidden layer view (see ui.teaching.analyse)
        "model": model, "model_name": model_name,
        "live": True,            # predict as you draw
        "stroke": None,          # None, "draw" or "erase" while a mouse button is held
        "last": None,            # previous mouse position of the stroke, in cells
        "mouse": None,           # mouse position on screen, for the brush outline
        "dirty": False,          # canvas changed since the last prediction
        "next_live": 0.0,        # time of the next live prediction during a stroke
        "message": "",           # one line shown under the prediction
        "running": True,
        # backprop on the drawing (keys G, B, 0-9, Ctrl-Z, K, Ctrl-S; see ui.teaching)
        "view": None,            # None, "grad" (G: d log p / d pixel) or "xray" (B: every layer)
        "explain": None,         # what the view shows: fnn.explain's results for this drawing
        "label": None,           # the digit the user said this drawing is
        "before": None,          # (10,) probabilities before the last teaching
        "undo": [],              # the models before each teaching, last one last (Ctrl-Z)
        "replay": None,          # (X, y) MNIST training digits mixed into every teaching
        "digits": os.path.relpath(DEFAULT_DIGITS),   # the handwriting CSV that K appends to
    }


def clear(state):
    return dict(state, canvas=np.zeros((GRID, GRID), np.float32), probs=None, seen=None,
                inside=None, stroke=None, last=None, dirty=False, message="", label=None,
                before=None, explain=None)


def load_dropped(state, path):
    """DROPFILE: put the file's preprocessed digit on the pad and classify it."""
    try:
        digit, p, result = classify_image(state["model"], path)
    except AppError as e:
        return dict(state, message=str(e))
    # the pad shows the preprocessed digit and the prediction already made for it
    s = dict(state, canvas=result["seen"].copy(), dirty=False, **result)   # float32 (mnistify)
    s["message"] = f"{os.path.basename(path)}: {digit} ({p:.0%})"
    print(f"{path}: {digit} ({p:.1%})", flush=True)
    return s


def handle_event(state, event):
    """One pygame event -> a new state (the old one is not modified)."""
    t = event.type
    if t == pygame.QUIT:
        return dict(state, running=False)
    if t == pygame.KEYDOWN:
        ctrl = getattr(event, "mod", 0) & pygame.KMOD_CTRL
        if event.key == pygame.K_ESCAPE and state["view"] is not None:
            return toggle_view(state, state["view"])            # Esc closes a view first
        if event.key == pygame.K_ESCAPE:
            return dict(state, running=False)
        if ctrl and event.key == pygame.K_z:
            return undo(state)
        if ctrl and event.key == pygame.K_s:
            return save_taught(state)
        if pygame.K_0 <= event.key <= pygame.K_9:
            return digit_key(state, event.key - pygame.K_0)
        if event.key == pygame.K_g:
            return toggle_view(state, "grad")
        if event.key == pygame.K_b:
            return toggle_view(state, "xray")
        if event.key == pygame.K_k:
            return keep_digit(state)
        if event.key == pygame.K_s:
            s = update_prediction(dict(state, message=""))
            if s["probs"] is not None:                 # one line a prediction, for scripts
                print(f"prediction: {int(s['probs'].argmax())} ({s['probs'].max():.1%})", flush=True)
            return s
        if event.key in (pygame.K_c, pygame.K_BACKSPACE):
            return clear(state)
        if event.key == pygame.K_l:
            s = dict(state, live=not state["live"])
            return update_prediction(s) if s["live"] else s
        return state
    if state["view"] == "xray" and t in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION):
        return state                                  # the X-ray covers the canvas: no painting
    if t == pygame.MOUSEBUTTONDOWN and event.button in (1, 3):
        mode = "draw" if event.button == 1 else "erase"
        return _stroke_to(dict(state, stroke=mode, last=None, mouse=event.pos), event.pos)
    if t == pygame.MOUSEMOTION:
        s = dict(state, mouse=event.pos)
        if s["stroke"] is None:
            buttons = getattr(event, "buttons", (0, 0, 0))
            if buttons[0] or (len(buttons) > 2 and buttons[2]):       # dragged in from outside
                s["stroke"] = "draw" if buttons[0] else "erase"
        return _stroke_to(s, event.pos) if s["stroke"] else s
    if t == pygame.MOUSEBUTTONUP and event.button in (1, 3):
        if state["stroke"] is None:
            return state
        s = dict(state, stroke=None, last=None)
        return update_prediction(s) if s["live"] and s["dirty"] else s
    if t == pygame.DROPFILE:
        return load_dropped(state, event.file)
    return state


def _stroke_to(state, pos):
    """Paint (or erase) from the stroke's last position to pos."""
    x, y = to_cells(pos)
    erase = state["stroke"] == "erase"
    canvas = paint(state["canvas"], x, y, ERASER_RADIUS if erase else BRUSH_RADIUS,
                   erase=erase, prev=state["last"])
    changed = not np.array_equal(canvas, state["canvas"])
    return dict(state, canvas=canvas, last=(x, y), dirty=state["dirty"] or changed,
                label=None if changed else state["label"])     # a new drawing has no label yet


def refresh(state, now):
    """Once a frame: in live mode, re-predict during a stroke at most every LIVE_INTERVAL s."""
    if state["live"] and state["dirty"] and now >= state["next_live"]:
        return dict(update_prediction(state), next_live=now + LIVE_INTERVAL)
    return state


# ---- the loop and the command line ---------------------------------------------------------

def open_window():
    """The pad's window. AppError (NO_DISPLAY) when there is no display to show it on: on
    Linux with none of DISPLAY, WAYLAND_DISPLAY, SDL_VIDEODRIVER set (SDL would fall back to an
    invisible offscreen window), or when SDL found only a headless driver nobody asked for."""
    env = os.environ
    if sys.platform.startswith("linux") and not any(
            env.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")):
        raise AppError(NO_DISPLAY)
    try:
        pygame.display.init()
        headless = pygame.display.get_driver() in HEADLESS and env.get("SDL_VIDEODRIVER") not in HEADLESS
        screen = None if headless else pygame.display.set_mode((WIDTH, HEIGHT))
    except pygame.error as e:
        pygame.quit()
        raise AppError(f"cannot open a window ({e}); {NO_DISPLAY}") from None
    if screen is None:
        pygame.quit()
        raise AppError(NO_DISPLAY)
    pygame.display.set_caption("fnn digit pad")
    return screen


def wait_events(timeout):
    """The pending pygame events, after sleeping up to `timeout` s for the first. It looks once a
    frame (1/FPS s): pygame.event.wait looks every millisecond, idling at several times the CPU."""
    end = time.perf_counter() + timeout
    events = pygame.event.get()
    while not events and time.perf_counter() < end:
        time.sleep(1 / FPS)
        events = pygame.event.get()
    return events


def run(screen, state, max_frames=None, on_frame=None):
    """The event loop; returns the last state. Each turn sleeps until an event comes (at most
    IDLE_WAKE s, or until a live prediction is due), handles the pending events, and draws a
    frame only if an event came or the prediction changed. on_frame(frame, state) is called at
    the start of each turn (tests post events there); max_frames ends the loop after that many."""
    fonts = make_fonts()
    clock = pygame.time.Clock()
    render(screen, state, fonts)
    pygame.display.flip()
    frame = 0
    while state["running"] and (max_frames is None or frame < max_frames):
        if on_frame is not None:
            on_frame(frame, state)
        timeout = LIVE_INTERVAL if state["live"] and state["dirty"] else IDLE_WAKE
        events = wait_events(timeout)
        for event in events:
            state = handle_event(state, event)
        before, state = state, refresh(state, time.perf_counter())
        if state["running"] and (events or state is not before):
            render(screen, state, fonts)
            pygame.display.flip()
            clock.tick(FPS)
        frame += 1
    return state


def demo_strokes(digit=3):
    """Polylines of (x, y) in cells: a hand-drawn-looking 3 (two arcs, a little left of centre),
    or (digit=0) a slanted zero with a slash through it, which both shipped models misread."""
    def arc(cx, cy, rx, ry, a0, a1, k=16):
        a = np.deg2rad(np.linspace(a0, a1, k))
        return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)
    if digit == 3:
        return [arc(11.0, 9.2, 4.2, 4.2, -160, 92), arc(11.4, 17.4, 4.6, 4.6, -92, 160)]
    slant = np.array([[1.0, 0.0], [-0.5, 1.0]])                  # x -= 0.5 (y - 14)
    strokes = [arc(14, 14, 3.5, 7.5, -80, 290, 24), np.array([(19.5, 6), (14, 14), (8.5, 22)])]
    return [(s - 14) @ slant + 14 for s in strokes]


class _Parser(argparse.ArgumentParser):
    def error(self, message):                       # one line, exit 2 (not usage + error)
        print(f"draw.py: {message} (see python draw.py --help)", file=sys.stderr)
        sys.exit(2)


def parse_args(argv):
    p = _Parser(prog="draw.py", description="Draw a digit and let an fnn network read it.")
    p.add_argument("--model", default=None,
                   help=f"model file from fnn.save / train.py (default: {DEFAULT_MODEL})")
    p.add_argument("--image", metavar="FILE", help="print the prediction for an image file and exit")
    p.add_argument("--screenshot", metavar="PNG",
                   help="render the pad with a demo digit drawn on it to PNG and exit (no window)")
    p.add_argument("--demo", type=int, choices=(3, 0), default=3,
                   help="--screenshot's digit: 3, or 0 (a slanted, slashed zero the shipped models misread)")
    p.add_argument("--press", metavar="KEYS", default="",
                   help="--screenshot: keys pressed after drawing, e.g. g (why) or b0 (X-ray, label 0)")
    p.add_argument("--digits", metavar="CSV",
                   help="print the model's accuracy, per digit, on a labelled CSV of digits "
                        "(e.g. the handwriting set the pad keeps, models/my_digits.csv) and exit")
    p.add_argument("--keep", metavar="CSV", default=None,
                   help="the handwriting CSV that K appends the labelled drawing to "
                        f"(default: {os.path.relpath(DEFAULT_DIGITS)})")
    p.add_argument("--max-frames", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None, on_frame=None):
    try:
        return _main(argv, on_frame)
    except KeyboardInterrupt:
        print("\ndraw.py: interrupted", file=sys.stderr)
        return 130


def check_screenshot(out):
    """--screenshot names a new image file or an image to replace (ui.paths.check_output)."""
    try:
        paths.check_output(out, "image")
    except paths.PathError as e:
        raise AppError(str(e)) from None
    if os.path.splitext(out)[1].lower() not in SCREENSHOT_TYPES:
        raise AppError(f"{out}: --screenshot needs an image name ending in "
                       f"{', '.join(SCREENSHOT_TYPES)}")


def _main(argv, on_frame):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    path = args.model or os.path.join(HERE, DEFAULT_MODEL)
    try:
        if args.screenshot:
            check_screenshot(args.screenshot)
        model = load_model(path)
        name = os.path.relpath(path) if args.model is None else args.model
        if args.image:
            digit, p, _ = classify_image(model, args.image)
            print(f"{args.image}: {digit} ({p:.1%})")
            return 0
        if args.digits:
            return report_digits(model, name, args.digits)
        if args.screenshot:
            return screenshot(model, name, args.screenshot, args.demo, args.press)
        screen = open_window()
    except AppError as e:
        print(f"draw.py: {e}", file=sys.stderr)
        return 2
    try:
        state = dict(new_state(model, name), **({"digits": args.keep} if args.keep else {}))
        run(screen, state, args.max_frames, on_frame)
    finally:
        pygame.quit()
    return 0


def report_digits(model, name, path):
    """--digits: the model's accuracy on a labelled CSV, overall and per digit."""
    try:
        paths.check_input(path)
        C = score_digits(model[0], model[1], path)
    except (paths.PathError, DataError) as e:
        raise AppError(str(e)) from None
    print(f"{path}: {np.trace(C)}/{C.sum()} correct ({np.trace(C) / C.sum():.1%}) by {name}")
    for line in format_report(C):
        print(line)
    return 0


def screenshot(model, name, out, digit=3, press=""):
    """Render a frame with a demo digit (demo_strokes(digit)) painted by paint() strokes and
    save it as PNG; `press`: keys pressed first, one a character, as KEYDOWN events through
    handle_event (e.g. "g" for the gradient view, "b0" for the X-ray with the label 0)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.font.init()
    try:
        state = new_state(model, name)
        state["canvas"] = draw_strokes(state["canvas"], demo_strokes(digit))
        state = update_prediction(state)
        if state["probs"] is None:
            raise AppError(f"{name}: {state['message']}")
        state["mouse"] = (int(CANVAS.x + 7.1 * CELL), int(CANVAS.y + 19.0 * CELL))
        for ch in press.lower():                     # pygame's key codes are the characters' codes
            state = handle_event(state, pygame.event.Event(pygame.KEYDOWN, key=ord(ch), mod=0,
                                                           unicode=ch, scancode=0))
        surface = pygame.Surface((WIDTH, HEIGHT))
        render(surface, state, make_fonts())
        ext = os.path.splitext(out)[1]
        try:
            files.atomic_write(out, lambda f: pygame.image.save(surface, f, ext), suffix=ext)
        except (pygame.error, OSError) as e:
            raise AppError(f"{out}: cannot write the screenshot ({e})") from None
    finally:
        pygame.quit()
    print(f"wrote {out}: predicted {int(state['probs'].argmax())} ({state['probs'].max():.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
