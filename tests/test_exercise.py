"""The backprop exercise: the checker (python -m fnn.exercise) on a correct solution, on the
untouched template, on files it cannot use, and on the classic mistakes, each made by replacing
one piece of text of the correct solution (tests/exercise_solution.py, written from
docs/math.md without fnn); train.py --impl and draw.py --impl with the learner's functions."""
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest

import draw
import fnn
import fnn.io.data
from conftest import Early
from fnn.exercise import checks, learner, mistakes
from fnn.exercise.__main__ import main as check_main
from fnnapp.cli import impl
from test_draw import drag, key, run_app, save_digit_png

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "tests" / "exercise_solution.py"
TEMPLATE = ROOT / "exercises" / "network.py"

# name: (text of the correct solution, what the mistake writes instead, the equation the
# checker must name, a key phrase of its diagnosis)
A_MINUS_Y = 'dZ = cache[f"A{L}"] - Y '
MISTAKES = {
    "no 1/m": ('dZ @ cache[f"A{l - 1}"].T / m', 'dZ @ cache[f"A{l - 1}"].T', "BP4", "m times too large"),
    "db over the units": ("dZ.sum(axis=1, keepdims=True)", "dZ.sum(axis=0, keepdims=True)", "BP3",
                          "axis=1, keepdims=True"),
    "db without keepdims": ("dZ.sum(axis=1, keepdims=True)", "dZ.sum(axis=1)", "BP3", "keepdims=True"),
    "W instead of W.T": ('params[f"W{l}"].T @ dZ', 'params[f"W{l}"] @ dZ', "BP2", "transpose of W"),
    "no relu'": ('dA * (cache[f"Z{l - 1}"] > 0)', "dA", "BP2", "relu'(Z) is 1 only where Z > 0"),
    "relu' of the wrong layer": ('(cache[f"Z{l - 1}"] > 0)', '(cache[f"Z{l}"] > 0)', "BP2",
                                 "not of layer"),
    "relu instead of relu'": ('(cache[f"Z{l - 1}"] > 0)', 'cache[f"A{l - 1}"]', "BP2", "not relu(Z) itself"),
    "softmax over the rows": ("Z.max(axis=0, keepdims=True))\n    return E / E.sum(axis=0",
                              "Z.max(axis=1, keepdims=True))\n    return E / E.sum(axis=1", "§1",
                              "rows of A3 sum to 1"),
    "softmax without the max shift": ("np.exp(Z - Z.max(axis=0, keepdims=True))", "np.exp(Z)", "§1",
                                      "subtract each column's max"),
    "one-hot transposed": (A_MINUS_Y, 'dZ = cache[f"A{L}"] - Y.T ', "BP1", "Y is used transposed"),
    "update sign": ("v - learning_rate", "v + learning_rate", "§4", "moved the wrong way"),
    "He with the fan-out": ("np.sqrt(2.0 / layer_dims[l - 1])", "np.sqrt(2.0 / layer_dims[l])", "§5",
                            "the fan-out"),
    "A - Y with a sigmoid output": ("softmax(Z) if l == L", "1 / (1 + np.exp(-Z)) if l == L", "§1",
                                    "A3 = sigmoid(Z3)"),
    "Y - A": (A_MINUS_Y, 'dZ = Y - cache[f"A{L}"] ', "BP1", "not Y - A3"),
    "softmax' on top of A - Y": (A_MINUS_Y, 'dZ = (cache[f"A{L}"] - Y) * cache[f"A{L}"] * (1 - cache[f"A{L}"]) ',
                                 "BP1", "already includes softmax's derivative"),
    "dW from A[l]": ('dZ @ cache[f"A{l - 1}"].T', 'dZ @ cache[f"A{l}"].T', "BP4", "not A3"),
    "dW transposed": ('dZ @ cache[f"A{l - 1}"].T / m', 'cache[f"A{l - 1}"] @ dZ.T / m', "BP4",
                      "shaped like W[l]"),
    "no bias": ('@ A + params[f"b{l}"]', "@ A", "§1", "the bias b[l] is missing"),
    "no relu in forward": ("np.maximum(Z, 0)", "Z", "§1", "hidden layers are linear"),
    "update in place": ('return {k: v - learning_rate * grads["d" + k] for k, v in params.items()}',
                        'for k in params:\n        params[k] -= learning_rate * grads["d" + k]\n'
                        '    return params', "§4", "in place"),
    "unscaled init": (" * scale\n", "\n", "§5", "N(0, 1) unscaled"),
    "softmax normalised over the rows": ("E / E.sum(axis=0", "E / E.sum(axis=1", "§1",
                                         "columns of A3 do not sum to 1"),
    "db summed over everything": ("dZ.sum(axis=1, keepdims=True) / m", "np.sum(dZ) / m", "BP3",
                                  "has shape (), expected (3, 1)"),
    "1/m twice": ('dZ @ cache[f"A{l - 1}"].T / m', 'dZ @ cache[f"A{l - 1}"].T / m / m', "BP4",
                  "m times too small"),
}


