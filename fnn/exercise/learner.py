"""The learner's file, kept at arm's length: imported by path, every call bounded in time, and
every problem said in one line that points into the learner's own file, never into fnn.

    module = load("my_network.py")                   # LoadError: the file cannot be used at all
    AL, cache = call(module, "forward", params, X)   # NotWritten, Raised: one line each
"""
import contextlib
import importlib.util
import operator
import os
import re
import signal
import sys
import threading
import time
import traceback
import warnings

import numpy as np

FUNCTIONS = ("init_params", "forward", "backward", "update")
IMPORT_SECONDS = 10.0          # importing the file
CALL_SECONDS = 10.0            # one call of one of its functions (the checker's are small)
GRACE_SECONDS = 5.0            # after its time, a file that ignores SIGALRM ends the process
PRINT_CHARS = 64 * 1024        # what the file may print in all (then the rest is left out)
SHARED = ("builtins", "numpy", "numpy.linalg", "numpy.random")   # modules fnn uses with it


class LoadError(Exception):
    """The file cannot be checked: missing, a syntax error, an import that fails, a function
    missing (exit code 2)."""


class NotWritten(Exception):
    """The function still raises the template's NotImplementedError."""


class Raised(Exception):
    """The learner's function raised; str(e) is one line ending with the learner's file and line."""


class Tampered(Exception):
    """The learner's code rebound a name of a module fnn shares with it (numpy.argmax = ...)."""


class TooSlow(BaseException):
    """Raised into the learner's code when a call overruns its time (BaseException: a bare
    `except Exception` in their code does not swallow it)."""


def load(path):
    """Import the Python file at `path` as a fresh module and check it has the four functions."""
    if not os.path.isfile(path):
        raise LoadError(f"{path}: " + ("not a regular file (a folder, FIFO or device)"
                                       if os.path.exists(path) else "no such file"))
    name = "fnn_exercise_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not a Python file (the name must end in .py)")
    module = importlib.util.module_from_spec(spec)
    module.__fnn_path__, module.__fnn_shared__ = path, _shared()
    module.__fnn_stdout__ = _Capped(sys.stdout, PRINT_CHARS)
    try:
        with time_limit(IMPORT_SECONDS, f"{path}: importing it"), _kept_apart(module):
            spec.loader.exec_module(module)
    except SyntaxError as e:
        raise LoadError(f"{path}:{e.lineno}: {type(e).__name__}: {e.msg}") from None
    except Tampered as e:
        raise LoadError(f"{path}: importing it {e}") from None
    except (Exception, SystemExit, TooSlow) as e:
        raise LoadError(f"{path}: importing it raised {describe(e, path)}") from None
    missing = [f for f in FUNCTIONS if not callable(getattr(module, f, None))]
    if missing:
        raise LoadError(f"{path}: no function {missing[0]}(): the file needs "
                        f"{', '.join(FUNCTIONS)} (see exercises/network.py)")
    return module


def call(module, name, *args, seconds=None):
    """module.name(*args) with NumPy's overflow warnings silenced (the checker looks at the
    numbers) and a time bound (seconds, default CALL_SECONDS). NotImplementedError -> NotWritten; any other exception -> Raised."""
    try:
        with time_limit(seconds or CALL_SECONDS, f"{module.__fnn_path__}: {name}"), \
                _kept_apart(module), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return getattr(module, name)(*args)
    except NotImplementedError:
        raise NotWritten(f"{name}: not written yet (NotImplementedError)") from None
    except Tampered as e:
        raise Raised(f"{name} {e}") from None
    except (Exception, SystemExit, TooSlow) as e:            # sys.exit() in their code: a bug there
        raise Raised(f"{name} raised {describe(e, module.__fnn_path__)}") from None


