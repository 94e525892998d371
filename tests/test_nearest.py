"""fnn.analysis.nearest: the search against a plain loop, the features against A[L-1] by hand,
the cache's keys and refusals, and the pad's N key and not-a-digit rule driven by real events."""
import os
import shutil

import numpy as np
import pygame
import pytest

import fnn
from conftest import DATA, shipped_lines
from fnn.analysis import nearest
from fnnapp.views import pad
from fnnapp.views.theme import make_fonts
from test_draw import drag, key, run_app


def test_search_equals_a_plain_loop():
    rng = np.random.default_rng(0)
    bank = nearest.unit(rng.standard_normal((50, 6)))
    Q = rng.standard_normal((6, 4))
    idx, dist = nearest.search(bank, Q, k=5)
    for j in range(4):
        q = Q[:, j] / np.linalg.norm(Q[:, j])
        d = [1 - float(np.dot(b, q)) for b in bank]
        assert list(idx[:, j]) == sorted(range(50), key=lambda i: d[i])[:5]
        np.testing.assert_allclose(dist[:, j], sorted(d)[:5], atol=1e-6)


def test_features_are_the_last_hidden_layer_in_batches():
    params = fnn.init_params([6, 5, 4, 3], seed=1, dtype=np.float64)
    X = np.random.default_rng(1).random((6, 7))
    A1 = np.maximum(params["W1"] @ X + params["b1"], 0)
    A2 = np.maximum(params["W2"] @ A1 + params["b2"], 0)
    np.testing.assert_allclose(nearest.features(params, X, batch=3), A2, atol=1e-12)


def test_doubt_rule():
    assert nearest.doubt(10, 0.99) == "too little ink"
    assert "50%" in nearest.doubt(100, 0.4)
    assert nearest.doubt(100, 0.9, 0.3, 0.2) == "unlike every training digit"
    assert nearest.doubt(100, 0.9, 0.1, 0.2) is None and nearest.doubt(100, 0.9) is None


@pytest.fixture(scope="module")
def bank():
    X, y = fnn.io.data.load_csv(DATA / "mnist_train.csv.gz", max_rows=200)
    params = fnn.init_params([784, 16, 10], seed=0)
    return params, nearest.build(params, None, X, y)


def test_cache_round_trip_and_stale_keys(bank, tmp_path):
    params, b = bank
    path = str(tmp_path / "m.nearest.npz")
    nearest.save_cache(path, b, "model-a", "csv-a", "train.csv")
    back = nearest.load_cache(path, "model-a", "csv-a")
    assert all(np.array_equal(back[k], b[k]) for k in b)
    assert nearest.load_cache(path, "model-b", "csv-a") is None          # another model: stale
    assert nearest.load_cache(path, "model-a", "csv-b") is None          # another CSV: stale
    nearest.save_cache(path, b, "model-b", "csv-a", "train.csv")        # our own: replaced
    assert nearest.load_cache(path, "model-b", "csv-a") is not None
    assert b["features"].dtype == np.float16 and 0 < float(b["d_max"]) < 1


@pytest.mark.parametrize("content", [b"not a zip at all", "model", b"PK\x03\x04truncated"])
def test_a_foreign_or_corrupt_cache_is_refused_in_one_line_and_kept(bank, tmp_path, content):
    params, b = bank
    path = tmp_path / "m.nearest.npz"
    if content == "model":
        fnn.save(path, params)
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    for call in (lambda: nearest.load_cache(str(path), "m", "c"),
                 lambda: nearest.save_cache(str(path), b, "m", "c", "train.csv")):
        with pytest.raises(nearest.CacheError) as e:
            call()
        assert str(path) in str(e.value) and "\n" not in str(e.value)
    assert path.read_bytes() == before


# ---- the pad, driven by real events -------------------------------------------------------------

@pytest.fixture(scope="module")
def pad_files(tmp_path_factory):
    """The shipped MLP copied into a folder of its own (its cache goes beside it), and a CSV of
    the first 300 training digits for N to search."""
    d = tmp_path_factory.mktemp("pad")
    shutil.copy(DATA / "mnist_mlp.npz", d / "mlp.npz")
    (d / "few.csv").write_text("".join(shipped_lines("mnist_train.csv.gz", 300)))
    return d


ONE = [(14.5, 5.5), (14.5, 12.5), (14.5, 22.5)]                            # a 1


