"""playground.py: the datasets, the linear activation and L1 against finite differences, the
window driven by real posted events (SDL_VIDEODRIVER=dummy), each dataset's accuracy floor,
and the command line's output, errors and signals."""
import signal
import subprocess
import sys
import time

import numpy as np
import pygame
import pytest

import fnn
import playground
from fnn import datasets, losses
from fnn.gradcheck import check_gradients, numerical_gradients, relative_error
from fnn.layers import dense_layers
from fnnapp.views import playground as P
from fnnapp.views import playground_draw as D
from fnnapp.views import playground_model as M
from conftest import ROOT


@pytest.fixture(autouse=True)
def signal_handlers():
    """playground.main installs Ctrl-C and SIGTERM handlers; put the test process's back."""
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, h in old.items():
        signal.signal(s, h)


# ---- the math added for the playground ----------------------------------------------------

def test_linear_hidden_layers_backward_matches_finite_differences():
    net = dense_layers([3, 4, 3, 2], "linear", "softmax")
    params = fnn.init_params(net, seed=1, dtype=np.float64)
    X = np.random.default_rng(2).standard_normal((3, 5))
    err, _ = check_gradients(params, X, np.array([0, 1, 1, 0, 1]), net)
    assert err < 1e-7


def test_l1_gradient_is_the_derivative_of_the_penalty():
    """grads_of with L1 = d/dtheta [J + (lambda/m) sum |W|], checked by central differences;
    the same check fails when the L1 term is left out, so it can catch a wrong one."""
    cfg = M.Config(features=("x1", "x2", "x1*x2"), hidden=(3,), reg="l1", reg_rate=0.3)
    net = M.network(cfg)
    params = fnn.init_params(net, seed=3, dtype=np.float64)
    U, y = datasets.make("xor", 6, 0.0, seed=4)
    X = datasets.features(U, cfg.features).astype(np.float64)

    def J(p):
        _, cache = fnn.forward(p, X, net)
        return fnn.compute_loss(cache, y) + losses.l1_penalty(p, cfg.reg_rate, X.shape[1])
    numeric = numerical_gradients(J, params)
    for c, ok in ((cfg, True), (cfg._replace(reg="none"), False)):
        grads = M.grads_of(c, net, params, X, y)
        errs = [relative_error(grads[k], numeric[k]) for k in numeric if k.startswith("dW")]
        assert (max(errs) < 1e-7) == ok


# ---- data --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(datasets.DATASETS))
def test_datasets_are_reproducible_and_in_range(name):
    U, y = datasets.make(name, 120, 0.2, seed=5)
    U2, y2 = datasets.make(name, 120, 0.2, seed=5)
    assert U.shape == (2, 120) and np.array_equal(U, U2) and np.array_equal(y, y2)
    assert not np.array_equal(U, datasets.make(name, 120, 0.2, seed=6)[0])
    k = datasets.DATASETS[name].classes
    if k:
        assert set(np.unique(y)) == set(range(k))
    else:
        assert 0 <= y.min() < y.max() <= 1
    assert np.abs(datasets.make(name, 120, 0.0, seed=5)[0]).max() <= datasets.RANGE


def test_features_and_split():
    U = np.array([[3.0, -6.0], [6.0, 0.0]])
    X = datasets.features(U, ("x1", "x2^2", "x1*x2", "sin x2"))
    assert X.dtype == np.float32 and np.allclose(X, [[1, -2], [4, 0], [2, 0], [np.sin(6), 0]])
    (a, ya), (b, yb) = datasets.split(*datasets.make("moons", 10), train=0.7)
    assert a.shape == (2, 7) and b.shape == (2, 3) and ya.shape == (7,)
    with pytest.raises(ValueError, match="unknown"):
        datasets.features(U, ("x3",))


# ---- accuracy each dataset reaches (the README's table) ------------------------------------

SETS = [  # dataset, hidden, features, steps, floor of the test accuracy (or ceiling of test MSE)
    ("circle", (4,), ("x1", "x2"), 300, 0.95),
    ("xor", (4,), ("x1", "x2"), 300, 0.95),
    ("gaussians", (2,), ("x1", "x2"), 100, 0.95),
    ("moons", (8,), ("x1", "x2"), 300, 0.95),
    ("spiral", (8, 8), ("x1", "x2", "sin x1", "sin x2"), 1000, 0.95),
    ("spiral3", (8, 8), ("x1", "x2", "sin x1", "sin x2"), 1000, 0.85),
    ("plane", (2,), ("x1", "x2"), 300, 0.002),
    ("bumps", (8,), ("x1", "x2"), 500, 0.01),
]


