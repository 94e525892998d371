"""Seeded mutations of a valid model file and of a valid CSV (plain and .csv.gz): byte flips,
truncations, inserted and deleted bytes, and for the zip its members swapped, duplicated,
renamed, dropped or given other methods and sizes. Each mutant must load as valid-looking
data or be refused with the module's own error, one line naming the file; never another
exception, a warning, a hang or a jump in memory."""
import contextlib
import gzip
import io
import resource
import signal
import time
import warnings
import zipfile

import numpy as np
import pytest

import fnn
from fnn.io.data import NUM_PIXELS, DataError, load_csv
from fnn.io.model_files import ModelFileError

SEED = 14
NET = [fnn.Input(1, 6, 6), fnn.Conv(2, 3, pad=1), "relu", fnn.MaxPool(2), fnn.Flatten(),
       fnn.Dense(4), "tanh", fnn.Dense(3), "softmax"]


# ---- mutations --------------------------------------------------------------------------

SPECIAL = [b"\x00", b"\xff", b"\n", b"\r", b",", b'"', b"-", b".", b"9", b"e", b"\x80", b"PK"]


def mutate_bytes(data, rng):
    """One random edit of data: flip, set, insert, delete, duplicate or truncate."""
    n = len(data)
    i = int(rng.integers(0, n))
    kind = rng.integers(0, 7)
    if kind == 0:                                             # flip a few bits here and there
        out = bytearray(data)
        for j in rng.integers(0, n, int(rng.integers(1, 5))):
            out[j] ^= int(rng.integers(1, 256))
        return bytes(out)
    if kind == 1:                                             # a special byte in place of one
        return data[:i] + SPECIAL[rng.integers(len(SPECIAL))] + data[i + 1:]
    if kind == 2:                                             # inserted random bytes
        return data[:i] + rng.bytes(int(rng.integers(1, 17))) + data[i:]
    if kind == 3:                                             # a deleted span
        return data[:i] + data[i + int(rng.integers(1, 64)):]
    if kind == 4:                                             # a duplicated span
        j = i + int(rng.integers(1, 2048))
        return data[:j] + data[i:j] + data[j:]
    if kind == 5:                                             # 0xFF over 4 bytes: sizes, counts
        return data[:i] + b"\xff\xff\xff\xff" + data[i + 4:]
    return data[:i]                                           # truncated


