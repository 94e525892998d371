"""Hostile input at the command line (issue 14, section 2): outputs that are not model files,
special files as inputs, numbers that overflow, signals, runs that fail without NaN, images
and networks too large for memory. train.main and draw.main run in-process where they can;
signals need a process of their own."""
import fcntl
import gzip
import os
import stat
import struct
import subprocess
import sys
import zlib

import numpy as np
import pygame
import pytest

import draw
import fnn
from fnn.io import files
from fnnapp.cli import image_header
from conftest import Early, one_line, shipped_lines
from fnnapp.views import app, inputs, teaching, window
from fnnapp.views.canvas import is_empty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1", OPENBLAS_NUM_THREADS="1")
QUICK = ["--epochs", "3", "--log-every", "0", "--max-rows", "600"]


def queue_early(d):
    """1,200 training rows (gzipped, as shipped) and 300 test rows in d, and the Ctrl-C runs
    of test_ctrl_c_while_starting_or_loading_is_one_line_exit_130 on them, run in the
    background from the start of the session (conftest.Early)."""
    paths = {"train": d / "train.csv.gz", "test": d / "test.csv"}
    train = "".join(shipped_lines("mnist_train.csv.gz", 1200))
    paths["train"].write_bytes(gzip.compress(train.encode(), compresslevel=1))
    paths["test"].write_text("".join(shipped_lines("mnist_test.csv.gz", 300)))
    data = {k: str(v) for k, v in paths.items()}
    interrupted = {}
    for script, when, sig, _, _ in CTRL_C_CASES:
        out = d / f"{script}-{when}-{sig}"
        out.mkdir()
        args = {"train.py": ["--train", data["train"], "--test", data["test"], "--out", out / "m.npz"],
                "draw.py": ["--image", "x.png"], "playground.py": []}[script]
        if when == "results":
            args = ["--evaluate", os.path.join(ROOT, "data", "mnist_mlp.npz"), "--test", data["test"],
                    "--watch", "--predictions", out / "p.csv", "--errors-png", out / "e.png"]
        elif when == "idle":
            args = []
        interrupted[script, when, sig] = out, Early.command(
            [sys.executable, "-c", HOOK, when, sig, os.path.join(ROOT, script), *args], cwd=ROOT,
            env=ENV, timeout=60)
    return {"data": data, "interrupted": interrupted}


@pytest.fixture
def data(early):
    return early["data"]


@pytest.fixture
def train_main(data, train_in_process):
    """train.main in this process (conftest's train_in_process), on the small CSVs by default."""
    def call(*args, defaults=True):
        return train_in_process(*(["--train", data["train"], "--test", data["test"]] if defaults
                                  else []), *args)
    return call


def existing_model(path, seed=3):
    fnn.save(path, fnn.init_params([784, 8, 10], seed=seed))
    return path