@pytest.mark.parametrize("name, hidden, feats, steps, floor", SETS)
def test_each_dataset_is_learned(name, hidden, feats, steps, floor):
    run = M.train(M.start(M.Config(dataset=name, hidden=hidden, features=feats)), steps, steps)
    s = M.scores(run)
    if datasets.DATASETS[name].classes:
        assert s["test accuracy"] >= floor, s
    else:
        assert s["test loss"] <= floor, s


def test_same_seed_same_weights_and_steps_in_pieces_agree():
    cfg = M.Config(dataset="moons", hidden=(5, 3), seed=7)
    a = M.train(M.start(cfg), 40)
    b = M.train(M.train(M.start(cfg), 15), 25)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    c = M.train(M.start(cfg._replace(seed=8)), 40)
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_explain_point_is_one_step_of_backprop():
    run = M.train(M.start(M.Config(dataset="spiral3", hidden=(4, 3))), 20)
    u, y = run.data[0][:, 0], run.data[1][0]
    rows = M.explain_point(run, u, y)
    A_L = rows[-1]["A"]
    assert np.allclose(rows[-1]["dZ"], A_L - np.eye(3)[:, [y]], atol=1e-6)             # BP1
    dA = rows[1]["W"].T @ rows[1]["dZ"]
    assert np.allclose(rows[0]["dZ"], dA * (1 - rows[0]["A"] ** 2), atol=1e-6)           # BP2, tanh
    assert np.allclose(rows[0]["dW"], rows[0]["dZ"] @ rows[0]["A_prev"].T, atol=1e-6)    # BP4


# ---- the window, driven by posted events ----------------------------------------------------

def click(state, action, button=1):
    rect = next(r for r, a in D.layout(state) if a == action)
    return [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=rect.center, button=button)]


def move(pos):
    return [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))]


def key(k, mod=0):
    return [pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0)]


def drive(state, steps):
    """run_window on state; steps[i](state) -> the events posted after frame i. -> the states
    each frame saw and the last one."""
    seen = []

    def on_frame(frame, s):
        seen.append(s)
        for e in steps[frame](s) if frame < len(steps) else [pygame.event.Event(pygame.QUIT)]:
            pygame.event.post(e)
    last = P.run_window(state, max_frames=len(steps) + 3, on_frame=on_frame)
    return seen, last


def new(**kw):
    return P.new_state(M.start(M.Config(**kw)), speed=5)


def test_adding_a_unit_and_a_layer_changes_the_shapes():
    seen, last = drive(new(hidden=(4, 2)), [lambda s: click(s, ("units", 1, 1)),
                                            lambda s: key(pygame.K_EQUALS),
                                            lambda s: click(s, ("layer", -1)),
                                            lambda s: click(s, ("layer", -1))])
    shapes = [s["run"].params["W1"].shape for s in seen[:5]]
    assert shapes[0] == (4, 2) and shapes[1] == (5, 2)
    assert seen[1]["run"].params["W2"].shape == (2, 5)
    assert seen[2]["run"].cfg.hidden == (5, 2, 4) and seen[2]["run"].params["W4"].shape == (1, 4)
    assert seen[3]["run"].cfg.hidden == (5, 2) and "W4" not in seen[3]["run"].params
    assert last["run"].cfg.hidden == (5,) and last["run"].params["W2"].shape == (1, 5)


def test_play_pause_step_and_reset_restore_the_seeds_weights():
    start = new(dataset="xor", seed=11)
    w0 = start["run"].params
    seen, last = drive(start, [lambda s: key(pygame.K_SPACE), lambda s: key(pygame.K_SPACE),
                               lambda s: key(pygame.K_n), lambda s: key(pygame.K_r)])
    assert seen[2]["run"].step >= 5 and not seen[2]["playing"]
    assert seen[3]["run"].step == seen[2]["run"].step + 1
    assert not np.array_equal(seen[3]["run"].params["W1"], w0["W1"])
    assert last["run"].step == 0
    assert all(np.array_equal(last["run"].params[k], w0[k]) for k in w0)     # bit for bit
    assert all(np.array_equal(last["run"].params[k], v)
               for k, v in fnn.init_params(M.network(start["run"].cfg), seed=11).items())


