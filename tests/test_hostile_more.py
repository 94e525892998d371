"""Hostile input at the command lines that landed after the one door (issue 23's red-team pass):
--calibrate, the nearest-digits cache beside a model, --impl learners, empty file names.
Each test is written from the class of failure: exit code or error, a key phrase, and that
nothing was written or grew large."""
import io
import json
import os
import re
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from fnn.analysis import nearest
from fnn.exercise import learner


def _npy_header(shape, dtype):
    """The bytes of a .npy header declaring `shape` and `dtype`, with no data after it."""
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                             "shape": shape})
    return f.getvalue()


def _cache(path, rows, declared_rows, dim=8):
    """A nearest-digits cache whose header says `rows` digits and whose members declare
    `declared_rows` (their data left out: only the headers are read before the check)."""
    header = json.dumps({"format": nearest.FORMAT, "version": nearest.VERSION, "model": "m",
                         "csv": "c", "csv_name": "t.csv", "rows": rows, "dim": dim})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(nearest.HEADER + ".npy", _npy_bytes(np.array(header)))
        n = declared_rows
        for key, shape, dtype in (("features", (n, dim), np.float16), ("labels", (n,), np.uint8),
                                  ("images", (n, 784), np.uint8), ("d_max", (), np.float32)):
            z.writestr(key + ".npy", _npy_header(shape, dtype))


def _npy_bytes(a):
    f = io.BytesIO()
    np.save(f, a)
    return f.getvalue()


@pytest.mark.parametrize("rows, declared, phrase", [
    (2_000_000, 2_000_000, "more than the 256 MiB a cache may take"),   # 1.7 GB of zeros: a few KB
    (10, 2_000_000, "arrays do not match its header"),                  # a header that lies
])
def test_a_cache_is_sized_from_its_headers_before_any_array_is_read(tmp_path, rows, declared, phrase):
    path = str(tmp_path / "m.nearest.npz")
    _cache(path, rows, declared)
    with pytest.raises(nearest.CacheError, match=phrase):
        nearest.load_cache(path, "m", "c")
    assert nearest.load_cache(path, "another model", "c") is None       # stale: arrays never read


def test_a_fifo_as_the_cache_or_its_csv_is_refused_without_waiting(tmp_path):
    fifo = str(tmp_path / "m.nearest.npz")
    os.mkfifo(fifo)
    with pytest.raises(nearest.CacheError, match="FIFO"):
        nearest.load_cache(fifo, "m", "c")
    with pytest.raises(nearest.CacheError, match="FIFO"):
        nearest.file_hash(fifo)


# ---- a learner's file (--impl, python -m fnn.exercise) that misbehaves ------------------------

SOLUTION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exercise_solution.py")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1")


def learner_file(tmp_path, extra, name="mine.py"):
    path = tmp_path / name
    path.write_text(open(SOLUTION).read() + "\n" + extra + "\n")
    return str(path)


def test_sys_exit_in_a_learners_function_is_their_error_not_the_end(tmp_path):
    path = learner_file(tmp_path, "def forward(params, X):\n    import sys; sys.exit(0)")
    module = learner.load(path)
    with pytest.raises(learner.Raised, match="forward raised SystemExit"):
        learner.call(module, "forward", {}, np.zeros((784, 1)))