def test_N_shows_the_nearest_training_digits_and_caches_them(pad_files, capsys):
    model, csv = pad_files / "mlp.npz", pad_files / "few.csv"
    argv = ["--model", str(model), "--nearest-csv", str(csv)]
    script = {1: drag(ONE), 2: [key(pygame.K_n)], 3: [key(pygame.K_n)], 4: [key(pygame.K_ESCAPE)]}
    code, states = run_app(argv, script)
    assert code == 0 and "building the nearest-digits cache" in capsys.readouterr().out
    near = states[3]["nearest"]
    assert states[3]["aside"] == "nearest" and len(near["labels"]) == 8
    assert np.sum(near["labels"] == 1) >= 6 and (np.diff(near["dist"]) >= 0).all()
    assert states[4]["aside"] is None                                        # N again: back
    assert os.path.exists(pad_files / "mlp.nearest.npz")
    code, states = run_app(argv, {1: drag(ONE), 2: [key(pygame.K_n)], 3: [key(pygame.K_ESCAPE)]})
    assert code == 0 and "building" not in capsys.readouterr().out           # read from the cache
    assert states[3]["nearest"]["labels"][0] == 1


def test_N_refuses_a_foreign_file_where_the_cache_goes(pad_files, tmp_path):
    model = tmp_path / "m.npz"
    shutil.copy(pad_files / "mlp.npz", model)
    (tmp_path / "m.nearest.npz").write_text("my notes")
    code, states = run_app(["--model", str(model), "--nearest-csv", str(pad_files / "few.csv")],
                           {1: drag(ONE), 2: [key(pygame.K_n)], 3: [key(pygame.K_ESCAPE)]})
    assert code == 0 and states[3]["nearest"] is None
    assert "not a nearest-digits cache" in states[3]["message"]
    assert (tmp_path / "m.nearest.npz").read_text() == "my notes"


def test_N_caches_a_shipped_models_bank_in_models_not_data(pad_files, tmp_path, monkeypatch):
    from fnnapp.cli import paths
    shipped = tmp_path / "data"
    shipped.mkdir()
    shutil.copy(pad_files / "mlp.npz", shipped / "mlp.npz")
    monkeypatch.setattr(paths, "ROOT", str(tmp_path))
    monkeypatch.setattr(paths, "SHIPPED", str(shipped))
    code, states = run_app(["--model", str(shipped / "mlp.npz"), "--nearest-csv", str(pad_files / "few.csv")],
                           {1: drag(ONE), 2: [key(pygame.K_n)], 3: [key(pygame.K_ESCAPE)]})
    assert code == 0 and len(states[3]["nearest"]["labels"]) == 8
    assert os.listdir(shipped) == ["mlp.npz"]
    assert os.listdir(tmp_path / "models") == ["mlp.nearest.npz"]


def test_a_scribble_or_a_dot_does_not_look_like_a_digit(pad_files):
    """With the nearest digits open (N), a hash sign is farther from every training digit than
    d_max; a dot has too little ink; a 1 is a digit."""
    hash_sign = [drag(s) for s in ([(5, 9), (23, 9)], [(5, 19), (23, 19)], [(9, 5), (9, 23)], [(19, 5), (19, 23)])]
    script = {1: drag(ONE), 2: [key(pygame.K_n)], 3: [key(pygame.K_c)], 4: sum(hash_sign, []),
              5: [key(pygame.K_c)], 6: drag([(12.5, 12.5)]), 7: [key(pygame.K_ESCAPE)]}
    code, states = run_app(["--model", str(pad_files / "mlp.npz"), "--nearest-csv", str(pad_files / "few.csv")],
                           script)
    assert code == 0
    assert states[2]["doubt"] is None and int(states[2]["probs"].argmax()) == 1
    assert states[5]["doubt"] == "unlike every training digit"
    assert states[7]["doubt"] == "too little ink"
    fonts, shown = make_fonts(), []
    for state in (states[5], dict(states[5], doubt=None)):
        surface = pygame.Surface((pad.WIDTH, pad.HEIGHT))
        pad.render(surface, state, fonts)
        shown.append(pygame.surfarray.array3d(surface)[pad.PANEL.x:pad.PANEL.right, pad.PANEL.y:pad.PANEL.y + 120])
    assert not np.array_equal(*shown), "the headline says so instead of the big digit"
