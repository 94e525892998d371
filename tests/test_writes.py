"""Every file a command writes goes through one door (fnn.io.files), issue 23: each class of
hostile output path is refused before any work, in one line, exit code 2, with every file
left byte for byte and stat for stat as it was; and the inputs, limits and failures that used
to be found after the work are found before it."""
import errno
import gzip
import os
import signal
import stat
import time

import numpy as np
import pygame
import pytest

import draw
import fnn
import train
from conftest import shipped_lines
from fnn.io import files
from fnnapp.cli import memory
from fnnapp.views import inputs, lab

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLP = os.path.join(ROOT, "data", "mnist_mlp.npz")


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """A folder of one file of each kind an output might meet, and the run's inputs."""
    d = tmp_path_factory.mktemp("victims")
    (d / "test.csv").write_text("".join(shipped_lines("mnist_test.csv.gz", 200)))
    (d / "train.csv.gz").write_bytes(gzip.compress("".join(shipped_lines("mnist_train.csv.gz", 400)).encode()))
    fnn.save(d / "model.npz", fnn.init_params([784, 8, 10], seed=0))
    (d / "mine.csv").write_text("label," + ",".join(f"{i}x{j}" for i in range(1, 29)
                                                     for j in range(1, 29)) + "\n")
    (d / "preds.csv").write_text("ImageId,Label\n1,7\n")
    np.savez(d / "dataset.npz", X=np.zeros(3))                  # a zip, not a model
    (d / "backup.zip").write_bytes((d / "dataset.npz").read_bytes())
    (d / "picture.png").write_bytes(open(os.path.join(ROOT, "data", "mnist_mlp.png"), "rb").read())
    (d / "notes.txt").write_text("my notes\n")
    os.mkfifo(d / "fifo.csv")
    os.symlink("loop.csv", d / "loop.csv")
    os.symlink(d / "nowhere", d / "gone")                       # a folder that is not there
    return d


