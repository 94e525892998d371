"""train.py --init (fine-tuning a saved model) and --train given several times, with FILE:K."""
import os
import re
import sys
from pathlib import Path

import pytest

import fnn
from conftest import Early, one_line
from fnn.io.data import load_csv
from fnn.digits.teach import HEADER, digit_row

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1", OPENBLAS_NUM_THREADS="1")
MLP = ROOT / "data" / "mnist_mlp.npz"


def queue_early(d):
    """Two small labelled CSVs in the handwriting format, written to d: 400 training rows, 40
    'own' digits, and 300 test rows; and the --init run on them, run in the background from
    the start of the session (conftest.Early)."""
    X, y = load_csv(ROOT / "data" / "mnist_train.csv.gz", max_rows=440)
    Xt, yt = load_csv(ROOT / "data" / "mnist_test.csv.gz", max_rows=300)
    files = {"train": (d / "train.csv", X[:, :400], y[:400]), "own": (d / "own.csv", X[:, 400:440], y[400:440]),
             "test": (d / "test.csv", Xt, yt)}
    for path, Xs, ys in files.values():
        path.write_text("\n".join([HEADER] + [digit_row(Xs[:, j], ys[j]) for j in range(ys.size)]) + "\n")
    csvs = {k: v[0] for k, v in files.items()}
    tuned = d / "tuned.npz"
    return {"csvs": csvs, "tuned": (tuned, Early.command([
        sys.executable, ROOT / "train.py", "--init", MLP, *init_common(csvs), "--lr", "1e-5",
        "--out", tuned], cwd=ROOT, env=ENV))}


def init_common(csvs):
    return ["--train", csvs["train"], "--test", csvs["test"], "--epochs", "1", "--log-every", "1",
            "--batch-size", "100", "--val-split", "0"]


@pytest.fixture
def csvs(early):
    return early["csvs"]


def first_batch_accuracy(stdout):
    return float(re.search(r"iter +1 .*batch acc +([\d.]+)%", stdout).group(1)) / 100


def test_init_starts_from_the_saved_models_accuracy_not_chance(csvs, early, tmp_path,
                                                               train_in_process):
    """The --init run of queue_early against a fresh run (in-process) on the same rows."""
    common = init_common(csvs)
    out, tuned = early["tuned"]
    tuned = tuned.result()
    assert tuned.returncode == 0, tuned.stderr
    assert f"starting from {MLP}" in tuned.stdout
    assert first_batch_accuracy(tuned.stdout) >= 0.9
    test_acc = float(re.search(r"test accuracy ([\d.]+)%", tuned.stdout).group(1)) / 100
    assert test_acc >= 0.95
    params, layers, meta = fnn.load(out)
    assert layers == fnn.load(MLP)[1] and meta["init"] == str(MLP)
    code, stdout, err = train_in_process(*common, "--hidden", "32", "--out", tmp_path / "fresh.npz")
    assert code == 0, err
    assert first_batch_accuracy(stdout) < 0.4


def test_several_train_files_with_a_repeat_count(csvs, tmp_path, train_in_process):
    code, stdout, err = train_in_process(
        "--train", csvs["train"], "--train", f"{csvs['own']}:5", "--test", csvs["test"],
        "--val-split", "0.1", "--epochs", "2", "--hidden", "64", "--out", tmp_path / "m.npz")
    assert code == 0, err
    # 10% of each file held out (40 and 4 rows), then the 36 own training rows count 5 times
    assert f"data: {360 + 5 * 36} training, {40 + 4} validation rows from {csvs['train']} + " \
           f"{csvs['own']} x5;" in stdout


@pytest.mark.parametrize("args,message", [
    (["--train", "x.csv:0"], "train.py: error: argument --train: the repeat count K of FILE:K "
                             "must be >= 1, got 'x.csv:0' (see --help)"),
])
def test_bad_repeat_counts_are_refused(args, message, train_in_process, capsys):
    with pytest.raises(SystemExit) as e:
        train_in_process(*args)
    assert e.value.code == 2 and one_line(capsys.readouterr().err.splitlines(), message)


def test_init_errors_are_one_line_and_write_nothing(csvs, tmp_path, train_in_process):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    code, _, err = train_in_process("--init", bad, "--train", csvs["train"], "--test", csvs["test"],
                                    "--out", tmp_path / "o.npz")
    assert code == 2
    assert one_line(err, "--init", bad, "not a readable .npz model")
    model = tmp_path / "model.npz"
    model.write_bytes(MLP.read_bytes())
    code, _, err = train_in_process("--init", model, "--train", csvs["train"], "--test", csvs["test"],
                                    "--out", model)
    assert code == 2 and "would overwrite the input" in "\n".join(err)
    assert model.read_bytes() == MLP.read_bytes() and sorted(os.listdir(tmp_path)) == ["bad.npz", "model.npz"]
