"""train.py from the command line, in subprocesses, or its main() in this process where the
test is about what main decides, on small CSVs written to tmp_path; and the pure pieces it is
made of (fnn.training, fnn.analysis.report).

Every run passes --out inside tmp_path (or queue_early's folder): a test never writes to data/
or models/.
"""
import gzip
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import fnn
import fnn.io.data
import fnnapp.cli.run
import fnnapp.cli.sources
from conftest import Early, one_line, shipped_lines
from fnnapp.cli import networks
from fnn.training import fit, minibatches, sharded_step, train_step
from fnn.optimizers import OPTIMIZERS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_PY = os.path.join(ROOT, "train.py")
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1", OPENBLAS_NUM_THREADS="1")
FAST = ["--epochs", "2", "--batch-size", "64", "--lr", "2e-3"]


def start(*args):
    """python train.py ARGS from the repo root, started and not waited for -> Popen (text)."""
    return subprocess.Popen([sys.executable, TRAIN_PY, *map(str, args)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    return write_csvs(tmp_path_factory.mktemp("csv"))


def write_csvs(d):
    """Small MNIST CSVs in the layouts train.py must read, written to d: the shipped header
    (label,1x1,...) gzipped, no header at all, and Kaggle's header (label,pixel0,...)."""
    train = shipped_lines("mnist_train.csv.gz", 3000)             # the header line, 3000 rows
    test = shipped_lines("mnist_test.csv.gz", 1000)
    paths = {"train_gz": d / "train.csv.gz", "test_plain": d / "test_noheader.csv",
             "kaggle": d / "train_kaggle.csv"}
    paths["train_gz"].write_bytes(gzip.compress("".join(train).encode(), compresslevel=1))
    paths["rows"] = pd.read_csv(paths["train_gz"], nrows=20)
    paths["test_plain"].write_text("".join(test[1:]))
    kaggle = ",".join(["label"] + [f"pixel{i}" for i in range(784)]) + "\n"
    paths["kaggle"].write_text("".join([kaggle] + train[1:1001]))
    return paths


def test_help_documents_every_option(capsys):
    import train
    with pytest.raises(SystemExit) as e:
        train.parse_args(["--help"])
    assert e.value.code == 0
    r = capsys.readouterr()
    assert r.err == ""
    for option in ("--train", "--test", "--val-split", "--max-rows", "--augment", "--arch", "--hidden",
                   "--activation", "--epochs", "--batch-size", "--optimizer", "--lr", "--schedule",
                   "--decay", "--drop", "--every", "--l2", "--dropout", "--seed", "--out", "--log-every"):
        assert option in r.out, option
    assert "sgd" in r.out and "momentum" in r.out and "cosine" in r.out


def test_defaults_train_the_shipped_recipe_into_models():
    """`python train.py` with no options trains the network and recipe data/mnist_mlp.npz
    records (README), from the shipped CSVs, into the git-ignored models/."""
    import train
    args = train.parse_args([])
    meta = fnn.load(os.path.join(ROOT, "data", "mnist_mlp.npz"))[2]
    assert meta["command"] == "python train.py --out data/mnist_mlp.npz"
    assert networks.describe(networks.network(args.arch, args.hidden, args.activation)) == meta["network"]
    assert fnnapp.cli.run.describe_recipe(args) == meta["recipe"]
    assert (fnnapp.cli.sources.describe_sources(args.train), args.test) == (meta["train"], meta["test"])
    assert args.out is None and train.DEFAULT_OUT["mlp"] == os.path.join("models", "mnist_mlp.npz")


def test_the_default_rate_follows_the_optimizer():
    """--lr defaults to a rate that trains with the chosen optimizer, not Adam's for all."""
    import train
    rates = {opt: train.parse_args(["--optimizer", opt]).lr for opt in ("sgd", "momentum", "adam")}
    assert rates["adam"] < rates["momentum"] and rates["adam"] < rates["sgd"]
    assert train.parse_args(["--optimizer", "sgd", "--lr", "0.5"]).lr == 0.5


def queue_early(d):
    """This file's slow command lines that need nothing from other tests, on CSVs of their own,
    run in the background from the start of the session (conftest.Early): the end-to-end run,
    the three seed runs, the diverging run, the interrupted ones, a bad CSV and a bad option."""
    csvs = write_csvs(d)
    common = ["--train", csvs["kaggle"], "--test", csvs["test_plain"]]
    for name in ("end_to_end", "seeds", "diverging"):
        (d / name).mkdir()

    def train_py(*args):
        return Early.command([sys.executable, TRAIN_PY, *args], cwd=ROOT, env=ENV)
    early = {"csvs": csvs}
    out = d / "end_to_end" / "m.npz"
    early["end to end"] = out, train_py("--train", csvs["train_gz"], "--test", csvs["test_plain"],
                                        "--out", out, "--epochs", "3", "--lr", "2e-3",
                                        "--batch-size", "64")
    outs = d / "seeds" / "a.npz", existing_model(d / "seeds" / "again.npz"), d / "seeds" / "b.npz"
    early["seeds"] = outs, [train_py(*common, "--dropout", "0.2", "--augment", "--log-every", "0",
                                     *FAST, "--seed", seed, "--out", out)
                            for seed, out in zip((7, 7, 8), outs)]
    out = existing_model(d / "diverging" / "model.npz")
    early["diverging"] = out, out.read_bytes(), train_py(*common, "--out", out, "--optimizer", "sgd",
                                                          "--lr", "1e6", "--log-every", "1")
    for sig in (signal.SIGINT, signal.SIGTERM):
        early[sig] = Early(interrupted_runs, d / sig.name, csvs, sig)
    (d / "bad_csv").mkdir()
    bad = _bad(csvs, d / "bad_csv", "pixel.csv", BAD_INPUTS["pixel"][0])
    out = existing_model(d / "bad_csv" / "model.npz")
    early["bad csv"] = bad, out, out.read_bytes(), train_py("--train", csvs["kaggle"], "--test", bad,
                                                             "--out", out, *FAST)
    (d / "bad_option").mkdir()
    early["bad option"] = d / "bad_option", train_py("--lr", "abc", "--out", d / "bad_option" / "m.npz")
    return early


def test_end_to_end_gz_with_header_and_plain_without(early):
    csvs, (out, run) = early["csvs"], early["end to end"]
    png = out.with_suffix(".png")
    r = run.result()
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"data: 2700 training, 300 validation rows from {csvs['train_gz']}; "
                               f"1000 test rows from {csvs['test_plain']}")
    # 2700 rows / 64 = 43 iterations an epoch: a log line every 10 of them, an epoch line each epoch
    logged = [int(l.split()[1]) for l in lines if l.startswith("iter ")]
    assert logged == list(range(10, 3 * 43 + 1, 10))
    assert all("loss" in l and "batch acc" in l for l in lines if l.startswith("iter "))
    epochs = [l for l in lines if l.startswith("epoch ")]
    assert [l.split()[1] for l in epochs] == ["1/3", "2/3", "3/3"]
    assert all("validation accuracy" in l and "elapsed" in l for l in epochs)
    # report: test accuracy, per-class accuracy, the 10x10 confusion matrix
    test_line = next(l for l in lines if l.startswith("test accuracy"))
    printed = float(test_line.split()[2].rstrip("%")) / 100
    assert printed >= 0.85                    # 3 epochs on 2,700 rows; the first 1,000 test rows are hard
    i = lines.index("per-class accuracy:")
    assert [l.split(":")[0].strip() for l in lines[i + 1:i + 11]] == [str(d) for d in range(10)]
    j = lines.index("confusion matrix (rows: true digit, columns: predicted digit):")
    matrix = np.array([[int(v) for v in l.split()[1:]] for l in lines[j + 2:j + 12]])
    assert matrix.shape == (10, 10) and matrix.sum() == 1000
    assert np.trace(matrix) / 1000 == pytest.approx(printed, abs=5e-5)
    # the model file: loadable, its accuracy is the printed one, the command is recorded
    params, layers, meta = fnn.load(out)
    X, y = fnn.io.data.load_csv(csvs["test_plain"])
    assert fnn.accuracy(params, X, y, layers) == pytest.approx(meta["test_accuracy"])
    assert meta["test_accuracy"] == pytest.approx(printed, abs=5e-5)
    assert meta["command"].startswith("python train.py --train ") and meta["interrupted"] is False
    assert params["W1"].shape == (256, 784) and params["W1"].dtype == np.float32
    # the curve next to it, a real PNG
    import pygame
    img = pygame.image.load(str(png))
    assert img.get_size() == (1000, 720)
    assert f"saved model {out}" in lines and f"saved training curve {png}" in lines
    assert lines[-1] == f"draw digits with this model: python draw.py --model {out}"


def test_kaggle_header_and_options(csvs, tmp_path, train_in_process):
    out = tmp_path / "k.npz"
    code, stdout, stderr = train_in_process(
        "--train", csvs["kaggle"], "--test", csvs["test_plain"], "--out", out, "--epochs", "1",
        "--hidden", "64", "--activation", "tanh", "--optimizer", "momentum", "--lr", "0.1",
        "--schedule", "step", "--l2", "0.01", "--dropout", "0.1", "--augment", "--val-split", "0",
        "--log-every", "0", "--max-rows", "1000")                # enough steps to learn
    assert code == 0, stderr
    assert "data: 1000 training, 0 validation rows" in stdout
    assert not any(l.startswith("iter ") for l in stdout.splitlines())
    assert "epoch 1/1  validation accuracy n/a" in stdout
    params, layers, meta = fnn.load(out)
    assert [s["type"] for s in layers] == ["input", "dense", "tanh", "dense", "softmax"]
    assert params["W1"].shape == (64, 784)


def test_rmsprop_trains_from_the_command_line_at_its_default_rate(csvs, tmp_path, train_in_process):
    """--optimizer rmsprop with no --lr: the rate comes from its fnn.optimizers entry, and it
    learns (900 training rows, 3 epochs: far above the 10 % of chance, which a wrong rule stays at)."""
    out = tmp_path / "r.npz"
    code, stdout, stderr = train_in_process(
        "--train", csvs["kaggle"], "--test", csvs["test_plain"], "--out", out, "--epochs", "3",
        "--optimizer", "rmsprop", "--hidden", "32", "--batch-size", "32", "--log-every", "0")
    assert code == 0, stderr
    _, _, meta = fnn.load(out)
    assert meta["recipe"].startswith("rmsprop lr 0.001 ") and meta["test_accuracy"] > 0.5


def test_same_seed_same_weights_bit_for_bit(early):
    """A process each (queue_early): seed 7 twice (the second replaces a model already at its
    path, and says so) and seed 8."""
    (a, again, b), runs = early["seeds"]
    runs = [run.result() for run in runs]
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    assert f"saved model {a}" in runs[0].stdout and f"replaced model {again}" in runs[1].stdout
    first, second, other = (fnn.load(path)[0] for path in (a, again, b))
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert not np.array_equal(first["W1"], other["W1"])


def _bad(csvs, tmp_path, name, edit, header=True):
    """Write the 20-row sample with edit(rows) applied -> path."""
    rows = [list(r) for r in csvs["rows"].to_numpy().astype(str)]
    edit(rows)
    path = tmp_path / name
    with open(path, "w") as f:
        if header:
            f.write(",".join(csvs["rows"].columns) + "\n")
        f.writelines(",".join(r) + "\n" for r in rows)
    return path


def _set(i, j, v):
    def edit(rows):
        rows[i][j] = v
    return edit


BAD_INPUTS = {
    # name: (edit of the rows, or None for no file / an empty file, expected message after the path)
    "missing": (None, "no such file (looked for {abs}); check the path"),
    "empty": ("", "is empty (0 bytes); expected a header line and one image a row"),
    "columns": (lambda rows: rows[4].__delitem__(slice(-4, None)),
                "line 6: expected 785 columns (label + 784 pixels), found 781"),
    "not_a_number": (_set(6, 3, "abc"), 'line 8, column "1x3": "abc" is not a number'),
    "missing_value": (_set(6, 3, ""), 'line 8, column "1x3": missing value (empty field)'),
    "label": (_set(2, 0, "10"), 'line 4: label "10" is not an integer 0-9'),
    "pixel": (_set(9, 200, "256"), 'line 11, column "8x4": pixel value "256" is outside 0-255'),
}


@pytest.mark.parametrize("which", ["--train", "--test"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_one_line_exit_2_model_untouched(csvs, tmp_path, train_in_process, case, which):
    """train.main in this process; test_a_bad_csv_from_the_command_line_one_line_exit_2 shows
    the real command line ends the same way."""
    edit, message = BAD_INPUTS[case]
    path = tmp_path / f"{case}.csv"
    if edit == "":
        path.write_text("")
    elif edit is not None:
        path = _bad(csvs, tmp_path, f"{case}.csv", edit)
    out = existing_model(tmp_path / "model.npz")
    before = out.read_bytes()
    files = {"--train": csvs["kaggle"], "--test": csvs["test_plain"], which: path}
    code, stdout, stderr = train_in_process("--train", files["--train"], "--test", files["--test"],
                                            "--out", out, *FAST)
    assert code == 2
    assert one_line(stderr, which, path, re.split(r"[(;]", message)[0].strip())    # its key phrase
    assert "Traceback" not in "\n".join(stderr) + stdout
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".npz", ".png")) == ["model.npz"]


def test_a_bad_csv_from_the_command_line_one_line_exit_2(early):
    """BAD_INPUTS' "pixel" case in --test, through the command line (queue_early)."""
    path, out, before, run = early["bad csv"]
    r = run.result()
    assert r.returncode == 2
    assert one_line(r.stderr.splitlines(), "--test", path, "outside 0-255")
    assert "Traceback" not in r.stderr + r.stdout
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir() if p.suffix in (".npz", ".png")) == ["model.npz"]