def state(folder):
    """Every name in folder with its bytes (regular files) and its stat: what must not change."""
    out = {}
    for name in sorted(os.listdir(folder)):
        st = os.lstat(folder / name)
        data = (folder / name).read_bytes() if stat.S_ISREG(st.st_mode) else None
        out[name] = (data, st.st_mode, st.st_ino, st.st_uid, st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def run(d, train_in_process, capsys):
    """run("train.py"|"draw.py", *args) -> (code, stderr lines), checking nothing in d changed."""
    def call(script, *args):
        before = state(d)
        if script == "train.py":
            code, _, err = train_in_process(*args)
        else:
            code = draw.main([str(a) for a in args])
            err = capsys.readouterr().err.splitlines()
        assert state(d) == before
        return code, err
    return call


# ---- outputs: each replaces only its own kind, never a special file, an input, or each other ----

EVALUATE = ["--evaluate", "{d}/model.npz", "--test", "{d}/test.csv"]
TRAIN = ["--train", "{d}/train.csv.gz", "--test", "{d}/test.csv", "--epochs", "1"]
CASES = [      # (script, arguments, key phrase): one class of hostile output each
    ("train.py", EVALUATE + ["--predictions", "/dev/null"], "is a character device"),
    ("train.py", EVALUATE + ["--predictions", "{d}/fifo.csv"], "is a FIFO"),
    ("train.py", EVALUATE + ["--predictions", "{d}/test.csv"], "would overwrite the input"),
    ("train.py", EVALUATE + ["--predictions", "{d}/train.csv.gz"], "holds other data, not a predictions CSV"),
    ("train.py", EVALUATE + ["--predictions", "{d}/model.npz"], "would overwrite the input"),
    ("train.py", EVALUATE + ["--predictions", "{d}/mine.csv"], "holds a handwriting CSV, not a predictions"),
    ("train.py", EVALUATE + ["--predictions", "{d}/loop.csv"], "symlink loop"),
    ("train.py", EVALUATE + ["--predictions", "{d}/gone/p.csv"], "is a symlink to nothing"),
    ("train.py", EVALUATE + ["--predictions", "{d}/o.png", "--errors-png", "{d}/o.png"], "writes the same file"),
    ("train.py", EVALUATE + ["--errors-png", "{d}/preds.csv"], "holds a predictions CSV, not an image"),
    ("train.py", TRAIN + ["--out", "{d}/mine.npz"], "holds a handwriting CSV, not a curve CSV"),
    ("train.py", TRAIN + ["--out", "{d}/m.csv"], "writes the same file"),
    ("train.py", TRAIN + ["--out", "{d}/backup.zip"], "holds other data, not a model file"),
    ("train.py", TRAIN + ["--out", "{d}/dataset.npz"], "holds other data, not a model file"),
    ("train.py", TRAIN + ["--out", "{d}/notes.txt"], "holds other data, not a model file"),
    ("train.py", TRAIN + ["--watch", "--compare", "{d}/model.npz", "--out", "{d}/model.npz"],
     "would overwrite the input"),
    ("draw.py", ["--screenshot", "{d}/preds.png", "--keep", "{d}/preds.png"], "writes the same file"),
    ("draw.py", ["--screenshot", "{d}/s.png", "--keep", "{d}/picture.png"], "holds an image, not a handwriting"),
    ("draw.py", ["--screenshot", "{d}/s.png", "--keep", "{d}/preds.csv"], "holds a predictions CSV"),
    ("draw.py", ["--model", "{d}/model.npz", "--keep", "{d}/model.npz"], "would overwrite the input"),
]


@pytest.mark.parametrize("script, args, phrase", CASES, ids=[c[2] + str(i) for i, c in enumerate(CASES)])
def test_an_output_that_must_not_be_written_is_refused_before_any_work(run, d, monkeypatch, script,
                                                                      args, phrase):
    monkeypatch.setattr(fnn.io.data, "load_csv", lambda *a, **k: pytest.fail("read the data"))
    code, err = run(script, *[a.format(d=d) for a in args])
    assert code == 2 and len(err) == 1 and phrase in err[0], err


def test_a_new_output_goes_through_the_door_or_not_at_all(tmp_path):
    with pytest.raises(TypeError):
        files.write(str(tmp_path / "x.csv"), lambda f: f.write(b"x"))
    with pytest.raises(TypeError):
        files.write(files.declare(tmp_path / "x.csv", "predictions"), lambda f: f.write(b"x"))
    with pytest.raises(ValueError, match="unknown output kind"):
        files.declare(tmp_path / "x.csv", "anything")
    out = files.check_one(tmp_path / "p.csv", "predictions")
    (tmp_path / "p.csv").write_bytes(open(MLP, "rb").read())   # swapped in during the work
    with pytest.raises(files.WriteError, match="holds a model file"):
        files.write(out, lambda f: f.write(b"ImageId,Label\n"))
    assert (tmp_path / "p.csv").read_bytes() == open(MLP, "rb").read()
    assert os.listdir(tmp_path) == ["p.csv"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_a_replaced_file_keeps_its_owner_and_mode(tmp_path):
    path = tmp_path / "m.npz"
    fnn.save(path, fnn.init_params([784, 8, 10], seed=0))
    os.chown(path, 12345, 23456)
    os.chmod(path, 0o604)
    fnn.save(path, fnn.init_params([784, 8, 10], seed=1))
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 23456, 0o604)


@pytest.fixture
def signals_kept():
    """The signal handlers train.main and draw.main install, put back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


def test_a_c_library_error_or_a_full_disk_is_one_line_and_leaves_the_old_file(d, tmp_path, monkeypatch,
                                                                            capfd, signals_kept):
    """pygame.error has no strerror; libpng prints its own lines on fd 2 before failing."""
    def fails(*a, **k):
        os.write(2, b"libpng error: Write Error\n")
        raise pygame.error("Error writing to datastream")
    monkeypatch.setattr(pygame.image, "save", fails)
    png = tmp_path / "e.png"
    png.write_bytes((d / "picture.png").read_bytes())
    capfd.readouterr()
    code = train.main(["--evaluate", MLP, "--test", str(d / "test.csv"), "--errors-png", str(png),
                       "--max-rows", "50"])
    err = capfd.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1 and "e.png: cannot write an image (Error writing" in err[0]
    assert png.read_bytes() == (d / "picture.png").read_bytes() and os.listdir(tmp_path) == ["e.png"]

    def full(*a):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(files.WriteError, match="No space left on device"):
        files.write(files.check_one(png, "errors_png"), lambda f: f.write(b"\x89PNG\r\n\x1a\n"))
    assert os.listdir(tmp_path) == ["e.png"]


def test_file_names_that_are_not_utf8_print_escaped(d, tmp_path, capfd, signals_kept):
    name = os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xff.png")
    with open(name, "wb") as f:
        f.write(open(os.path.join(ROOT, "data", "mnist_mlp.png"), "rb").read()[:300])   # cut short
    capfd.readouterr()
    assert draw.main(["--image", name]) == 2
    err = capfd.readouterr().err.splitlines()             # libpng's own lines silenced
    assert len(err) == 1 and "\\xff.png: cannot read the image" in err[0], err
    model = os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xfe.npz")         # drawn in a title too
    with open(model, "wb") as f:
        f.write(open(MLP, "rb").read())
    assert train.main(["--evaluate", model, "--test", str(d / "test.csv"), "--max-rows", "50"]) == 0
    out = capfd.readouterr().out
    assert "saved confusion matrix and mistakes " in out and "\\xfe_errors.png" in out


# ---- inputs, limits and failures found before the work ---------------------------------------

def test_limits_of_a_saved_model_and_of_file_k_are_checked_before_training(run, d, tmp_path, monkeypatch):
    monkeypatch.setattr(fnn, "init_params", lambda *a, **k: pytest.fail("trained"))
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 50)    # memory is not the limit here
    out = ["--train", d / "train.csv.gz", "--test", d / "test.csv", "--out", tmp_path / "m.npz"]
    code, err = run("train.py", *out, "--hidden", "8200,8200")
    assert code == 2 and "more than the 67,108,864 a model file may hold; nothing trained" in err[0]
    code, err = run("train.py", *out, *["--lr-change", "1:1.00000000001"] * 3000)
    assert code == 2 and "at most 65,536 characters" in err[0]
    monkeypatch.setattr(memory, "available_bytes", lambda: 8 << 30)
    start = time.perf_counter()
    code, err = run("train.py", "--train", f"{d / 'test.csv'}:1000000000", *out[2:])
    assert code == 2 and len(err) == 1 and "choose a smaller K" in err[0]
    assert time.perf_counter() - start < 10 and os.listdir(tmp_path) == []


def test_one_label_and_a_run_that_does_not_learn_without_validation_data_fail(run, d, tmp_path):
    lines = shipped_lines("mnist_test.csv.gz", 200)
    one = tmp_path / "sevens.csv"
    one.write_text("".join([lines[0]] + [l for l in lines[1:] if l.startswith("7,")]))
    out = tmp_path / "m.npz"
    code, err = run("train.py", "--train", one, "--test", d / "test.csv", "--out", out)
    assert code == 2 and "every training row is labelled 7" in err[0]
    code, err = run("train.py", "--train", d / "train.csv.gz", "--test", d / "test.csv", "--out", out,
                    "--val-split", "0", "--lr", "1e-9", "--epochs", "2", "--log-every", "0")
    assert code == 2 and len(err) == 1 and "(there is no validation data) is no better than chance" in err[0]
    assert sorted(os.listdir(tmp_path)) == ["sevens.csv"]


def test_a_huge_epoch_count_is_checked_at_once(run, d, tmp_path):
    start = time.perf_counter()
    code, err = run("train.py", "--train", d / "train.csv.gz", "--test", d / "test.csv", "--out",
                    tmp_path / "m.npz", "--epochs", "1000000000", "--schedule", "step", "--drop", "10")
    assert code == 2 and "the learning rate overflows at epoch 1237" in err[0]
    assert time.perf_counter() - start < 5 and os.listdir(tmp_path) == []


def test_a_large_image_is_scaled_down_before_any_array_is_made(tmp_path, monkeypatch):
    big = pygame.Surface((3000, 2000), depth=8)
    big.fill((255, 255, 255))
    pygame.draw.line(big, (0, 0, 0), (1500, 200), (1500, 1800), 120)
    pygame.image.save(big, str(tmp_path / "big.png"))
    assert os.path.getsize(tmp_path / "big.png") < 100_000
    shapes = []
    to_ink = inputs.to_ink
    monkeypatch.setattr(inputs, "to_ink", lambda a, **k: shapes.append(a.shape) or to_ink(a, **k))
    ink = inputs.read_image(tmp_path / "big.png")
    assert max(shapes[0][:2]) == inputs.READ_SIDE and ink.shape[1] == inputs.READ_SIDE
    assert ink.max() == 1.0                                   # the stroke survived


def test_a_compare_curve_is_read_with_a_csvs_line_limit(run, d, tmp_path, monkeypatch):
    fnn.save(tmp_path / "other.npz", fnn.init_params([784, 8, 10], seed=0))
    (tmp_path / "other.csv").write_text("iteration,epoch,loss,acc,lr,val_acc\n" + "1," * 2_000_000 + "\n")
    monkeypatch.setattr(lab, "Watch", lambda *a, **k: pytest.fail("opened the window"))
    code, err = run("train.py", "--train", d / "train.csv.gz", "--test", d / "test.csv", "--watch",
                    "--compare", tmp_path / "other.npz", "--out", tmp_path / "m.npz")
    assert code == 2 and len(err) == 1 and "line 2: longer than 65,536 bytes; not a curve CSV" in err[0]


def test_keep_with_screenshot_writes_the_named_handwriting_csv(tmp_path, capsys, signals_kept):
    default = os.path.join(ROOT, "models", "my_digits.csv")
    before = open(default, "rb").read() if os.path.exists(default) else None
    mine, shot = tmp_path / "mine.csv", tmp_path / "s.png"
    assert draw.main(["--model", MLP, "--screenshot", str(shot), "--press", "3k", "--keep", str(mine)]) == 0
    assert mine.read_text().splitlines()[1].startswith("3,") and shot.exists()
    assert (open(default, "rb").read() if os.path.exists(default) else None) == before
