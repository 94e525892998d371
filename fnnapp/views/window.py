"""The pad's frames: in a window (run: sleep until something happens, then draw the frame
afresh), or once into an image file (screenshot)."""
import contextlib
import os
import sys
import time

import pygame

from fnn.io import files
from fnnapp.views.app import LIVE_INTERVAL, handle_event, new_state, refresh
from fnnapp.views.canvas import demo_strokes, draw_strokes
from fnnapp.views.inputs import AppError
from fnnapp.views.pad import CANVAS, CELL, HEIGHT, WIDTH, render
from fnnapp.views.teaching import teach_step, update_prediction
from fnnapp.views.theme import make_fonts

FPS = 60                         # at most this many frames a second
IDLE_WAKE = 0.25                 # s the loop sleeps at most when nothing happens
HEADLESS = ("dummy", "offscreen")                  # SDL video drivers that show no window
NO_DISPLAY = ("no display to open the pad on; python draw.py --image FILE prints the "
              "prediction for an image, --screenshot PNG renders the pad to a file")
SCREENSHOT_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".tga")     # what pygame.image.save writes


def open_window(size=(WIDTH, HEIGHT), caption="fnn digit pad", no_display=NO_DISPLAY):
    """The pad's window (or another view's, of that size and caption); AppError(no_display)
    where SDL would open an invisible one: on Linux with none of DISPLAY, WAYLAND_DISPLAY,
    SDL_VIDEODRIVER set, or a headless driver unasked."""
    env, problem = os.environ, no_display
    if sys.platform.startswith("linux") and not any(
            env.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")):
        raise AppError(no_display)
    try:
        with quiet_stderr():                  # SDL's own lines (XDG_RUNTIME_DIR ...) say less
            pygame.display.init()
        if pygame.display.get_driver() not in HEADLESS or env.get("SDL_VIDEODRIVER") in HEADLESS:
            screen = pygame.display.set_mode(size)
            pygame.display.set_caption(caption)
            return screen
        if env.get("DISPLAY") and not env.get("SDL_VIDEODRIVER"):
            problem = NO_DISPLAY.replace(" on;", f" on at DISPLAY={env['DISPLAY']} ({x11_reason()});", 1)
    except pygame.error as e:
        problem = f"cannot open a window ({e}); {no_display}"
    pygame.quit()
    raise AppError(problem)


@contextlib.contextmanager
def quiet_stderr():
    """File descriptor 2 goes to /dev/null meanwhile: what SDL's C code prints is dropped."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def x11_reason():
    """Why SDL's X11 driver cannot open $DISPLAY, as SDL says it, after it fell back to a
    window nobody sees: the local X server's socket is missing, or SDL's own words."""
    display = os.environ["DISPLAY"]
    number = display.split(":")[-1].split(".")[0]
    if display.startswith(":") and number.isdigit() and not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        return f"no X server listens there: no /tmp/.X11-unix/X{number}"
    pygame.display.quit()
    os.environ["SDL_VIDEODRIVER"] = "x11"
    try:
        with quiet_stderr():
            pygame.display.init()
        return "SDL opened it but chose a headless driver"
    except pygame.error as e:
        return f"SDL says: {e}"
    finally:
        del os.environ["SDL_VIDEODRIVER"]


def wait_events(timeout, poll=1 / FPS):
    """The pending pygame events, after sleeping up to `timeout` s for the first. It looks every
    `poll` s (a frame): pygame.event.wait looks every millisecond, idling at several times the CPU."""
    end = time.perf_counter() + timeout
    events = pygame.event.get()
    while not events and time.perf_counter() < end:
        time.sleep(poll)
        events = pygame.event.get()
    return events


def run(state, max_frames=None, on_frame=None):
    """The pad in its window (open_window) until it is closed; returns the last state. A turn
    draws the frame if something changed, sleeps until an event comes (at most IDLE_WAKE s, or
    until a live prediction is due) and handles the events. on_frame(frame, state) is called
    after the drawing (tests post events there); max_frames ends the loop after that many turns."""
    screen = open_window()
    try:
        fonts, clock, frame, changed = make_fonts(), pygame.time.Clock(), 0, True
        while state["running"] and (max_frames is None or frame < max_frames):
            if changed:
                render(screen, state, fonts)
                pygame.display.flip()
                clock.tick(FPS)
            if on_frame is not None:
                on_frame(frame, state)
            events = wait_events(0 if state["teaching"] else    # a teaching step each turn
                                 LIVE_INTERVAL if state["live"] and state["dirty"] else IDLE_WAKE)
            for event in events:
                state = handle_event(state, event)
            before, state = state, refresh(state, time.perf_counter())
            changed, frame = bool(events) or state is not before, frame + 1
    finally:
        pygame.quit()
    return state


def check_outputs(screenshot=None, keep=None, inputs=()):
    """draw.py's outputs, declared and checked at once (fnn.io.files) before any work:
    --screenshot a new image file or an image to replace, --keep a handwriting CSV.
    AppError (one line) otherwise. -> {"screenshot": checked or None, "keep": checked or None}."""
    wanted = {"screenshot": (screenshot, "--screenshot"), "keep": (keep, "--keep")}
    declared = {k: files.declare(path, "digits" if k == "keep" else k, option)
                for k, (path, option) in wanted.items() if path}
    try:
        checked = dict(zip(declared, files.check(list(declared.values()), inputs)))
    except files.WriteError as e:
        raise AppError(str(e)) from None
    if screenshot and os.path.splitext(screenshot)[1].lower() not in SCREENSHOT_TYPES:
        raise AppError(f"{files.shown(screenshot)}: --screenshot needs an image name ending in "
                       f"{', '.join(SCREENSHOT_TYPES)}")
    return {k: checked.get(k) for k in wanted}


def screenshot(model, name, out, digit=3, press="", keep=None, nearest_csv=None):
    """The pad with demo_strokes(digit) drawn on it, saved to the checked image output out (no
    display needed); `press`: keys pressed first, one a character ("g": the gradient view, "b0":
    the X-ray with the label 0, "3k": label 3 and keep it in `keep`, the handwriting CSV, "w7":
    what would make it a 7, "n": the nearest training digits from nearest_csv)."""
    state = new_state(model, name, keep, nearest_csv=nearest_csv)
    state["canvas"] = draw_strokes(state["canvas"], demo_strokes(digit))
    state = update_prediction(state)
    if state["probs"] is None:
        raise AppError(f"{files.shown(name)}: {state['message']}")
    state["mouse"] = (int(CANVAS.x + 7.1 * CELL), int(CANVAS.y + 19.0 * CELL))
    for ch in press.lower():                     # pygame's key codes are the characters' codes
        state = handle_event(state, pygame.event.Event(pygame.KEYDOWN, key=ord(ch), mod=0))
        while state["teaching"] is not None:     # a digit key's teaching, all its steps
            state = teach_step(state)
    surface = pygame.Surface((WIDTH, HEIGHT))
    render(surface, state, make_fonts())
    ext = os.path.splitext(out.path)[1]
    try:
        files.write(out, lambda f: pygame.image.save(surface, f, ext), suffix=ext)
    except files.WriteError as e:
        raise AppError(str(e)) from None
    print(f"wrote {files.shown(out.path)}: predicted {int(state['probs'].argmax())} ({state['probs'].max():.1%})")