def spawn(script, *args, **kw):
    return subprocess.Popen([sys.executable, *script, *map(str, args)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ---- outputs that are not model files --------------------------------------------------------

def test_out_refuses_a_device_a_fifo_and_other_kinds_before_any_work(train_main, tmp_path):
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    code, out, err = train_main("--out", "/dev/null")
    assert code == 2 and out == ""
    assert one_line(err, "--out", "/dev/null", "character device")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)            # still the device
    fifo = tmp_path / "m.npz"
    os.mkfifo(fifo)
    code, out, err = train_main("--out", fifo)
    assert code == 2 and one_line(err, "--out", fifo, "FIFO")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    picture = tmp_path / "picture.npz"
    with open(os.path.join(ROOT, "data", "mnist_mlp.png"), "rb") as f:
        picture.write_bytes(f.read())
    code, out, err = train_main("--out", picture)
    assert code == 2 and one_line(err, "--out", picture, "holds an image")
    model = existing_model(tmp_path / "ok.npz")                  # its curve path holds a model
    existing_model(tmp_path / "clash.png")
    code, out, err = train_main("--out", tmp_path / "clash.npz")
    assert code == 2 and err[0].endswith("clash.png: holds a model file, not an image; refusing "
                                         "to replace it")
    assert model.exists() and fnn.load(tmp_path / "clash.png")


def test_the_door_allows_a_model_an_empty_file_and_a_new_path_creating_nothing(tmp_path):
    files.check_one(existing_model(tmp_path / "m.npz"), "model")
    (tmp_path / "empty.npz").write_bytes(b"")
    files.check_one(tmp_path / "empty.npz", "model")
    files.check([files.declare(tmp_path / "new" / "sub" / "m.npz", "model"),
                 files.declare(tmp_path / "new" / "sub" / "m.png", "curve_png")])
    assert sorted(os.listdir(tmp_path)) == ["empty.npz", "m.npz"]
    os.symlink("/dev/null", tmp_path / "link.npz")
    with pytest.raises(files.WriteError, match="is a character device"):
        files.check_one(tmp_path / "link.npz", "model")
    with pytest.raises(files.WriteError, match="is a folder"):
        files.check_one(tmp_path, "screenshot")
    with pytest.raises(files.WriteError, match="m.npz is not a folder"):
        files.check_one(tmp_path / "m.npz" / "x.npz", "model")


def test_a_failed_run_creates_no_folder(train_main, tmp_path):
    out = tmp_path / "new" / "sub" / "m.npz"
    code, _, err = train_main("--out", out, "--schedule", "step", "--drop", "1e300")
    assert code == 2 and len(err) == 1
    code, _, err = train_main("--train", tmp_path / "missing.csv", "--out", out)
    assert code == 2 and len(err) == 1 and "no such file" in err[0]
    assert os.listdir(tmp_path) == []


def test_screenshot_refuses_to_replace_a_model(tmp_path, capsys):
    model = tmp_path / "mnist_cnn.npz"
    model.write_bytes(open(os.path.join(ROOT, "data", "mnist_cnn.npz"), "rb").read())
    before = model.read_bytes()
    assert draw.main(["--screenshot", str(model)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"{model}: holds a model file, not an image; refusing to replace it")
    assert model.read_bytes() == before and os.listdir(tmp_path) == ["mnist_cnn.npz"]


def test_replacing_a_model_keeps_its_permissions(tmp_path):
    path = existing_model(tmp_path / "m.npz")
    os.chmod(path, 0o640)
    existing_model(path, seed=4)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_stale_temporaries_go_only_when_no_writer_holds_their_lock(tmp_path):
    """A temporary's writer is alive while it holds the flock on it, whatever its pid says (a pid
    can be another PID namespace's); an unlocked one is a dead writer's."""
    (tmp_path / f".fnn-tmp-{os.getpid()}-dead.npz").write_bytes(b"half")
    live = tmp_path / ".fnn-tmp-1-live.npz"                  # pid 1: some other process's
    live.write_bytes(b"being written")
    with open(live, "rb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        existing_model(tmp_path / "m.npz")
        assert sorted(os.listdir(tmp_path)) == [".fnn-tmp-1-live.npz", "m.npz"]
    existing_model(tmp_path / "m.npz")                        # its writer is gone now
    assert os.listdir(tmp_path) == ["m.npz"]


def test_sigkill_during_a_save_leaves_nothing_after_the_next_save(tmp_path):
    writer = ("import sys, time; from fnn.io import files\n"
              "def slow(f):\n    f.write(b'half'); f.flush(); print('writing', flush=True); time.sleep(60)\n"
              "files.write(files.check_one(sys.argv[1], 'model'), slow)\n")
    p = spawn(["-c", writer], tmp_path / "m.npz")
    try:
        assert p.stdout.readline() == "writing\n"
        assert [n for n in os.listdir(tmp_path) if n.startswith(f".fnn-tmp-{p.pid}-")]
        p.kill()
    finally:
        p.communicate(timeout=30)                   # reaped: the pid is no longer running
    existing_model(tmp_path / "m.npz")
    assert os.listdir(tmp_path) == ["m.npz"]


# ---- special files as inputs -----------------------------------------------------------------

def test_fifo_and_device_inputs_are_refused_without_waiting(train_main, tmp_path, capsys):
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)                                   # nobody writes: reading would hang
    out = tmp_path / "m.npz"
    code, _, err = train_main("--train", fifo, "--out", out)
    assert code == 2 and one_line(err, "--train", fifo, "FIFO")
    code, _, err = train_main("--test", "/dev/zero", "--out", out)
    assert code == 2 and one_line(err, "--test", "/dev/zero", "character device")
    for args in (["--model", str(fifo)], ["--model", "/dev/zero"], ["--image", str(fifo)]):
        assert draw.main(args) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line.endswith("not a regular file")


def test_unreadable_input_is_one_line(train_main, tmp_path, monkeypatch, data, capsys):
    """Root reads every file whatever its mode, so the denial is simulated where fnnapp.cli.paths
    opens the file."""
    real_open = os.open
    denied = {data["test"], os.path.join(ROOT, "data", "mnist_cnn.npz")}

    def deny(path, *a, **kw):
        if os.fspath(path) in denied:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *a, **kw)
    monkeypatch.setattr(os, "open", deny)
    code, _, err = train_main("--out", tmp_path / "m.npz")
    assert code == 2 and one_line(err, "--test", data["test"], "permission denied")
    assert draw.main(["--model", os.path.join(ROOT, "data", "mnist_cnn.npz")]) == 2
    assert capsys.readouterr().err.endswith("mnist_cnn.npz: permission denied: this user may not "
                                            "read it\n")


# ---- numbers that overflow -------------------------------------------------------------------

@pytest.fixture(scope="module")
def huge_model(tmp_path_factory):
    """Finite float32 weights around 1e30: every forward pass overflows to inf and NaN."""
    p = fnn.init_params([784, 32, 10], seed=0)
    path = tmp_path_factory.mktemp("huge") / "huge.npz"
    fnn.save(path, {k: (v + 1) * np.float32(1e30) for k, v in p.items()})
    return str(path)


def digit_png(path):
    s = pygame.Surface((40, 40))
    s.fill((255, 255, 255))
    pygame.draw.line(s, (0, 0, 0), (20, 5), (20, 35), 4)
    pygame.image.save(s, str(path))
    return str(path)


def test_a_model_whose_output_is_not_finite_is_refused_by_every_command(huge_model, tmp_path, capsys,
                                                                        train_main, data):
    image = digit_png(tmp_path / "one.png")
    shot = tmp_path / "shot.png"
    for args in (["--image", image], ["--screenshot", str(shot)], ["--digits", data["test"]], []):
        assert draw.main(["--model", huge_model, *args]) == 2
        assert one_line(capsys.readouterr().err.splitlines(), huge_model, "not finite")
    for args in (["--evaluate", huge_model], ["--init", huge_model, "--out", tmp_path / "m.npz"],
                 ["--calibrate", huge_model]):
        code, out, err = train_main(*args)
        assert code == 2 and one_line(err, huge_model, "not finite")
    assert os.listdir(tmp_path) == ["one.png"]


def test_the_pad_shows_a_prediction_that_is_not_finite_instead_of_crashing(huge_model, monkeypatch):
    """A model can overflow on one drawing and not on the probe (or after teaching): the window
    shows the message. A stroke is drawn and lifted (live prediction), S is pressed."""
    stroke = [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(200, 150), button=1),
              pygame.event.Event(pygame.MOUSEMOTION, pos=(210, 400), rel=(0, 0), buttons=(1, 0, 0)),
              pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(210, 400), button=1),
              pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0, unicode="s", scancode=0)]
    seen = []

    def on_frame(frame, state):
        seen.append(state)
        if frame == 1:
            for ev in stroke:
                pygame.event.post(ev)
    monkeypatch.setattr(window, "IDLE_WAKE", 0.01)          # a frame with no event waits 10 ms
    window.run(app.new_state(fnn.load(huge_model), "huge"), 4, on_frame)
    assert seen[-1]["probs"] is None and seen[-1]["message"] == teaching.NOT_FINITE
    assert not is_empty(seen[-1]["canvas"])


