"""The pad's frames: in a window (run: sleep until something happens, then draw the frame
afresh), or once into an image file (screenshot)."""
import os
import sys
import time

import pygame

from fnn.io import files
from fnnapp.views.app import LIVE_INTERVAL, handle_event, new_state, refresh
from fnnapp.views.canvas import demo_strokes, draw_strokes
from fnnapp.views.inputs import AppError
from fnnapp.views.pad import CANVAS, CELL, HEIGHT, WIDTH, render
from fnnapp.views.teaching import update_prediction
from fnnapp.views.theme import make_fonts

FPS = 60                         # at most this many frames a second
IDLE_WAKE = 0.25                 # s the loop sleeps at most when nothing happens
HEADLESS = ("dummy", "offscreen")                  # SDL video drivers that show no window
NO_DISPLAY = ("no display to open the pad on; python draw.py --image FILE prints the "
              "prediction for an image, --screenshot PNG renders the pad to a file")
SCREENSHOT_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".tga")     # what pygame.image.save writes


def open_window():
    """The pad's window; AppError(NO_DISPLAY) where SDL would open an invisible one: on Linux
    with none of DISPLAY, WAYLAND_DISPLAY, SDL_VIDEODRIVER set, or a headless driver unasked."""
    env, problem = os.environ, NO_DISPLAY
    if sys.platform.startswith("linux") and not any(
            env.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")):
        raise AppError(NO_DISPLAY)
    try:
        pygame.display.init()
        if pygame.display.get_driver() not in HEADLESS or env.get("SDL_VIDEODRIVER") in HEADLESS:
            screen = pygame.display.set_mode((WIDTH, HEIGHT))
            pygame.display.set_caption("fnn digit pad")
            return screen
    except pygame.error as e:
        problem = f"cannot open a window ({e}); {NO_DISPLAY}"
    pygame.quit()
    raise AppError(problem)


def wait_events(timeout):
    """The pending pygame events, after sleeping up to `timeout` s for the first. It looks once a
    frame (1/FPS s): pygame.event.wait looks every millisecond, idling at several times the CPU."""
    end = time.perf_counter() + timeout
    events = pygame.event.get()
    while not events and time.perf_counter() < end:
        time.sleep(1 / FPS)
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
            events = wait_events(LIVE_INTERVAL if state["live"] and state["dirty"] else IDLE_WAKE)
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


def screenshot(model, name, out, digit=3, press="", keep=None):
    """The pad with demo_strokes(digit) drawn on it, saved to the checked image output out (no
    display needed); `press`: keys pressed first, one a character ("g": the gradient view, "b0":
    the X-ray with the label 0, "3k": label 3 and keep it in `keep`, the handwriting CSV)."""
    state = new_state(model, name, keep)
    state["canvas"] = draw_strokes(state["canvas"], demo_strokes(digit))
    state = update_prediction(state)
    if state["probs"] is None:
        raise AppError(f"{name}: {state['message']}")
    state["mouse"] = (int(CANVAS.x + 7.1 * CELL), int(CANVAS.y + 19.0 * CELL))
    for ch in press.lower():                     # pygame's key codes are the characters' codes
        state = handle_event(state, pygame.event.Event(pygame.KEYDOWN, key=ord(ch), mod=0))
    surface = pygame.Surface((WIDTH, HEIGHT))
    render(surface, state, make_fonts())
    ext = os.path.splitext(out.path)[1]
    try:
        files.write(out, lambda f: pygame.image.save(surface, f, ext), suffix=ext)
    except files.WriteError as e:
        raise AppError(str(e)) from None
    print(f"wrote {files.shown(out.path)}: predicted {int(state['probs'].argmax())} ({state['probs'].max():.1%})")
