"""benchmarks/micro.py, which fnn's docstrings cite for their speed choices: every case runs on
tiny inputs and reports a ratio, and a case fails when its two versions stop agreeing."""
import re
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import micro  # noqa: E402


def test_every_case_runs_on_tiny_inputs_and_reports_a_ratio(capsys):
    assert micro.main(["--tiny"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [l.split()[0] for l in lines if not l.startswith(" ")] == [
        "adam", "pool_before_relu", "workers", "workers", "predict_batch", "subnormals"]
    assert all(re.search(r"ratio \d+\.\d\d$", l) for l in lines), lines


def test_adam_case_fails_when_the_plain_form_disagrees(monkeypatch):
    plain = micro.adam_plain
    monkeypatch.setattr(micro, "adam_plain", lambda *a: plain(*a, beta1=0.8))
    with pytest.raises(AssertionError):
        micro.case_adam(1, tiny=True)


def test_pool_before_relu_case_fails_when_the_swap_changes_the_network(monkeypatch):
    def wrong(layers):                  # drops the relus: another network, other gradients
        return [s for s in layers if s["type"] != "relu"]
    monkeypatch.setattr(micro, "pool_before_relu", wrong)
    with pytest.raises(AssertionError):
        micro.case_pool_before_relu(1, tiny=True)


def test_subnormals_case_fails_when_the_flush_changes_the_weights(monkeypatch):
    def flush_too_much(a):              # zeroes entries far above the subnormal range
        a[np.abs(a) < 1e-3] = 0
        return a
    monkeypatch.setattr(micro.opt, "flush_subnormals", flush_too_much)
    with pytest.raises(AssertionError):
        micro.case_subnormals(1, tiny=True)