def mutant(tmp_path, old, new, name="my_network.py"):
    """The correct solution with `old` replaced by `new` (which must be there), as a file."""
    text = SOLUTION.read_text()
    assert old in text, f"the solution no longer contains {old!r}"
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


def queue_early(d):
    """python -m fnn.exercise on the template, as a learner runs it (a subprocess), queued."""
    return {"template": Early.command([sys.executable, "-m", "fnn.exercise", TEMPLATE], cwd=ROOT)}


# ---- the checker ------------------------------------------------------------------------------

def test_the_correct_solution_passes_every_check_and_learns():
    report = checks.check_file(str(SOLUTION))
    assert report.code == 0, report.text()
    names = " ".join(t for _, t in report.lines)
    for part in ("§5", "§1 forward", "§1 softmax", "BP4 dW1", "BP3 db3", "§4 update", "training"):
        assert part in names
    assert float(report.lines[-1][1].split("% right")[0].split()[-1]) >= 100 * checks.LEARNS


def test_the_mistakes_module_without_a_mistake_is_fnn():
    """mistakes.py's mistake-free passes are the derivation: fnn.forward and fnn.backward."""
    params, X, Y = checks.problem(checks.DIMS, checks.M, seed=5)
    AL, cache = fnn.forward(params, X)
    assert np.allclose(mistakes.forward_with(params, X), AL, rtol=1e-12, atol=0)
    want, got = fnn.backward(params, cache, Y), mistakes.backward_with(params, X, Y)
    assert all(np.allclose(got[k], want[k], rtol=1e-10, atol=1e-15) for k in want)


@pytest.mark.parametrize("name", MISTAKES)
def test_each_classic_mistake_is_named_by_its_equation(tmp_path, name):
    old, new, equation, phrase = MISTAKES[name]
    report = checks.check_file(str(mutant(tmp_path, old, new)), train=False)
    assert report.code == 1
    failed = [t for s, t in report.lines if s == checks.FAIL]
    named = [t for t in failed if phrase in t]
    assert named, f"{name}: no FAIL line says {phrase!r}: {failed}"
    assert named[0].startswith(equation), f"{name}: {named[0]!r} does not start with {equation}"


def test_the_untouched_template_says_not_written_yet(early):
    r = early["template"].result()
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    for name in learner.FUNCTIONS[:2] + ("update",):
        assert f"todo  {name}: not written yet (NotImplementedError)" in lines
    assert any(line.startswith("skip  BP1-BP4") for line in lines), "backward needs forward first"
    assert "NotImplementedError" not in r.stderr


def test_one_function_written_is_checked_the_rest_todo(tmp_path):
    text = TEMPLATE.read_text()
    solution = SOLUTION.read_text()
    start = solution.index("def update(")
    path = tmp_path / "half.py"
    path.write_text(text[:text.index("def update(")] + solution[start:])
    report = checks.check_file(str(path))
    status = {t.split(":")[0]: s for s, t in report.lines}
    assert status["§4 update"] == checks.PASS and status["init_params"] == checks.TODO