def test_settings_change_live_and_a_click_selects_a_unit():
    seen, last = drive(new(), [lambda s: click(s, ("field", "activation")),
                               lambda s: key(pygame.K_UP),
                               lambda s: click(s, ("dataset", "spiral3")),
                               lambda s: key(pygame.K_3),
                               lambda s: click(s, ("unit", 2, 1)),
                               lambda s: move(click(s, ("unit", 1, 3))[0].pos),
                               lambda s: move(D.OUT.center)])
    assert seen[1]["run"].cfg.activation == "relu"
    assert seen[2]["run"].cfg.lr == 0.1
    assert seen[3]["run"].params["W3"].shape == (3, 2)              # softmax over 3 classes
    assert seen[4]["run"].cfg.features == ("x1", "x2", "x1^2")
    assert seen[6]["hover"] == (1, 3) and seen[6]["selected"] == (2, 1)
    assert last["selected"] == (2, 1) and last["probe"] is not None and last["hover"] is None


def test_s_saves_a_model_file_and_refuses_to_overwrite_other_files(tmp_path):
    out = tmp_path / "pg.npz"
    state = P.new_state(M.train(M.start(M.Config(dataset="circle")), 10), save_to=str(out))
    seen, last = drive(state, [lambda s: key(pygame.K_s)])
    params, layers, meta = fnn.load(out)
    assert np.array_equal(params["W1"], state["run"].params["W1"]) and meta["dataset"] == "circle"
    assert "saved" in last["message"]
    other = tmp_path / "notes.txt"
    other.write_text("mine")
    msg = P.do(dict(state, save_to=str(other)), ("save",))["message"]
    assert "refusing" in msg and other.read_text() == "mine"


def test_every_action_draws(tmp_path):
    """A frame for each clickable thing, the equation and the explanation included."""
    state = new(dataset="spiral3", hidden=(3, 2), activation="relu")
    state = P.do(P.do(state, ("unit", 1, 0)), ("explain",))
    surface = pygame.Surface((D.WIDTH, D.HEIGHT))
    fonts = P.make_fonts()
    for _, action in D.layout(state):
        if action[0] != "save":
            D.render(surface, P.do(state, action), fonts)
    D.render(surface, dict(state, hover=(3, 2), explain=False), fonts)
    D.render(surface, P.do(state, ("explain",)), fonts)


# ---- the command line -----------------------------------------------------------------------

def test_cli_trains_headless_prints_scores_and_draws_the_same_picture(tmp_path, capsys):
    argv = ["--dataset", "moons", "--hidden", "6", "--steps", "200"]
    assert playground.main(argv + ["--screenshot", str(tmp_path / "a.png")]) == 0
    out = capsys.readouterr().out
    acc = float(next(l for l in out.splitlines() if l.startswith("test accuracy")).split()[-1])
    assert acc >= 0.85 and "train loss" in out
    assert playground.main(argv + ["--screenshot", str(tmp_path / "b.png"), "--select", "1,2",
                                   "--probe", "0"]) == 0
    assert playground.main(argv + ["--screenshot", str(tmp_path / "c.png")]) == 0
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.png", "b.png", "c.png"))
    assert a.startswith(b"\x89PNG") and a == c and a != b


@pytest.mark.parametrize("argv, phrase", [
    (["--hidden", "9"], "1 to 8 units"),
    (["--hidden", "1,1,1,1,1,1,1"], "up to 6"),
    (["--features", "x3"], "expected features"),
    (["--dataset", "nope"], "invalid choice"),
    (["--noise", "2"], "--noise"),
    (["--select", "5,1"], "--select"),
])
def test_bad_options_are_one_line_and_exit_2(argv, phrase, tmp_path, capsys):
    png = tmp_path / "x.png"
    assert exit_code(argv + ["--steps", "1", "--screenshot", str(png)]) == 2
    err = capsys.readouterr().err
    assert phrase in err and len(err.strip().splitlines()) == 1
    assert not png.exists()


def exit_code(argv):
    """playground.main's exit code, argparse's SystemExit included."""
    try:
        return playground.main(argv)
    except SystemExit as e:
        return e.code


