"""Shared test setup: the repo root on sys.path, one BLAS thread, headless pygame, MNIST slices,
train.main in-process, and slow command lines run in the background (Early)."""
import gzip
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# One BLAS thread unless the environment says otherwise, set before NumPy loads, as train.py
# sets it for itself: train.main run in this process then computes as `python train.py` does,
# and the tests' many small products do not wait on a second thread (on 2 cores it made the
# suite slower, and much slower while anything else ran).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from fnn.io.data import load_csv  # noqa: E402  (after the sys.path line)
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

DATA = ROOT / "data"


def _read_slice(name, rows):
    return load_csv(DATA / name, max_rows=rows)


def shipped_lines(name, rows):
    """The header line and the first `rows` rows of data/NAME as they are in the file (text,
    line ends kept), for tests that write small CSVs in the shipped format without parsing and
    formatting them again."""
    with gzip.open(DATA / name, "rt", newline="") as f:
        return [line for line, _ in zip(f, range(rows + 1))]


@pytest.fixture(scope="session")
def mnist_train_slice():
    """The first 6,000 training images: X (784, 6000) float32 in [0, 1], y (6000,)."""
    return _read_slice("mnist_train.csv.gz", 6000)


@pytest.fixture(scope="session")
def mnist_test_slice():
    """The first 2,000 test images: X (784, 2000), y (2000,)."""
    return _read_slice("mnist_test.csv.gz", 2000)


@pytest.fixture
def train_in_process(capsys):
    """train.main(args) in this process -> (exit code, stdout, stderr lines), the signal
    handlers main installs put back afterwards. No interpreter start and no imports, for tests
    of what main decides; subprocess tests show the real command line ends the same way."""
    import train
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def call(*args):
        try:
            code = train.main(list(map(str, args)))
        finally:
            for s, h in saved.items():
                signal.signal(s, h)
        out, err = capsys.readouterr()
        return code, out, err.splitlines()
    return call


# ---- slow command lines, run in the background from the start of the session -----------------

class Early:
    """f(*args, **kwargs) queued as the session starts and run in a background thread, one at
    a time in the order queued, while pytest collects and runs the other tests: slow command
    lines then run on the core pytest leaves idle. result() waits for it and returns what f
    returned (or raises what it raised); Early.command(args, ...) queues a plain command line.

    A test file queues its slow command lines that need nothing from other tests in a function
    queue_early(d) (d: a new folder for their files) that returns what its tests need;
    pytest_itemcollected calls it when pytest has collected the file's first test, file after
    file in the order they run, so a file's commands are usually done when its tests get there;
    a test gets what queue_early returned from the `early` fixture."""

    queue, lock = [], threading.Lock()

    def __init__(self, f, *args, **kwargs):
        self.work = f, args, kwargs
        self.started, self.finished, self.value = False, threading.Event(), None
        Early.queue.append(self)

    @classmethod
    def command(cls, args, **popen):
        """completed(args, **popen), queued; in this moment's folder and environment unless
        given (not those of when it runs)."""
        popen.setdefault("cwd", os.getcwd())
        popen.setdefault("env", dict(os.environ))
        return cls(completed, args, **popen)

    def result(self, timeout=300):
        """What f returned; when the background thread has not got to it yet (a test asks
        early, or runs alone with -k), f runs here and now."""
        self.run()
        assert self.finished.wait(timeout), f"{self.work} did not end within {timeout} s"
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value

    def run(self):
        """Run f unless it has started already (here or in the other thread)."""
        with Early.lock:
            if self.started:
                return
            self.started = True
        f, args, kwargs = self.work
        try:
            self.value = f(*args, **kwargs)
        except BaseException as e:             # the test that waits for it raises it
            self.value = e
        self.finished.set()


def completed(args, timeout=None, **popen):
    """subprocess.run(args, **popen) -> CompletedProcess (text), the output kept in temporary
    files (a pipe nobody reads yet could fill up and stop the process)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with Early.lock:                      # started and known, or not started: never left
            if _background["stop"].is_set():
                raise RuntimeError("the session has ended")
            p = subprocess.Popen([str(a) for a in args], stdout=out, stderr=err, **popen)
            _background["running"].add(p)
        with p:
            try:
                code = p.wait(timeout)
            finally:
                p.kill()                      # no-op unless the timeout expired
                _background["running"].discard(p)
        text = []
        for f in (out, err):
            f.seek(0)
            text.append(f.read().decode())
    return subprocess.CompletedProcess(args, code, *text)


_queued = {}                                  # test module name -> what its queue_early returned
_background = {"dirs": [], "stop": threading.Event(), "thread": None, "running": set()}


def _run_queue():
    done = 0
    while not _background["stop"].is_set():
        with Early.lock:
            if done == len(Early.queue):             # all queued so far has run: the thread ends
                _background["thread"] = None
                return
        Early.queue[done].run()
        done += 1


def pytest_itemcollected(item):
    """The first time pytest collects a test of a file, queue that file's slow command lines
    (its queue_early), so that the background thread starts on them while pytest collects the
    other files."""
    module = getattr(item, "module", None)
    if module is None or module.__name__ in _queued or not hasattr(module, "queue_early") \
            or item.config.option.collectonly:
        return
    d = Path(tempfile.mkdtemp(prefix="fnn-early-"))
    _background["dirs"].append(d)
    try:
        _queued[module.__name__] = module.queue_early(d)
    except Exception as e:                     # its tests fail with it (the `early` fixture)
        _queued[module.__name__] = e
    with Early.lock:
        if _background["thread"] is None:
            _background["thread"] = threading.Thread(target=_run_queue, daemon=True)
            _background["thread"].start()


def pytest_sessionfinish(session):
    """What is queued and not started is dropped, what runs is stopped: no process is left."""
    with Early.lock:
        _background["stop"].set()
        for p in _background["running"]:
            p.kill()
    thread = _background["thread"]
    if thread is not None:
        thread.join(timeout=300)
    for d in _background["dirs"]:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def early(request):
    """What this test file's queue_early(d) returned (see Early)."""
    value = _queued[request.module.__name__]
    if isinstance(value, Exception):
        raise value
    return value