def describe(e, path):
    """'ValueError: ... (at my_network.py:41: dA = W @ dZ)': the exception and the last line of
    the learner's file it passed through, not fnn's or NumPy's traceback."""
    what = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    if isinstance(e, TooSlow):
        what = f"no result: {e}"
    mine = [f for f in traceback.extract_tb(e.__traceback__) if _same_file(f.filename, path)]
    if not mine:
        return what
    last = mine[-1]
    return f"{what} (at {path}:{last.lineno}: {(last.line or '').strip()})"


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@contextlib.contextmanager
def time_limit(seconds, what="the learner's code"):
    """Raise TooSlow into the code running in this block after `seconds` (SIGALRM: the main
    thread on Unix only; elsewhere no bound). Code stuck inside one NumPy call is interrupted
    when that call returns. Code that takes SIGALRM, SIGINT or SIGTERM for itself gets fnn's
    handlers back at the end of the block; code that ignores the alarm and is still running
    GRACE_SECONDS later ends the process: one line naming `what` on stderr, exit code 2 (the
    files fnn writes are atomic, so none is left half-written)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TooSlow(f"still running after {seconds:g} s (an endless loop?)")

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    previous = signal.signal(signal.SIGALRM, expire)
    _WATCHDOG.arm(seconds + GRACE_SECONDS, what)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        _WATCHDOG.disarm()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        for s, handler in saved.items():
            if handler is not None:
                signal.signal(s, handler)


class _Watchdog:
    """One daemon thread serving every time_limit block: when an armed block is still running
    at its deadline, it writes one line to stderr and ends the process with exit code 2 (one
    thread for all blocks: a thread each would slow every training step)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.deadline, self.what, self.started = None, "", False

    def arm(self, seconds, what):
        with self.cond:
            self.deadline, self.what = time.monotonic() + seconds, what
            self.seconds = seconds
            if not self.started:
                threading.Thread(target=self._watch, daemon=True, name="fnn-learner-watchdog").start()
                self.started = True
            self.cond.notify()

    def disarm(self):
        with self.cond:
            self.deadline = None

    def _watch(self):
        with self.cond:
            while True:
                left = None if self.deadline is None else self.deadline - time.monotonic()
                if left is not None and left <= 0:
                    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "fnn"
                    os.write(2, f"\n{prog}: error: {self.what} is still running {self.seconds:g} s "
                                f"after it began and ignores the time limit (SIGALRM); stopped\n"
                                .encode("utf-8", "backslashreplace"))
                    os._exit(2)
                self.cond.wait(left)


_WATCHDOG = _Watchdog()


def _shared():
    """{module name: a copy of its namespace} of the SHARED modules: what _kept_apart restores."""
    return {name: dict(vars(sys.modules[name])) for name in SHARED if name in sys.modules}


@contextlib.contextmanager
def _kept_apart(module):
    """Run the learner's code with its prints capped (PRINT_CHARS in all) and, afterwards, every
    name it rebound or deleted in numpy or builtins, sys.stderr and the working folder put
    back: fnn runs in the same process and uses them too (a relative --out would land in the
    folder it moved to). Tampered (after the restore) names the first such change."""
    folder, stderr = os.getcwd(), sys.stderr
    with contextlib.redirect_stdout(module.__fnn_stdout__):
        try:
            yield
        finally:
            changed = []
            if sys.stderr is not stderr:
                sys.stderr = stderr
                changed.append("sys.stderr")
            if os.getcwd() != folder:
                os.chdir(folder)
                changed.append("the working folder (os.chdir)")
            for name, saved in module.__fnn_shared__.items():
                now = vars(sys.modules[name])
                if len(now) == len(saved) and all(map(operator.is_, now.values(), saved.values())):
                    continue                                 # the same names, in order: untouched
                for key, value in saved.items():
                    if now.get(key, saved) is not value:
                        now[key] = value
                        changed.append(f"{name}.{key}")
                saved.update(now)                            # names added (a submodule loaded)
    if changed:
        raise Tampered(f"changed {changed[0]}, which fnn uses too; leave numpy and Python's "
                       f"builtins as they are (use your own names)")


class _Capped:
    """A text stream that passes on the first `chars` characters written to it, then one line
    saying the rest is left out: a print in a loop of the learner's cannot flood the terminal."""

    def __init__(self, stream, chars):
        self.stream, self.left = stream, chars

    def write(self, s):
        if self.left > 0:
            self.stream.write(s[:self.left])
            if len(s) > self.left:
                self.stream.write("\n[fnn: the rest of what your file prints is left out]\n")
            self.left -= len(s)
        return len(s)

    def flush(self):
        self.stream.flush()