@pytest.mark.parametrize("layers, phrase", [
    ([{"type": "input", "shape": [3, 8, 8]}, {"type": "flatten"}, {"type": "dense", "units": 10},
      {"type": "softmax"}], "maps 192 inputs to 10 outputs"),
    ([784, 8, 5], "maps 784 inputs to 5 outputs"),
    ([{"type": "input", "shape": [784]}, {"type": "dense", "units": 10}, {"type": "sigmoid"}],
     "outputs are sigmoid, not softmax"),
])
def test_a_model_that_is_not_a_digit_model_is_refused_by_every_command(tmp_path, capsys, train_main,
                                                                       data, layers, phrase):
    path = tmp_path / "other.npz"
    net = fnn.layers.as_layers(layers)
    fnn.save(path, fnn.init_params(net, seed=0), net)
    before = path.read_bytes()
    for args in (["--image", digit_png(tmp_path / "one.png")], ["--digits", data["test"]]):
        assert draw.main(["--model", str(path), *args]) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert phrase in line
    for args in (["--evaluate", path], ["--init", path, "--out", tmp_path / "m.npz"],
                 ["--watch", "--compare", path, "--out", tmp_path / "m.npz"], ["--calibrate", path]):
        code, out, err = train_main(*args)
        assert code == 2 and len(err) == 1 and phrase in err[0], err
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["one.png", "other.npz"]


