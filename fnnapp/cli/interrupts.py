"""Ctrl-C and SIGTERM in a command line that writes files: exit code 130 for Ctrl-C, 143 for
SIGTERM, one line on stderr, and never a half-written file.

    raise_on_signals()       # Ctrl-C raises KeyboardInterrupt, SIGTERM Terminated (one of them)
    try:
        ...                  # training: `except KeyboardInterrupt` saves the best model so far
    except KeyboardInterrupt as e:
        return exit_code(e)

While the data loads, exit_at_once ends the process at once instead (nothing is written yet);
while the files are written, ignore() lets the save finish.
"""
import contextlib
import os
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, and handled the same way."""


def _terminate(signum, frame):
    raise Terminated


def raise_on_signals():
    """Ctrl-C -> KeyboardInterrupt, SIGTERM -> Terminated, wherever the main thread is."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)


def exit_code(interrupt):
    """143 (128 + SIGTERM) for Terminated, 130 (128 + SIGINT) for Ctrl-C."""
    return 143 if isinstance(interrupt, Terminated) else 130


def _leave(line):
    """A signal handler that writes `line` on stderr and ends the process with 128 + the signal."""
    def leave(signum, frame):
        os.write(2, f"\n{line}\n".encode())
        os._exit(128 + signum)
    return leave


def exit_while_starting(line):
    """Until raise_on_signals: Ctrl-C or SIGTERM ends the process at once, `line` on stderr. A
    command line calls it before its imports: a KeyboardInterrupt raised inside NumPy's import
    of its C parts comes out as an ImportError traceback, not as itself."""
    for s in SIGNALS:
        signal.signal(s, _leave(line))


@contextlib.contextmanager
def exit_at_once(prog, doing):
    """While `doing` (loading data), Ctrl-C or SIGTERM ends the process at once with one line:
    nothing is written yet, and pandas would turn a KeyboardInterrupt raised inside its parser
    into a parse error (and the file would be read again to find the bad line)."""
    leave = _leave(f"{prog}: interrupted while {doing}; nothing written")
    old = {s: signal.signal(s, leave) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def waking(post, every=0.1):
    """While a window blocks in a C library's event wait (pygame.event.wait), where Python's
    signal handlers cannot run, call post() from a thread every `every` s: post puts an event
    the window ignores into its queue, the wait returns, and a pending Ctrl-C or SIGTERM is
    raised within `every` s. Errors of post (the window already closed) are ignored."""
    stop = threading.Event()

    def wake():
        while not stop.wait(every):
            with contextlib.suppress(Exception):
                post()
    thread = threading.Thread(target=wake, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def ignore():
    """From here on, finish writing the files: Ctrl-C and SIGTERM wait until the save is done."""
    for s in SIGNALS:
        signal.signal(s, signal.SIG_IGN)