@pytest.mark.parametrize("text, phrase", [
    ("def forward(params, X:\n    pass\n", ":1: SyntaxError"),
    ("import numpy as np\n\ndef init_params(d, seed=None):\n    return {}\n", "no function forward()"),
    ("import no_such_module_anywhere\n", "ModuleNotFoundError"),
])
def test_a_file_that_cannot_be_checked_is_one_line_exit_2(tmp_path, capsys, text, phrase):
    path = tmp_path / "broken.py"
    path.write_text(text)
    assert check_main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and phrase in err and str(path) in err
    assert check_main([str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_a_learners_exception_points_at_their_line(tmp_path):
    path = mutant(tmp_path, "    m = Y.shape[1]\n", "    m = Y.shape[1]\n    m = m / undefined_name\n")
    line = 1 + path.read_text().splitlines().index("    m = m / undefined_name")
    report = checks.check_file(str(path), train=False)
    failed = [t for s, t in report.lines if s == checks.FAIL]
    assert any("NameError" in t and f"{path}:{line}: m = m / undefined_name" in t for t in failed), failed
    assert not any("fnn/" in t for t in failed), "the learner sees their file, not fnn's"


def test_an_endless_loop_is_stopped_and_said(tmp_path, monkeypatch):
    monkeypatch.setattr(learner, "CALL_SECONDS", 0.3)
    path = mutant(tmp_path, "    rng = np.random.default_rng(seed)\n",
                  "    rng = np.random.default_rng(seed)\n    while True:\n        pass\n")
    report = checks.check_file(str(path), train=False)
    assert any("still running after 0.3 s" in t and str(path) in t for _, t in report.lines)


# ---- train.py --impl and draw.py --impl --------------------------------------------------------

@pytest.mark.parametrize("option", [["--arch", "cnn"], ["--optimizer", "adam"], ["--dropout", "0.2"],
                                    ["--augment"], ["--init", "data/mnist_mlp.npz"]])
def test_train_impl_refuses_what_it_cannot_do(train_in_process, tmp_path, option):
    out = tmp_path / "m.npz"
    code, stdout, err = train_in_process("--impl", SOLUTION, *option, "--out", out)
    assert code == 2 and len(err) == 1 and f"{option[0]} does not go with --impl" in err[0]
    assert not out.exists() and stdout == ""


def test_train_impl_refuses_a_file_that_fails_the_checker(train_in_process, tmp_path):
    out = tmp_path / "m.npz"
    code, _, err = train_in_process("--impl", mutant(tmp_path, *MISTAKES["no 1/m"][:2]), "--out", out)
    assert code == 2 and not out.exists()
    assert any(line.startswith("FAIL  BP4: dW1 is m times too large") for line in err)
    assert "checks do not pass" in err[-1]


def test_impl_fit_yields_fits_records_and_heeds_the_window(tmp_path):
    module = learner.load(str(SOLUTION))
    X, y = fnn.io.data.load_csv(ROOT / "data" / "mnist_train.csv.gz", max_rows=256, labels=True)
    params = impl.init_params(module, fnn.layers.dense_layers([784, 16, 10], "relu"), 0)
    gen = impl.fit(module, params, X, y, epochs=1, batch_size=64, lr=0.1, X_val=X, y_val=y)
    first = next(gen)
    assert first["kind"] == "step" and first["iteration"] == 1 and first["lr"] == 0.1
    second = gen.send({"lr_factor": 2.0, "stats": True})
    assert second["lr"] == 0.2 and second["lr_changes"] == ((2, 2.0),)
    assert set(second["stats"]) == {"W1", "W2"} and second["stats"]["W1"]["update_ratio"] > 0
    rest = list(gen)
    assert [r["kind"] for r in rest] == ["step", "step", "epoch"] and rest[-1]["val_acc"] > 0.1
    assert params["W1"].dtype == np.float32 and not np.shares_memory(params["W1"], rest[-1]["params"]["W1"])


def test_train_impl_trains_saves_and_draw_reads_with_the_learners_forward(train_in_process, tmp_path,
                                                                          capsys):
    counting = mutant(tmp_path, '    cache = {"A0": X}\n',
                      '    cache = {"A0": X}\n    CALLS.append(X.shape)\n', "counting.py")
    counting.write_text("CALLS = []\n" + counting.read_text())
    out = tmp_path / "mine.npz"
    code, stdout, err = train_in_process("--impl", counting, "--hidden", "32", "--epochs", "2",
                                         "--max-rows", "3000", "--out", out, "--log-every", "10")
    assert code == 0, err
    assert "iter     10  epoch   1" in stdout and "sgd lr 0.1 constant, batch 32" in stdout
    assert float(stdout.split("test accuracy ")[1].split("%")[0]) >= 80      # 83.5 % on 2,700 rows
    params, layers, _ = fnn.load(str(out))
    assert [s["type"] for s in layers[1:]] == ["dense", "relu", "dense", "softmax"]

    X, y = fnn.io.data.load_csv(ROOT / "data" / "mnist_test.csv.gz", max_rows=1)
    png = tmp_path / "seven.png"
    save_digit_png(X[:, 0], png, scale=4)
    assert draw.main(["--impl", str(counting), "--model", str(out), "--image", str(png)]) == 0
    assert capsys.readouterr().out.startswith(f"{png}: {y[0]} (")

    stroke = [(14.5, 5.5), (14.5, 12.5), (14.5, 22.5)]
    script = {1: drag(stroke), 3: [key(pygame.K_s)], 4: [key(pygame.K_ESCAPE)]}
    code, states = run_app(["--impl", str(counting), "--model", str(out)], script)
    assert code == 0
    mine = states[-1]["impl"]                       # loaded by draw.py: its own CALLS
    assert mine.CALLS[-2:] == [(784, 1)] * 2, "the stroke's and S's predictions ran the learner's forward"
    AL, _ = mine.forward(params, states[-1]["seen"].reshape(-1, 1))
    assert np.allclose(states[-1]["probs"], AL[:, 0], atol=1e-6)


def test_draw_impl_refuses_a_conv_model(capsys):
    assert draw.main(["--impl", str(SOLUTION), "--model", str(ROOT / draw.DEFAULT_MODEL),
                      "--image", "x.png"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "is not a dense relu network" in err


def test_exercise_module_runs_without_the_window_parts():
    """fnn.exercise is fnn's: it never imports pygame or fnnapp."""
    import subprocess
    code = ("import sys, fnn.exercise.checks; "
            "sys.exit(any(m.split('.')[0] in ('pygame', 'fnnapp') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