@pytest.mark.parametrize("args, message", [
    (["--schedule", "step", "--drop", "1e300"],
     "--lr 0.002 --schedule step --drop 1e+300 --every 4: the learning rate overflows at epoch 9"),
    (["--schedule", "inverse_time", "--decay", "1e308"],
     "--lr 0.002 --schedule inverse_time --decay 1e+308: the learning rate underflows to 0 at epoch 3"),
])
def test_a_schedule_that_overflows_is_refused(train_main, tmp_path, args, message):
    code, out, err = train_main(*args, "--out", tmp_path / "m.npz")
    assert code == 2 and out == "" and one_line(err, message)


# ---- resource exhaustion: huge images and networks -------------------------------------------

def _png(w, h):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b""))


GIF_1x1 = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
           b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def _huge(fmt, small):
    """The small file of `fmt` with its header declaring 30000 x 30000 pixels."""
    b = bytearray(small)
    if fmt == "png":
        return _png(30000, 30000)
    if fmt == "bmp":
        b[18:26] = struct.pack("<ii", 30000, 30000)
    elif fmt == "tga":
        b[12:16] = struct.pack("<HH", 30000, 30000)
    elif fmt == "gif":                                     # a small screen, a huge first image
        i = b.index(b",")
        b[i + 5:i + 9] = struct.pack("<HH", 30000, 30000)
    elif fmt == "jpg":
        i = b.index(b"\xff\xc0")
        b[i + 5:i + 9] = struct.pack(">HH", 30000, 30000)
    elif fmt == "pnm":
        return b"P5\n# big\n30000 30000\n255\n" + bytes(100)
    return bytes(b)


@pytest.mark.parametrize("fmt", ["png", "bmp", "tga", "jpg", "gif", "pnm"])
def test_image_size_is_read_from_the_header_and_a_huge_one_is_never_decoded(tmp_path, fmt, monkeypatch):
    small = tmp_path / f"small.{fmt}"
    if fmt == "gif":
        small.write_bytes(GIF_1x1)
    elif fmt == "pnm":
        small.write_bytes(b"P5\n# a comment\n3 2\n255\n" + bytes(range(6)))
    else:
        surf = pygame.Surface((37, 23))
        surf.fill((200, 30, 30))
        pygame.image.save(surf, str(small))
    assert image_header.dimensions(small)[1:] == pygame.image.load(str(small)).get_size()
    huge = tmp_path / f"huge.{fmt}"
    huge.write_bytes(_huge(fmt, small.read_bytes()))
    monkeypatch.setattr(pygame.image, "load", lambda *a: pytest.fail("decoded a huge image"))
    with pytest.raises(inputs.AppError, match=r"image is 30000 x 30000 pixels, too large\s+to decode"):
        inputs.read_image(huge)
    state = app.load_dropped(app.new_state(None), str(huge))          # dropped on the window
    assert "too large to decode" in state["message"] and state["probs"] is None


def test_an_image_of_an_unknown_format_is_refused(tmp_path):
    svg = tmp_path / "x.svg"
    svg.write_text('<svg width="30000" height="30000"></svg>')
    with pytest.raises(inputs.AppError, match="not an image draw.py can size before decoding"):
        inputs.read_image(svg)


def test_a_network_that_cannot_fit_in_memory_is_refused_before_init(train_main, tmp_path, monkeypatch):
    monkeypatch.setattr(fnn, "init_params", lambda *a, **k: pytest.fail("allocated the weights"))
    code, out, err = train_main("--hidden", "1000000000", "--out", tmp_path / "m.npz")
    assert code == 2 and out == "" and len(err) == 1
    assert err[0].startswith("train.py: error: the network 784-1000000000-10 relu "
                             "(795,000,000,010 parameters) needs about 30.0 TB to train")


# ---- runs that fail without NaN --------------------------------------------------------------

def _suggested(line):
    return line.split("try --lr ")[1].split(",")[0]