def mutate_zip(data, rng):
    """Rebuild the zip with its members reordered, swapped, duplicated, renamed, dropped,
    recompressed or with one member's bytes (its .npy header, the JSON text) mutated under a
    valid CRC, or patch a field of one central-directory entry."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    kind = rng.integers(0, 8)
    k = int(rng.integers(len(members)))
    if kind == 0:                                             # two members' names swapped
        j = int(rng.integers(len(members)))
        (a, da), (b, db) = members[k], members[j]
        members[k], members[j] = (a, db), (b, da)
    elif kind == 1:                                           # a member twice
        members.insert(int(rng.integers(len(members) + 1)), members[k])
    elif kind == 2:                                           # a member renamed
        names = ["W1.npy", "W9.npy", "b0.npy", "x.npy", "W1.npy/", "../W1.npy", "__fnn__.npy", "W1"]
        members[k] = (names[rng.integers(len(names))], members[k][1])
    elif kind == 3:                                           # a member dropped
        del members[k]
    elif kind == 4:
        rng.shuffle(members)
    elif kind == 5:                                           # a member's bytes, near its start
        name, member = members[k]
        head, tail = member[:256], member[256:]
        members[k] = (name, mutate_bytes(head, rng) + tail)
    elif kind == 6:                                           # the JSON text of the header
        k = [name for name, _ in members].index("__fnn__.npy")
        text = str(np.load(io.BytesIO(members[k][1])))
        edited = mutate_bytes(text.encode(), rng).decode("utf-8", "replace")
        f = io.BytesIO()
        np.save(f, np.array(edited))
        members[k] = ("__fnn__.npy", f.getvalue())
    else:                                                     # a field of one directory entry
        out = bytearray(data)
        entries = [p for p in range(len(out)) if out[p:p + 4] == b"PK\x01\x02"]
        at = entries[k % len(entries)] + int(rng.choice([8, 10, 20, 24, 28, 42]))
        out[at:at + 4] = rng.bytes(4)
        return bytes(out)
    method = zipfile.ZIP_DEFLATED if rng.integers(2) else zipfile.ZIP_STORED
    f = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(f, "w", method) as z:
        warnings.simplefilter("ignore")                       # "Duplicate name"
        for name, member in members:
            z.writestr(name, member)
    return f.getvalue()


# ---- the harness --------------------------------------------------------------------------

@contextlib.contextmanager
def bounded(seconds):
    """Fail (instead of hanging) when the block takes longer than `seconds`; the peak RSS of
    the process may grow by at most 100 MB within it; a warning is an error (pandas warns when
    it drops a column it could not place, numpy when a value overflows)."""
    def too_slow(signum, frame):
        raise TimeoutError(f"the fuzz run took more than {seconds} s: a mutant hangs the loader")

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
    assert grown < 100, f"peak RSS grew by {grown} MB"


def one_line_about(path, err):
    text = str(err)
    assert text.startswith(f"{path}: ") and "\n" not in text and len(text) < 500, text


def check_model(path):
    """'loaded' or 'refused'; anything but a valid model or a ModelFileError fails the test."""
    try:
        params, layers, meta = fnn.load(path)
    except ModelFileError as err:
        one_line_about(path, err)
        return "refused"
    assert {k: a.shape for k, a in params.items()} == fnn.layers.param_shapes(layers)
    assert all(a.dtype in (np.float32, np.float64) and np.isfinite(a).all() for a in params.values())
    assert isinstance(meta, dict)
    with np.errstate(all="ignore"):                           # huge weights may overflow: allowed
        AL, _ = fnn.forward(params, np.ones((int(np.prod(layers[0]["shape"])), 2), np.float32), layers)
    assert AL.shape == (3, 2)
    return "loaded"


def check_csv(path):
    try:
        X, Y = load_csv(path)
    except DataError as err:
        one_line_about(path, err)
        return "refused"
    m = X.shape[1]
    assert X.shape == (NUM_PIXELS, m) and m >= 1 and X.dtype == np.float32
    assert np.isfinite(X).all() and X.min() >= 0 and X.max() <= 1
    assert Y is None or (Y.dtype == np.int64 and Y.shape == (m,) and Y.min() >= 0 and Y.max() <= 9)
    return "loaded"


def fuzz(tmp_path, name, base, mutate, check, count, seed):
    """Outcomes of `count` seeded mutants of base, each checked by `check`."""
    rng = np.random.default_rng(seed)
    path = tmp_path / name
    outcomes = []
    with bounded(30):
        for _ in range(count):
            path.write_bytes(mutate(base, rng))
            start = time.perf_counter()
            outcomes.append(check(path))
            assert time.perf_counter() - start < 2, f"one mutant took {time.perf_counter() - start:.1f} s"
    return outcomes


# ---- the tests ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "m.npz"
    fnn.save(path, fnn.init_params(NET, seed=SEED), NET, meta={"note": "fuzz"})
    return path.read_bytes()


def test_mutated_model_files_load_or_are_refused_in_one_line(tmp_path, model_bytes):
    outcomes = fuzz(tmp_path, "m.npz", model_bytes, mutate_bytes, check_model, 300, SEED)
    assert outcomes.count("refused") > 100           # the mutations do reach the checks


def test_restructured_model_zips_load_or_are_refused_in_one_line(tmp_path, model_bytes):
    outcomes = fuzz(tmp_path, "m.npz", model_bytes, mutate_zip, check_model, 200, SEED + 1)
    assert outcomes.count("refused") > 50 and outcomes.count("loaded") > 5


def csv_text(m=3, seed=SEED):
    rng = np.random.default_rng(seed)
    header = ["label"] + [f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)]
    rows = [[int(rng.integers(10))] + list(rng.integers(0, 256, NUM_PIXELS)) for _ in range(m)]
    return "\n".join(",".join(map(str, line)) for line in [header] + rows).encode() + b"\n"


def test_mutated_csv_files_load_or_are_refused_in_one_line(tmp_path):
    outcomes = fuzz(tmp_path, "d.csv", csv_text(), mutate_bytes, check_csv, 200, SEED + 2)
    assert outcomes.count("refused") > 50 and outcomes.count("loaded") > 5


def test_mutated_csv_gz_files_load_or_are_refused_in_one_line(tmp_path):
    def gz_of_mutant(text, rng):                      # the text mutated, or its gzip bytes
        if rng.integers(2):
            return gzip.compress(mutate_bytes(text, rng), compresslevel=1)
        return mutate_bytes(gzip.compress(text, compresslevel=1), rng)

    outcomes = fuzz(tmp_path, "d.csv.gz", csv_text(), gz_of_mutant, check_csv, 200, SEED + 3)
    assert outcomes.count("refused") > 50 and outcomes.count("loaded") > 0
