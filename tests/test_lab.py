"""The training lab around train.py: curve CSVs, rate changes in the model's meta, --evaluate,
--predictions, and the pure report helpers they use."""
import os
import sys

import numpy as np
import pandas as pd
import pytest

import fnn
import fnnapp.cli.history
from conftest import Early, completed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_PY = os.path.join(ROOT, "train.py")
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1", OPENBLAS_NUM_THREADS="1")
TINY = ["--max-rows", "600", "--epochs", "2", "--batch-size", "100", "--hidden", "16",
        "--log-every", "0"]


def queue_early(d):
    """One tiny run with a rate change at iteration 7 (its model, curve CSV and output go to
    d), then --evaluate on its model, run in the background from the start of the session
    (conftest.Early)."""
    run = Early.command([sys.executable, TRAIN_PY, *TINY, "--lr-change", "7:0.5", "--out",
                         d / "m.npz"], cwd=ROOT, env=ENV)
    return {"folder": d, "run": run, "evaluate": Early(evaluate_after, run, d)}


def evaluate_after(run, d):
    """train.py --evaluate on the model of `run`, once it is there -> (the files in d before,
    the CompletedProcess)."""
    run.result()
    before = sorted(os.listdir(d))
    return before, completed([sys.executable, TRAIN_PY, "--evaluate", d / "m.npz", "--max-rows",
                              "300", "--errors-png", d / "e.png"], cwd=ROOT, env=ENV)


@pytest.fixture
def run(early):
    """The tiny run of queue_early: (its folder, its CompletedProcess)."""
    r = early["run"].result()
    assert r.returncode == 0, r.stderr
    return early["folder"], r


def test_curve_csv_beside_the_model_reads_with_pandas(run):
    d, r = run
    frame = pd.read_csv(d / "m.csv")
    assert list(frame.columns) == list(fnnapp.cli.history.COLUMNS)
    assert frame["iteration"].tolist() == list(range(1, 13))        # 540 rows in 6 batches
    assert frame["epoch"].tolist() == [1] * 6 + [2] * 6
    val = frame.dropna(subset=["val_acc"])
    assert val["iteration"].tolist() == [6, 12] and val["val_acc"].between(0, 1).all()
    _, _, meta = fnn.load(d / "m.npz")
    assert meta["lr_changes"] == [[7, 0.5]]
    lr = frame["lr"].to_numpy()
    # cosine from 2e-3 over 2 epochs of 6 steps, halved from iteration 7 on
    cos = 2e-3 * 0.5 * (1 + np.cos(np.pi * np.arange(12) / 12))
    assert np.allclose(lr, cos * np.r_[np.ones(6), 0.5 * np.ones(6)], rtol=1e-5)
    assert "learning rate x 0.5 from iteration 7 on" in r.stdout


def test_curves_read_refuses_what_is_not_a_curve_csv(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a curve CSV"):
        fnnapp.cli.history.read(bad)
    with pytest.raises(ValueError, match="cannot read"):
        fnnapp.cli.history.read(tmp_path / "missing.csv")


def test_curves_read_bounds_the_size(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    big.write_text(",".join(fnnapp.cli.history.COLUMNS) + "\n" + "1,1,2.3,0.1,0.002,\n" * 100)
    assert len(fnnapp.cli.history.read(big)) == 100
    monkeypatch.setattr(fnnapp.cli.history, "MAX_BYTES", 1000)
    with pytest.raises(ValueError, match="larger than"):
        fnnapp.cli.history.read(big)


def test_lr_change_option_is_checked(train_in_process, capsys):
    with pytest.raises(SystemExit) as e:
        train_in_process("--lr-change", "0:2")
    err = capsys.readouterr().err
    assert e.value.code == 2 and "ITER:FACTOR" in err and len(err.splitlines()) == 1


def test_evaluate_reports_draws_and_writes_no_model(run, early):
    d, _ = run
    before, r = early["evaluate"].result()
    assert r.returncode == 0, r.stderr
    assert "test accuracy" in r.stdout and "per-class accuracy:" in r.stdout
    assert "confusion matrix" in r.stdout
    assert sorted(os.listdir(d)) == sorted(before + ["e.png"])
    assert (d / "e.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predictions_on_kaggle_test_csv(run, tmp_path, train_in_process):
    """Kaggle's test.csv: header pixel0..pixel783, no label: ImageId,Label from 1, the labels
    the model predicts."""
    d, _ = run
    X, y = fnn.io.data.load_csv(os.path.join(ROOT, "data", "mnist_test.csv.gz"), max_rows=50)
    pd.DataFrame((X.T * 255).round().astype(int), columns=[f"pixel{i}" for i in range(784)]) \
        .to_csv(tmp_path / "test.csv", index=False)
    code, _, err = train_in_process("--evaluate", d / "m.npz", "--test", tmp_path / "test.csv",
                                    "--predictions", tmp_path / "sub.csv")
    assert code == 0, err
    sub = pd.read_csv(tmp_path / "sub.csv")
    assert list(sub.columns) == ["ImageId", "Label"] and sub["ImageId"].tolist() == list(range(1, 51))
    params, layers, _ = fnn.load(d / "m.npz")
    assert sub["Label"].tolist() == fnn.predict(params, X, layers).tolist()
    assert not os.path.exists(tmp_path / "test_errors.png")        # no labels: nothing to draw
    code, _, err = train_in_process("--evaluate", d / "m.npz", "--test", tmp_path / "test.csv")
    assert code == 2 and "no label column" in "\n".join(err)


def test_evaluate_bad_model_is_one_line(tmp_path, train_in_process):
    (tmp_path / "m.npz").write_bytes(b"junk")
    code, _, err = train_in_process("--evaluate", tmp_path / "m.npz")
    assert code == 2 and len(err) == 1 and "m.npz" in err[0]