def test_a_non_model_file_is_not_overwritten_by_save(tmp_path, capsys):
    other = tmp_path / "keep.txt"
    other.write_text("data")
    assert playground.main(["--steps", "5", "--save", str(other)]) == 2
    assert "refusing" in capsys.readouterr().err and other.read_text() == "data"


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_ctrl_c_end_the_window_in_one_line(sig, code):
    proc = subprocess.Popen([sys.executable, "playground.py"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline and not handles_sigterm(proc.pid):   # main has started
        time.sleep(0.1)
    time.sleep(0.5)                                                   # into the window's loop
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == code, err
    assert err.strip().splitlines() == ["playground.py: interrupted"]


def handles_sigterm(pid):
    """True once the process has its own SIGTERM handler (bit 15 of SigCgt in /proc)."""
    with open(f"/proc/{pid}/status") as f:
        caught = next(int(l.split()[1], 16) for l in f if l.startswith("SigCgt"))
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def test_a_selection_that_no_longer_exists_is_dropped():
    """The third output unit of the three spirals is gone on a two-class set; the probe's
    point belonged to the old data."""
    state = P.do(P.do(new(dataset="spiral3"), ("unit", 3, 2)), ("explain",))
    assert state["selected"] == (3, 2) and state["probe"][2] == "train"
    moved = P.do(P.do(state, ("explain",)), ("dataset", "circle"))
    assert moved["selected"] is None and moved["probe"] is None
    D.render(pygame.Surface((D.WIDTH, D.HEIGHT)), P.do(moved, ("unit", 1, 0)), P.make_fonts())


def test_the_data_and_training_settings_change_from_keys_and_clicks():
    s0 = new(dataset="moons")
    s = P.do(s0, ("field", "noise"))
    assert s["run"].cfg.noise == 0.05 and not np.array_equal(s["run"].data[0], s0["run"].data[0])
    s = P.do(s, ("field", "train"))
    assert s["run"].data[0].shape[1] == 240                          # 0.6 of 400 points
    for k, field, value in ((pygame.K_b, "batch", 100), (pygame.K_g, "reg", "l1"),
                            (pygame.K_RIGHTBRACKET, "reg_rate", 1e-4), (pygame.K_o, "optimizer", "sgd")):
        s = P.handle_event(s, key(k)[0])
        assert getattr(s["run"].cfg, field) == value
    assert s["run"].opt == {}                                        # sgd's state
    s = P.handle_event(s, key(pygame.K_d, pygame.KMOD_SHIFT)[0])
    assert s["run"].cfg.dataset == "spiral"                          # Shift+D: the one before


# ---- --impl: the learner's own four functions (tests/exercise_solution.py is a correct copy) ----

SOLUTION = str(ROOT / "tests" / "exercise_solution.py")


def test_impl_trains_with_the_learners_functions_as_fnn_would(capsys):
    """The learner's steps match fnn's backward and update from the same weights (the solution
    is correct), and the command line prints the scores of their network."""
    from fnnapp.cli import impl
    cfg = M.Config(dataset="moons", hidden=(6,), activation="relu", optimizer="sgd", lr=0.1, impl=SOLUTION)
    theirs = M.start(cfg, impl.checked(SOLUTION))
    ours = theirs._replace(learner=None)                 # the same weights, fnn's backward and sgd
    assert theirs.params["W2"].shape == (2, 6) and theirs.layers[-1]["type"] == "softmax"
    a, b = M.train(theirs, 20), M.train(ours, 20)
    assert all(np.allclose(a.params[k], b.params[k], atol=1e-5) for k in a.params)
    assert playground.main(["--impl", SOLUTION, "--dataset", "moons", "--hidden", "8", "--steps", "300"]) == 0
    acc = float(next(l for l in capsys.readouterr().out.splitlines() if l.startswith("test accuracy")).split()[-1])
    assert acc >= 0.9


@pytest.mark.parametrize("argv, phrase", [
    (["--impl", SOLUTION, "--activation", "tanh"], "does not go with --impl"),
    (["--impl", SOLUTION, "--dataset", "plane"], "a classification set"),
    (["--impl", str(ROOT / "exercises" / "network.py")], "checks do not pass"),
])
def test_impl_refuses_what_the_learners_network_has_not(argv, phrase, capsys):
    assert exit_code(argv + ["--steps", "2"]) == 2
    assert phrase in capsys.readouterr().err.splitlines()[-1]