def test_a_learner_cannot_keep_the_signal_handlers_it_sets(tmp_path):
    path = learner_file(tmp_path, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                  "signal.signal(signal.SIGTERM, signal.SIG_IGN)")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    learner.load(path)
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_learner_that_ignores_the_time_limit_ends_the_run_in_one_line(tmp_path):
    path = learner_file(tmp_path, "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                  "while True:\n    pass")
    code = ("import sys; from fnn.exercise import learner; learner.IMPORT_SECONDS = 0.2; "
            "learner.GRACE_SECONDS = 0.3; learner.load(sys.argv[1]); print('returned')")
    done = subprocess.run([sys.executable, "-c", code, path], env=ENV, capture_output=True,
                          text=True, timeout=30)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "ignores the time limit" in lines[0], done.stderr
    assert path in lines[0] and "returned" not in done.stdout


def test_ctrl_c_in_the_exercise_checker_is_one_line(tmp_path):
    path = learner_file(tmp_path, "def forward(params, X):\n    raise KeyboardInterrupt")
    done = subprocess.run([sys.executable, "-m", "fnn.exercise", path], env=ENV, capture_output=True,
                          text=True, timeout=60)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 130 and lines == ["fnn.exercise: interrupted"], done.stderr


@pytest.mark.parametrize("where, patch", [
    ("import", "import numpy\nnumpy.argmax = None"),
    ("import", "import builtins\nbuiltins.print = None"),
    ("call", "import numpy\n_f = forward\ndef forward(p, X):\n    numpy.savez = lambda *a, **k: None\n"
             "    return _f(p, X)"),
    ("import", "import os\nos.chdir('/')"),
    ("import", "import sys\nsys.stderr = None"),
])
def test_a_learner_cannot_change_what_fnn_shares_with_it(tmp_path, where, patch):
    import builtins
    kept, folder, err = (np.argmax, np.savez, builtins.print), os.getcwd(), sys.stderr
    path = learner_file(tmp_path, patch)
    if where == "import":
        with pytest.raises(learner.LoadError, match=r"changed (numpy\.|builtins\.|sys\.stderr|the working)"):
            learner.load(path)
    else:
        module = learner.load(path)
        params = learner.call(module, "init_params", [784, 4, 10], 0)
        with pytest.raises(learner.Raised, match=r"forward changed numpy\.savez"):
            learner.call(module, "forward", params, np.zeros((784, 2)))
    assert (np.argmax, np.savez, builtins.print) == kept and os.getcwd() == folder and sys.stderr is err


def test_what_a_learner_prints_is_capped(tmp_path, capsys):
    path = learner_file(tmp_path, 'print("x" * 10_000_000)')
    learner.load(path)
    out = capsys.readouterr().out
    assert len(out) < 2 * learner.PRINT_CHARS and "left out" in out


# ---- an empty file name is not "not given" ---------------------------------------------------

@pytest.mark.parametrize("script, args", [
    ("train", ["--out", ""]), ("train", ["--evaluate", "m.npz", "--predictions", ""]),
    ("draw", ["--keep", ""]), ("draw", ["--screenshot", ""]), ("draw", ["--image", ""]),
    ("playground", ["--save", ""]),
])
def test_an_empty_file_name_is_refused_not_taken_as_the_default(script, args, tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(signal, "signal", lambda *a: None)          # main's handlers: not pytest's
    module = __import__(script)
    with pytest.raises(SystemExit) as e:
        module.parse_args(args) if script != "train" else module.build_parser().parse_args(args)
    assert e.value.code == 2 and "expected a non-empty value, got ''" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


# ---- outputs onto an input, a run that diverges ------------------------------------------------

@pytest.mark.parametrize("name, args", [
    ("mine.csv", ["--keep", "{csv}", "--screenshot", "{d}/s.png", "--press", "3k"]),
    ("mine.png", ["--screenshot", "{csv}"]),
])
def test_keep_and_screenshot_never_write_the_nearest_csv(tmp_path, capsys, name, args):
    import draw
    csv = tmp_path / name
    csv.write_text("label," + ",".join(f"1x{i}" for i in range(1, 785)) + "\n")
    before = csv.read_bytes()
    args = [a.format(csv=csv, d=tmp_path) for a in args]
    assert draw.main(["--nearest-csv", str(csv), *args]) == 2
    assert "overwrite the input" in capsys.readouterr().err
    assert csv.read_bytes() == before and os.listdir(tmp_path) == [name]


def test_a_playground_run_that_diverges_fails_in_one_line_writing_nothing(tmp_path, capsys):
    import playground
    out = tmp_path / "p.npz"
    code = playground.main(["--steps", "5", "--reg", "l2", "--reg-rate", "1e308", "--save", str(out)])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1 and "diverged" in err[0] and not out.exists()


@pytest.mark.parametrize("patch, phrase", [
    ("def forward(params, X):\n    return None", "forward returned NoneType, not the pair"),
    ("_f = forward\ndef forward(params, X):\n    return _f(params, X)[0][:3], None", "not floats of shape (10, 2)"),
    ("def update(params, grads, lr):\n    return [1, 2]", "update returned list"),
    ("def update(params, grads, lr):\n    return {k: v.astype(object) for k, v in params.items()}",
     "update returned W1 of shape (4, 784) (object)"),
])
def test_what_a_learners_step_returns_is_checked_before_the_loop_uses_it(tmp_path, patch, phrase):
    """The checker saw the functions behave; a step later they may not (here: from the start).
    train.py --impl and playground.py --impl take each step through impl.step."""
    from fnnapp.cli import impl
    module = learner.load(learner_file(tmp_path, patch))
    params = impl.init_params(module, [{"type": "input", "shape": [784]}, {"type": "dense", "units": 4},
                                       {"type": "relu"}, {"type": "dense", "units": 10},
                                       {"type": "softmax"}], 0)
    Y = np.eye(10, 2, dtype=np.float32)
    with pytest.raises(impl.ImplError, match=re.escape(phrase)):
        impl.step(module, params, np.zeros((784, 2), np.float32), Y, 0.1)


def test_a_default_out_steps_past_a_dangling_symlink(tmp_path):
    from fnnapp.cli import run
    (tmp_path / "mnist_mlp.png").symlink_to(tmp_path / "nowhere")
    assert run.numbered(str(tmp_path / "mnist_mlp.npz")) == str(tmp_path / "mnist_mlp-2.npz")


def test_errors_png_without_evaluate_is_refused_not_ignored(train_in_process, tmp_path):
    code, out, err = train_in_process("--errors-png", tmp_path / "e.png", "--out", tmp_path / "m.npz")
    assert code == 2 and len(err) == 1 and "--errors-png needs --evaluate" in err[0]
    assert os.listdir(tmp_path) == []