@pytest.mark.parametrize("optimizer, lr, why", [
    ("adam", "100", "the loss stayed far above its start in epoch 1"),
    ("sgd", "0.0001", "validation accuracy"),
])
def test_a_run_that_does_not_learn_fails_and_its_suggestion_trains(train_main, tmp_path, optimizer, lr, why):
    out = existing_model(tmp_path / "m.npz")
    before = out.read_bytes()
    code, stdout, err = train_main("--optimizer", optimizer, "--lr", lr, "--out", out, *QUICK)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"train.py: error: training failed: {why}")
    assert "nothing written; try --lr " in err[0]
    if optimizer == "adam":                                   # stopped at once, not 3 epochs later
        assert [l.split()[1] for l in stdout.splitlines() if l.startswith("epoch ")] == ["1/3"]
    assert out.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["m.npz"]
    code, stdout, err = train_main("--optimizer", optimizer, "--lr", _suggested(err[0]), "--out", out,
                                   *QUICK)
    assert code == 0, err
    assert float(stdout.split("test accuracy ")[1].split("%")[0]) > 50


def test_a_tiny_run_whose_weights_explode_fails(train_main, tmp_path):
    code, _, err = train_main("--max-rows", "50", "--lr", "1e9", "--out", tmp_path / "m.npz",
                              "--log-every", "0")
    assert code == 2 and err[0].startswith("train.py: error: training failed: the loss stayed far "
                                           "above its start in epoch 2")
    assert os.listdir(tmp_path) == []


# ---- signals -----------------------------------------------------------------------------------

# A Ctrl-C at a chosen point: the first time the hooked module is imported, or on the 5th read
# of the gzipped training CSV (inside pandas' parser), this process sends itself SIGINT. Python's
# own SIGINT handler first, as under an interactive shell: a shell that starts pytest as a
# background job starts it, and so this process, with SIGINT ignored.
HOOK = """
import gzip, os, runpy, signal, sys, threading
signal.signal(signal.SIGINT, signal.default_int_handler)
when, sig = sys.argv.pop(1), getattr(signal, sys.argv.pop(1))
script = sys.argv[1]
sys.path.insert(0, os.path.dirname(script))
def send(*_):
    os.kill(os.getpid(), sig)
class Hook:
    def find_spec(self, name, path=None, target=None):
        if name == when:
            send()
        return None
sys.meta_path.insert(0, Hook())
reads, read = [0], gzip.GzipFile.read
def counted(self, *a):
    reads[0] += 1
    if when == "read" and reads[0] == 5:
        send()
    return read(self, *a)
gzip.GzipFile.read = counted
if when == "idle":                    # the pad's window, waiting for events
    from fnnapp.views import window
    wait = window.wait_events
    def wait_then_signal(timeout):
        threading.Timer(0.3, send).start()
        window.wait_events = wait
        return wait(timeout)
    window.wait_events = wait_then_signal
if when == "results":                 # the results view, blocked in pygame.event.wait
    from fnnapp.views import lab
    show = lab.Results._show
    def show_then_signal(self, *a):
        show(self, *a)
        threading.Timer(0.3, send).start()
    lab.Results._show = show_then_signal
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
"""


CTRL_C_CASES = [
    ("train.py", "numpy", "SIGINT", 130, ["train.py: interrupted while starting; nothing written"]),
    ("train.py", "numpy", "SIGTERM", 143, ["train.py: interrupted while starting; nothing written"]),
    ("draw.py", "pygame", "SIGINT", 130, ["draw.py: interrupted"]),
    ("draw.py", "pygame", "SIGTERM", 143, ["draw.py: interrupted"]),
    ("playground.py", "numpy._core._multiarray_umath", "SIGTERM", 143,   # inside NumPy's C import
     ["playground.py: interrupted"]),
    ("train.py", "read", "SIGINT", 130, ["train.py: interrupted while loading the data; nothing written"]),
    ("draw.py", "idle", "SIGTERM", 143, ["draw.py: interrupted"]),
    ("train.py", "results", "SIGTERM", 143, ["train.py: interrupted; wrote {out}/p.csv and {out}/e.png"]),
]


@pytest.mark.parametrize("script, when, sig, code, lines", CTRL_C_CASES)
def test_a_signal_while_starting_loading_idle_or_in_a_view_is_one_line(early, script, when, sig,
                                                                        code, lines):
    """The run of queue_early for this case, in a process of its own, sent a real signal; a
    window loop blocked in a C wait wakes for it."""
    out, run = early["interrupted"][script, when, sig]
    r = run.result()
    assert r.returncode == code and r.stderr.strip().splitlines() == [
        line.format(out=out) for line in lines]
    assert sorted(os.listdir(out)) == (["e.png", "p.csv"] if when == "results" else [])