@pytest.mark.parametrize("args, message", [
    (["--lr", "-1"], "argument --lr: expected a number > 0, got '-1'"),
    (["--lr", "abc"], "argument --lr: expected a number > 0, got 'abc'"),
    (["--epochs", "0"], "argument --epochs: expected a whole number >= 1, got '0'"),
    (["--hidden", "256,x"], "argument --hidden: expected comma-separated layer sizes >= 1 such as "
                            "256,128, got '256,x'"),
    (["--val-split", "1"], "argument --val-split: expected a number >= 0 and < 1, got '1'"),
    (["--dropout", "1.5"], "argument --dropout: expected a number >= 0 and < 1, got '1.5'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_option_one_line_exit_2(tmp_path, capsys, args, message):
    """The parser's refusal, in-process (the subprocess test below shows the real command line
    ends the same way)."""
    import train
    with pytest.raises(SystemExit) as e:
        train.parse_args([*args, "--out", str(tmp_path / "m.npz")])
    assert e.value.code == 2
    assert one_line(capsys.readouterr().err.splitlines(), message)
    assert list(tmp_path.iterdir()) == []


def test_bad_option_from_the_command_line_one_line_exit_2(early):
    folder, run = early["bad option"]
    r = run.result()
    assert r.returncode == 2
    assert one_line(r.stderr.splitlines(), "--lr", "expected a number > 0")
    assert list(folder.iterdir()) == []


def test_out_is_a_folder(csvs, tmp_path, train_in_process):
    code, _, stderr = train_in_process("--train", csvs["kaggle"], "--test", csvs["test_plain"],
                                       "--out", tmp_path)
    assert code == 2
    assert one_line(stderr, tmp_path, "is a folder")


def test_out_would_overwrite_an_input_or_is_a_png(csvs, tmp_path, train_in_process):
    code, _, stderr = train_in_process("--train", csvs["kaggle"], "--test", csvs["test_plain"],
                                       "--out", csvs["test_plain"])
    assert code == 2
    assert len(stderr) == 1 and f"{csvs['test_plain']}: writing it would overwrite the input " \
        f"{csvs['test_plain']}" in stderr[0]
    code, _, stderr = train_in_process("--train", csvs["kaggle"], "--test", csvs["test_plain"],
                                       "--out", tmp_path / "m.png")
    assert code == 2
    assert one_line(stderr, tmp_path / "m.png", "--out names the model file")
    assert list(tmp_path.iterdir()) == []


def test_shipped_model_has_the_stated_accuracy():
    """data/mnist_mlp.npz: trained by the defaults, its recorded test accuracy is real and >= 98.2%."""
    params, layers, meta = fnn.load(os.path.join(ROOT, "data", "mnist_mlp.npz"))
    assert meta["command"] == "python train.py --out data/mnist_mlp.npz"
    X, y = fnn.io.data.load_csv(os.path.join(ROOT, "data", "mnist_test.csv.gz"))
    acc = fnn.accuracy(params, X, y, layers)
    assert acc == pytest.approx(meta["test_accuracy"]) and acc >= 0.982
    assert os.path.exists(os.path.join(ROOT, "data", "mnist_mlp.png"))


def existing_model(path):
    """A small model file at path, standing for a model --out must not touch."""
    fnn.save(path, fnn.init_params([784, 8, 10], seed=3))
    return path


def test_diverging_run_exits_2_and_writes_nothing(early):
    out, before, run = early["diverging"]
    r = run.result()
    assert r.returncode == 2
    [line] = r.stderr.splitlines()
    assert line.startswith("train.py: error: training diverged at iteration ")
    assert line.endswith(" (loss = nan); nothing written; try --lr 0.1, a rate that trains "
                         "with --optimizer sgd")
    n = int(line.split("iteration ")[1].split()[0])
    assert [l for l in r.stdout.splitlines() if l.startswith("iter ")][-1].split()[1] == str(n - 1)
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["model.npz"]


def _interrupt_after_two_epochs(p, sig, presses):
    """Send p `presses` signals `sig` once it has logged two epochs and an iteration more
    -> (what it logged before, its stderr)."""
    try:
        seen, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:       # wait for two epochs and a few more iterations
            line = p.stdout.readline()
            seen.append(line)
            if not line or sum(l.startswith("epoch ") for l in seen) == 2 and line.startswith("iter "):
                break
        if sum(l.startswith("epoch ") for l in seen) == 2:
            p.send_signal(sig)
            if presses == 2:
                time.sleep(0.02)
                p.send_signal(sig)
        else:
            p.kill()                             # it never got there: the test shows what it logged
        return seen, p.communicate(timeout=60)[1]
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


def interrupted_runs(d, csvs, sig):
    """A run sent one `sig` and a run sent two, two processes at the same time, in d/1 and
    d/2 -> {presses: (folder, what it logged before, its exit code, its stderr)}."""
    from concurrent.futures import ThreadPoolExecutor
    runs = {}
    for presses in (1, 2):
        (d / str(presses)).mkdir(parents=True)
        runs[presses] = d / str(presses), start(
            "--train", csvs["kaggle"], "--test", csvs["test_plain"], "--out",
            d / str(presses) / "model.npz", "--epochs", "1000", "--batch-size", "32", "--log-every", "1")
    with ThreadPoolExecutor(2) as pool:
        ended = {n: pool.submit(_interrupt_after_two_epochs, p, sig, n) for n, (_, p) in runs.items()}
    return {n: (folder, *ended[n].result(), p.returncode) for n, (folder, p) in runs.items()}


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_saves_the_best_model_so_far(early, sig, code):
    """One Ctrl-C (or SIGTERM, handled the same way) after two epochs; or two in quick
    succession (the second lands while the first is being handled: it must not break the save).
    Both runs (queue_early, interrupted_runs) are processes of their own."""
    X, y = fnn.io.data.load_csv(early["csvs"]["test_plain"])
    for presses, (d, seen, err, returncode) in early[sig].result().items():
        assert sum(l.startswith("epoch ") for l in seen) == 2, "".join(seen)
        assert returncode == code, (presses, err)
        assert "Traceback" not in err
        out = d / "model.npz"
        last = err.splitlines()[-1]
        assert last.startswith("train.py: saved the ") and last.endswith(f"to {out}")
        params, layers, meta = fnn.load(out)                # a complete, valid model file
        assert meta["interrupted"] is True and meta["epochs_done"] >= 2
        assert fnn.accuracy(params, X, y, layers) > 0.7
        assert (d / "model.png").exists()
        assert not [n for n in os.listdir(d) if n.startswith(".fnn-tmp")]


def test_cnn_arch(csvs, tmp_path, train_in_process):
    out = tmp_path / "cnn.npz"
    code, _, stderr = train_in_process("--arch", "cnn", "--train", csvs["kaggle"], "--test",
                                       csvs["test_plain"], "--out", out, "--epochs", "1",
                                       "--max-rows", "300", "--log-every", "0")
    assert code == 0, stderr
    params, layers, _ = fnn.load(out)
    assert [s["type"] for s in layers] == ["input", "conv", "relu", "maxpool", "conv", "relu", "maxpool",
                                           "flatten", "dense", "relu", "dense", "softmax"]
    assert params["W1"].shape == (16, 1, 3, 3) and params["W2"].shape == (32, 16, 3, 3)
    assert params["W3"].shape == (128, 32 * 7 * 7)


# ---- the pure pieces --------------------------------------------------------------------

@pytest.mark.parametrize("block", [1, 7, 4096])
def test_split_moves_the_training_rows_in_place(monkeypatch, block):
    """fnnapp.cli.sources.split gives what X[:, tr], X[:, va] would, in order, for any block size, and
    its X_train reuses X's memory (the training set is not held twice), laid out as fit wants it."""
    monkeypatch.setattr(fnnapp.cli.sources, "SPLIT_BLOCK", block)
    rng = np.random.default_rng(0)
    m = 503
    rows = rng.random((m, 784), dtype=np.float32)           # load_csv's layout: X = rows.T
    y = rng.integers(0, 10, m)
    X0 = rows.T.copy()
    X_train, y_train, X_val, y_val = fnnapp.cli.sources.split(rows.T, y, 0.1, np.random.default_rng(4))
    va = np.sort(np.random.default_rng(4).permutation(m)[:50])
    tr = np.setdiff1d(np.arange(m), va)
    np.testing.assert_array_equal(X_train, X0[:, tr])
    np.testing.assert_array_equal(X_val, X0[:, va])
    np.testing.assert_array_equal(y_train, y[tr])
    np.testing.assert_array_equal(y_val, y[va])
    assert np.shares_memory(X_train, rows) and X_train.T.flags.c_contiguous
    assert not np.shares_memory(X_val, rows)


def test_split_refuses_a_hold_out_that_leaves_no_training_rows():
    with pytest.raises(fnnapp.cli.sources.SplitError, match="0.9 leaves no training rows out of 2"):
        fnnapp.cli.sources.split(np.zeros((784, 2), np.float32), np.arange(2), 0.9, np.random.default_rng(0))


def test_minibatches_cover_a_fresh_permutation():
    rng = np.random.default_rng(0)
    a, b = minibatches(10, 4, rng), minibatches(10, 4, rng)
    assert [len(i) for i in a] == [4, 4, 2]
    assert sorted(np.concatenate(a)) == list(range(10)) == sorted(np.concatenate(b))
    assert not np.array_equal(np.concatenate(a), np.concatenate(b))


def test_train_step_lowers_the_loss_and_reports_batch_accuracy(mnist_train_slice):
    X, y = mnist_train_slice
    Xb, yb = X[:, :256], y[:256]
    net = fnn.layers.dense_layers([784, 32, 10])
    params = fnn.init_params(net, seed=0)
    adam = OPTIMIZERS["adam"]
    state, losses = adam.init(params), []
    for _ in range(20):
        params, state, loss, acc = train_step(params, state, Xb, yb, net, adam.update, 1e-2)
        losses.append(loss)
    assert losses[-1] < 0.5 * losses[0]
    AL, _ = fnn.forward(params, Xb, net)
    assert acc == pytest.approx(np.mean(AL.argmax(0) == yb), abs=0.05)   # acc is before the last update


def test_fit_yields_steps_and_epochs(mnist_train_slice):
    X, y = mnist_train_slice
    net = fnn.layers.dense_layers([784, 32, 10])
    recs = list(fit(fnn.init_params(net, seed=0), X[:, :1000], y[:1000], net, epochs=2,
                    batch_size=100, lr=5e-3, X_val=X[:, 1000:1500], y_val=y[1000:1500], seed=1))
    kinds = [r["kind"] for r in recs]
    assert kinds == (["step"] * 10 + ["epoch"]) * 2
    assert [r["iteration"] for r in recs if r["kind"] == "step"] == list(range(1, 21))
    assert recs[-1]["val_acc"] > 0.7





@pytest.mark.parametrize("b", [64, 37])
def test_sharded_step_is_the_full_batch_step(mnist_train_slice, b):
    """sharded_step on K shards (map over column shards, then sum_k (b_k/b) grads_k) takes the
    same step as train_step on the whole batch, L2 included; in a thread pool or without one,
    the same numbers bit for bit; on one shard, train_step's numbers bit for bit.

    The whole batch and the shards sum in different orders, and the BLAS kernel and its thread
    count pick the order too. So this runs in float64: rounding is then ~1e-16 relative, the
    two steps agree to 1e-9, and no max-pool winner can flip between the two orders (in float32
    near-ties do flip on some kernels, a discrete change no tolerance can bound)."""
    from concurrent.futures import ThreadPoolExecutor
    X, y = mnist_train_slice
    Xb, yb = X[:, :b].astype(np.float64), y[:b]
    net = [fnn.Input(1, 28, 28), fnn.Conv(4, 3, pad=1), "relu", fnn.MaxPool(2), fnn.Flatten(),
           fnn.Dense(10), "softmax"]
    params = fnn.init_params(net, seed=0, dtype=np.float64)
    sgd = OPTIMIZERS["sgd"]
    step = lambda K, pool=None: sharded_step(params, {}, Xb, yb, net, sgd.update, 1.0,  # noqa: E731
                                             "cross_entropy", 0.1, 0.0, [None] * K, pool)
    full = train_step(params, {}, Xb, yb, net, sgd.update, 1.0, l2=0.1)
    one, serial = step(1), step(3)
    with ThreadPoolExecutor(2) as pool:
        pooled = step(3, pool)
    for k in params:
        assert np.array_equal(full[0][k], one[0][k]), k
        assert np.allclose(full[0][k], serial[0][k], rtol=1e-9, atol=1e-12), k
        assert np.array_equal(serial[0][k], pooled[0][k]), k
        assert not np.allclose(full[0][k], params[k], rtol=1e-6, atol=0), k   # a real step
    assert serial[2] == pytest.approx(full[2], rel=1e-12) and serial[3] == full[3] == pooled[3]
    # the whole-batch step is the gradient-checked backward's (L2 included), then update
    AL, cache = fnn.forward(params, Xb, net)
    plain = fnn.update(params, fnn.backward(params, cache, yb, l2=0.1), 1.0)
    for k in params:
        assert np.allclose(full[0][k], plain[k], rtol=1e-12, atol=1e-14), k
    assert full[2] == pytest.approx(fnn.compute_loss(cache, yb, params=params, l2=0.1), rel=1e-12)


def test_fit_with_workers_is_deterministic_and_learns(mnist_train_slice):
    """workers=2: the same seed gives the same weights bit for bit (dropout included), and it
    learns as well as workers=1."""
    X, y = mnist_train_slice
    net = fnn.layers.dense_layers([784, 32, 10])
    p0 = fnn.init_params(net, seed=0)
    def last(workers):
        recs = list(fit(p0, X[:, :1000], y[:1000], net, epochs=2, batch_size=100, lr=5e-3,
                        dropout=0.2, X_val=X[:, 1000:1500], y_val=y[1000:1500], seed=1,
                        workers=workers))
        return recs[-1]
    a, b, one = last(2), last(2), last(1)
    assert all(np.array_equal(a["params"][k], b["params"][k]) for k in p0)
    assert a["val_acc"] > 0.7 and abs(a["val_acc"] - one["val_acc"]) < 0.05
    with pytest.raises(ValueError, match="workers"):
        next(fit(p0, X[:, :100], y[:100], net, workers=0))


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_fit_trains_the_loss_it_is_given(loss):
    """One full-batch SGD step of fit on a one-unit sigmoid network is forward, compute_loss and
    backward with the given loss (binary cross-entropy for "cross_entropy": read from the network)."""
    rng = np.random.default_rng(0)
    net = fnn.layers.dense_layers([4, 6, 1], "tanh", output="sigmoid")
    X = rng.standard_normal((4, 32)).astype(np.float32)
    y = (X[0] > 0).astype(np.int64)
    p0 = fnn.init_params(net, seed=0)
    step = next(fit(p0, X, y, net, loss=loss, optimizer="sgd", lr=0.5, epochs=1, batch_size=32))
    _, cache = fnn.forward(p0, X, net)
    assert step["loss"] == pytest.approx(fnn.compute_loss(cache, y, loss), rel=1e-5)
    expected = fnn.update(p0, fnn.backward(p0, cache, y, loss), 0.5)
    for k in p0:
        np.testing.assert_allclose(step["params"][k], expected[k], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        next(fit(p0, X, y, net, loss="hinge"))


def test_schedule_arguments_default_to_the_schedules_own():
    from fnn.optimizers import schedule_defaults, step_decay
    from fnn.training import learning_rate
    every = schedule_defaults("step")["every"]
    assert learning_rate(1.0, every, "step") == step_decay(1.0, every) == schedule_defaults("step")["drop"]
    assert learning_rate(1.0, 2, "step", every=2, drop=0.1) == pytest.approx(0.1)
