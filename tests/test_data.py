"""fnn.io.data.load_csv: the shipped MNIST files, every supported layout, and an exact one-line
DataError (file, line, column) for every kind of bad input."""
import bz2
import csv
import gzip
import itertools
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import fnn.io.data as fnn_data
import peak_rss
from conftest import Early
from fnn.io.data import NUM_PIXELS, DataError, load_csv

ROOT = Path(__file__).resolve().parent.parent
TEST_GZ = ROOT / "data" / "mnist_test.csv.gz"

SHIPPED_HEADER = ["label"] + [f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)]
KAGGLE_HEADER = ["label"] + [f"pixel{i}" for i in range(NUM_PIXELS)]


# ---------------------------------------------------------------------------------------------
# helpers

def sample(m=6, seed=0):
    """(m, 785) int array: a label 0-9 then 784 pixels 0-255 a row, like a real file."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.integers(0, 10, m), rng.integers(0, 256, (m, NUM_PIXELS))])


def csv_text(rows, header=SHIPPED_HEADER, newline="\n"):
    """CSV text of rows (lists of values or strings) under header (None: no header line)."""
    lines = [",".join(header)] if header is not None else []
    lines += [",".join(str(v) for v in row) for row in rows]
    return newline.join(lines) + newline


def write(path, text):
    """Write text (str or bytes) to path, compressed as its name says; returns str(path)."""
    data = text.encode() if isinstance(text, str) else text
    compress = {".gz": gzip.compress, ".bz2": bz2.compress}.get(Path(path).suffix)
    Path(path).write_bytes(compress(data, compresslevel=1) if compress else data)
    return str(path)


def edited(rows, line_edits, header=SHIPPED_HEADER):
    """CSV text of rows with some fields replaced: {(file line, field index): text}."""
    table = [[str(v) for v in row] for row in rows]
    first = 2 if header is not None else 1
    for (line, j), text in line_edits.items():
        table[line - first][j] = text
    return csv_text(table, header)


def error_of(path, **kwargs):
    """The DataError message load_csv raises for path; checks it is one line naming the file."""
    with pytest.raises(DataError) as info:
        load_csv(path, **kwargs)
    message = str(info.value)
    assert type(info.value) is DataError and isinstance(info.value, ValueError)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message[len(f"{path}: "):]


def expected_xy(rows):
    """What load_csv must return for int rows (m, 785): X = pixels.T / 255 in float32, Y labels."""
    X = rows[:, 1:].T.astype(np.float32) / np.float32(255)
    return X, rows[:, 0].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# the shipped MNIST files

def first_rows_of_test_gz(k):
    """The first k rows of the shipped test file, read without pandas or fnn: (k, 785) ints."""
    with gzip.open(TEST_GZ, "rt", newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == SHIPPED_HEADER
        return np.array([list(map(int, row)) for row in itertools.islice(reader, k)])


def test_shipped_test_head_matches_an_independent_read():
    X, Y = load_csv(TEST_GZ, max_rows=1000)
    assert X.shape == (NUM_PIXELS, 1000) and X.dtype == np.float32 and X.T.flags.c_contiguous
    assert Y.shape == (1000,) and Y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    rows = first_rows_of_test_gz(1000)
    X_ref, Y_ref = expected_xy(rows)
    np.testing.assert_array_equal(Y, Y_ref)
    np.testing.assert_array_equal(X, X_ref)                 # exactly pixel / 255, float32
    assert Y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_shipped_test_file_label_counts():
    X, Y = load_csv(str(TEST_GZ))
    assert X.shape == (NUM_PIXELS, 10000)
    assert np.bincount(Y, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                      974, 1009]


def test_max_rows_reads_only_that_many_rows_and_ignores_what_follows(tmp_path):
    rows = sample(5)
    text = edited(rows, {(5, 3): "abc"}) + "not,even,close\n"
    path = write(tmp_path / "x.csv", text)
    X, Y = load_csv(path, max_rows=3)
    X_ref, Y_ref = expected_xy(rows[:3])
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(Y, Y_ref)
    assert load_csv(path, max_rows=np.int64(1))[0].shape == (NUM_PIXELS, 1)
    assert error_of(path, max_rows=4) == 'line 5, column "1x3": "abc" is not a number'


def test_max_rows_beyond_the_file_reads_it_all(tmp_path):
    rows = sample(4)
    X, Y = load_csv(write(tmp_path / "x.csv", csv_text(rows)), max_rows=100)
    np.testing.assert_array_equal(Y, rows[:, 0])


# ---------------------------------------------------------------------------------------------
# every layout gives the same arrays

LABELLED_LAYOUTS = {
    "shipped header": lambda rows: csv_text(rows, SHIPPED_HEADER),
    "kaggle header": lambda rows: csv_text(rows, KAGGLE_HEADER),
    "no header": lambda rows: csv_text(rows, None),
    "pandas column numbers": lambda rows: csv_text(rows, [str(i) for i in range(785)]),
    "windows line ends": lambda rows: csv_text(rows, SHIPPED_HEADER, newline="\r\n"),
    "byte-order mark": lambda rows: "\ufeff" + csv_text(rows, KAGGLE_HEADER),
    "blank lines": lambda rows: "\n\n" + csv_text(rows).replace("\n", "\n\n", 2) + "\n  \n",
    "no final newline": lambda rows: csv_text(rows, None).rstrip("\n"),
    "quoted and spaced": lambda rows: csv_text([[f'"{v}"' if j % 2 else f" {v} "
                                                 for j, v in enumerate(r)] for r in rows]),
    "float pixels": lambda rows: csv_text([[v if j == 0 else f"{v}.0" for j, v in enumerate(r)]
                                           for r in rows]),
}


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.bz2"])
@pytest.mark.parametrize("layout", sorted(LABELLED_LAYOUTS))
def test_labelled_layouts_give_identical_arrays(tmp_path, layout, suffix):
    rows = sample(7, seed=1)
    path = write(tmp_path / f"train{suffix}", LABELLED_LAYOUTS[layout](rows))
    X, Y = load_csv(path)
    X_ref, Y_ref = expected_xy(rows)
    assert X.dtype == np.float32 and X.T.flags.c_contiguous and Y.dtype == np.int64
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(Y, Y_ref)
    X, Y = load_csv(Path(path), labels=True)
    np.testing.assert_array_equal(X, X_ref)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
@pytest.mark.parametrize("header", [KAGGLE_HEADER[1:], None], ids=["kaggle test.csv", "no header"])
def test_unlabelled_784_columns_give_Y_None(tmp_path, header, suffix):
    rows = sample(5, seed=2)
    path = write(tmp_path / f"test{suffix}", csv_text(rows[:, 1:], header))
    X_ref, _ = expected_xy(rows)
    for labels in ("auto", False):
        X, Y = load_csv(path, labels=labels)
        assert Y is None and X.T.flags.c_contiguous
        np.testing.assert_array_equal(X, X_ref)


def test_single_row_and_extreme_values(tmp_path):
    rows = np.array([[9] + [0, 255] * (NUM_PIXELS // 2)])
    X, Y = load_csv(write(tmp_path / "one.csv", csv_text(rows)))
    assert X.shape == (NUM_PIXELS, 1) and Y.tolist() == [9]
    assert X[:2, 0].tolist() == [0.0, 1.0]


# ---------------------------------------------------------------------------------------------
# the labels argument

def test_labels_true_on_an_unlabelled_file_says_it_has_no_label_column(tmp_path):
    path = write(tmp_path / "test.csv", csv_text(sample(3)[:, 1:], KAGGLE_HEADER[1:]))
    assert error_of(path, labels=True) == ("has no label column (784 columns, pixels only) but"
                                           " labels=True; use a labelled file (label + 784 pixels)"
                                           " or labels=False")


def test_labels_false_on_a_labelled_file(tmp_path):
    path = write(tmp_path / "train.csv", csv_text(sample(3)))
    assert error_of(path, labels=False) == ('line 1 (header): expected 784 columns (pixels only,'
                                            ' labels=False), found 785: the file has a label'
                                            ' column; use labels=True or "auto"')


@pytest.mark.parametrize("kwargs", [dict(labels="yes"), dict(labels=None), dict(max_rows=0),
                                    dict(max_rows=-5)])
def test_bad_arguments_are_programming_errors_not_data_errors(tmp_path, kwargs):
    path = write(tmp_path / "train.csv", csv_text(sample(2)))
    with pytest.raises(ValueError) as info:
        load_csv(path, **kwargs)
    assert not isinstance(info.value, DataError)


def test_max_rows_must_be_an_integer(tmp_path):
    with pytest.raises(TypeError):
        load_csv(write(tmp_path / "train.csv", csv_text(sample(2))), max_rows=2.5)


# ---------------------------------------------------------------------------------------------
# missing, empty, unreadable files

def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.csv")
    assert error_of(path) == f"no such file (looked for {os.path.abspath(path)}); check the path"


def test_missing_file_suggests_the_gz_next_to_it(tmp_path):
    write(tmp_path / "train.csv.gz", csv_text(sample(1)))
    path = str(tmp_path / "train.csv")
    assert error_of(path).endswith(f"did you mean {path}.gz? (pandas reads .csv.gz directly,"
                                   f" no need to unpack)")


def test_directory(tmp_path):
    assert error_of(str(tmp_path)) == ("is a directory, not a CSV file; give the path of a .csv"
                                       " or .csv.gz file")


def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.csv", "")
    assert error_of(path) == "is empty (0 bytes); expected a header line and one image a row"


@pytest.mark.parametrize("name, text", [("blank.csv", "\n \n\n"), ("empty.csv.gz", "")])
def test_no_lines_at_all(tmp_path, name, text):
    path = write(tmp_path / name, text)
    assert error_of(path) == ("has no data, only blank lines; expected a header line and one"
                              " image a row")


@pytest.mark.parametrize("name", ["header.csv", "header.csv.gz"])
def test_header_only(tmp_path, name):
    path = write(tmp_path / name, csv_text([], SHIPPED_HEADER) + "\n")
    assert error_of(path) == "has a header line but no data rows; expected one image a row"


def test_random_bytes(tmp_path):
    path = write(tmp_path / "noise.csv", np.random.default_rng(0).bytes(5000))
    message = error_of(path)
    assert message.startswith("cannot read as CSV (UnicodeDecodeError: 'utf-8' codec can't decode")


def test_binary_with_nul_bytes(tmp_path):
    path = write(tmp_path / "nul.csv", b"\n" + csv_text(sample(2)).encode().replace(b"x1", b"\0"))
    assert error_of(path) == ("cannot read as CSV (line 2 contains NUL bytes: a binary file,"
                              " not text)")


def test_control_characters_in_a_bad_value_are_escaped(tmp_path):
    path = write(tmp_path / "ctl.csv", edited(sample(3), {(3, 9): "4\x00\x07"}))
    assert error_of(path) == 'line 3, column "1x9": "4\\x00\\x07" is not a number'


def test_truncated_gzip(tmp_path):
    data = gzip.compress(csv_text(sample(50)).encode())
    path = write(tmp_path / "cut.csv", data[: len(data) // 2])
    os.replace(path, path := str(tmp_path / "cut.csv.gz"))    # written as is, not compressed again
    assert error_of(path) == ("cannot read as CSV (EOFError: Compressed file ended before the"
                              " end-of-stream marker was reached); the gzip file is truncated"
                              " or corrupt: download or copy it again")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 200)
    message = error_of(str(path))
    assert message.startswith("cannot read as CSV (")
    assert message.endswith("; the gzip file is truncated or corrupt: download or copy it again")


def test_not_gzip_but_named_gz(tmp_path):
    path = write(tmp_path / "plain.csv", csv_text(sample(2)))
    os.replace(path, path := str(tmp_path / "plain.csv.gz"))
    assert error_of(path) == ("cannot read as CSV (BadGzipFile: Not a gzipped file (b'la'));"
                              " the file is not gzip-compressed: remove .gz from its name")


def test_gzip_named_csv_gets_a_hint(tmp_path):
    path = tmp_path / "packed.csv"
    path.write_bytes(gzip.compress(csv_text(sample(2)).encode()))
    assert error_of(str(path)).endswith("; the file is gzip-compressed: name it .csv.gz")


# ---------------------------------------------------------------------------------------------
# wrong number of columns

def test_every_row_has_ten_columns(tmp_path):
    rows = np.arange(40).reshape(4, 10)
    path = write(tmp_path / "ten.csv", csv_text(rows, None))
    assert error_of(path) == ("line 1: expected 785 columns (label + 784 pixels) or 784 (pixels"
                              " only), found 10")
    assert error_of(path, labels=True) == ("line 1: expected 785 columns (label + 784 pixels),"
                                           " found 10")
    assert error_of(path, labels=False) == "line 1: expected 784 columns (pixels only), found 10"


def test_header_with_ten_columns(tmp_path):
    path = write(tmp_path / "ten.csv", "\n" + csv_text(np.zeros((2, 10), int), list("abcdefghij")))
    assert error_of(path) == ("line 2 (header): expected 785 columns (label + 784 pixels) or 784"
                              " (pixels only), found 10")


def test_semicolon_separated_file_gets_a_hint(tmp_path):
    path = write(tmp_path / "excel.csv", csv_text(sample(2)).replace(",", ";"))
    assert error_of(path) == ("line 1 (header): expected 785 columns (label + 784 pixels) or 784"
                              " (pixels only), found 1; the line has no commas but ';': save the"
                              " file as comma-separated")


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_row_with_an_extra_column_names_its_line(tmp_path, suffix):
    # pandas itself raises ParserError "Expected 785 fields in line 7, saw 786" here
    table = [[str(v) for v in row] for row in sample(8)]
    table[5].append("0")                                  # data row 6 = file line 7
    path = write(tmp_path / f"ragged{suffix}", csv_text(table))
    assert error_of(path) == "line 7: expected 785 columns (label + 784 pixels), found 786"


def test_row_with_missing_columns_names_its_line(tmp_path):
    table = [[str(v) for v in row] for row in sample(8)]
    table[5] = table[5][:780]
    path = write(tmp_path / "short.csv", csv_text(table))
    assert error_of(path) == "line 7: expected 785 columns (label + 784 pixels), found 780"


def test_line_numbers_count_blank_lines_and_windows_line_ends(tmp_path):
    table = [[str(v) for v in row] for row in sample(5)]
    table[3].append("1")                                 # data row 4
    text = csv_text(table, SHIPPED_HEADER, newline="\r\n")
    text = "\r\n" + text.replace("\r\n", "\r\n\r\n", 2)  # blank lines 1, 3 and 5
    path = write(tmp_path / "gaps.csv", text)
    # line 1 blank, 2 header, 3 blank, 4 row 1, 5 blank, 6-8 rows 2-4
    assert error_of(path) == "line 8: expected 785 columns (label + 784 pixels), found 786"


def test_unlabelled_file_with_a_ragged_row(tmp_path):
    table = [[str(v) for v in row[1:]] for row in sample(4)]
    table[2].pop()
    path = write(tmp_path / "test.csv", csv_text(table, None))
    assert error_of(path) == "line 3: expected 784 columns (784 pixels, no label), found 783"


def test_unclosed_quote(tmp_path):
    path = write(tmp_path / "quote.csv", edited(sample(5), {(3, 10): '"7'}))
    assert error_of(path) == ('line 3: a quoted field runs on to line 6; check for an unclosed "'
                              ' quote')


# ---------------------------------------------------------------------------------------------
# bad values: line, column and what is wrong

# (file line, field index) -> text, and the message expected; field 0 is the label, field 42 is
# pixel "2x14" (row 2, column 14 of the image).
BAD_VALUES = {
    "not a number": ({(5, 42): "abc"}, 'line 5, column "2x14": "abc" is not a number'),
    "number with junk": ({(5, 42): "12x"}, 'line 5, column "2x14": "12x" is not a number'),
    "empty value": ({(3, 42): ""}, 'line 3, column "2x14": missing value (empty field)'),
    "blank value": ({(3, 42): "  "}, 'line 3, column "2x14": missing value (empty field)'),
    "NA": ({(4, 784): "NA"}, 'line 4, column "28x28": "NA" is not a number'),
    "nan": ({(4, 1): "nan"}, 'line 4, column "1x1": "nan" is not a number'),
    "underscore": ({(4, 2): "1_0"}, 'line 4, column "1x2": "1_0" is not a number'),
    "negative pixel": ({(2, 42): "-1"}, 'line 2, column "2x14": pixel value "-1" is outside 0-255'),
    "pixel 256": ({(6, 42): "256"}, 'line 6, column "2x14": pixel value "256" is outside 0-255'),
    "pixel 1e6": ({(6, 42): "1e6"}, 'line 6, column "2x14": pixel value "1e6" is outside 0-255'),
    "pixel inf": ({(6, 42): "inf"}, 'line 6, column "2x14": pixel value "inf" is outside 0-255'),
    "label 10": ({(4, 0): "10"}, 'line 4: label "10" is not an integer 0-9'),
    "label -1": ({(4, 0): "-1"}, 'line 4: label "-1" is not an integer 0-9'),
    "label 3.5": ({(4, 0): "3.5"}, 'line 4: label "3.5" is not an integer 0-9'),
    "label text": ({(4, 0): "seven"}, 'line 4, column "label": "seven" is not a number'),
    "label empty": ({(4, 0): ""}, 'line 4, column "label": missing value (empty field)'),
    "first of two": ({(5, 100): "x", (3, 700): "300"},
                     'line 3, column "25x28": pixel value "300" is outside 0-255'),
    "leftmost in a line": ({(3, 700): "300", (3, 100): "y"},
                           'line 3, column "4x16": "y" is not a number'),
    "long value": ({(2, 5): "a" * 50}, 'line 2, column "1x5": "aaaaaaaaaaaaaaaaaaaa..." is not a'
                                       ' number'),
}


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_value_names_line_and_column(tmp_path, case, suffix):
    edits, message = BAD_VALUES[case]
    path = write(tmp_path / f"bad{suffix}", edited(sample(6), edits))
    assert error_of(path) == message


def test_bad_value_in_a_kaggle_file_uses_its_column_names(tmp_path):
    path = write(tmp_path / "train.csv", edited(sample(4), {(3, 1): "abc"}, KAGGLE_HEADER))
    assert error_of(path) == 'line 3, column "pixel0": "abc" is not a number'


def test_bad_value_in_a_headerless_file_names_the_column_number(tmp_path):
    path = write(tmp_path / "raw.csv", edited(sample(4), {(3, 300): "999"}, header=None))
    assert error_of(path) == 'line 3, column 301: pixel value "999" is outside 0-255'
    path = write(tmp_path / "raw2.csv", edited(sample(4)[:, 1:], {(2, 5): "-"}, header=None))
    assert error_of(path) == 'line 2, column 6: "-" is not a number'


def test_bad_value_in_the_first_row_of_a_headerless_file_is_not_taken_for_a_header(tmp_path):
    path = write(tmp_path / "raw.csv", edited(sample(4), {(1, 3): "abc"}, header=None))
    assert error_of(path) == 'line 1, column 4: "abc" is not a number'
    path = write(tmp_path / "raw2.csv", edited(sample(4), {(1, 0): "inf"}, header=None))
    assert error_of(path) == 'line 1: label "inf" is not an integer 0-9'


# ---------------------------------------------------------------------------------------------
# files of many chunks: pandas parses CHUNK rows at a time; clean chunks are not re-checked

CHUNK = 64


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(fnn_data, "_CHUNK_ROWS", CHUNK)


@pytest.mark.parametrize("m, max_rows", [(5 * CHUNK, None), (5 * CHUNK + 7, None),
                                         (5 * CHUNK, 3 * CHUNK), (5 * CHUNK, 3 * CHUNK + 1)])
def test_many_chunks_load_like_one(tmp_path, small_chunks, m, max_rows):
    rows = sample(m, seed=4)
    X, Y = load_csv(write(tmp_path / "many.csv", csv_text(rows)), max_rows=max_rows)
    X_ref, Y_ref = expected_xy(rows[:max_rows])
    assert X.T.flags.c_contiguous
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(Y, Y_ref)


@pytest.mark.parametrize("line, edit, message", [
    (3 * CHUNK + 5, {512: "2.5e3"}, 'column "19x8": pixel value "2.5e3" is outside 0-255'),
    (4 * CHUNK + 1, {0: "x"}, 'column "label": "x" is not a number'),
    (2 * CHUNK + 2, {0: "11"}, 'label "11" is not an integer 0-9'),
    (5 * CHUNK + 1, {784: "1,2"}, "expected 785 columns (label + 784 pixels), found 786"),
    (CHUNK + 1, {784: ""}, 'column "28x28": missing value (empty field)'),
])
def test_bad_value_in_a_later_chunk_names_its_line(tmp_path, small_chunks, line, edit, message):
    rows = sample(5 * CHUNK + 3, seed=5)
    text = edited(rows, {(line, j): text for j, text in edit.items()})
    text = text.replace("\n", "\n\n", 1)                    # a blank line 2 shifts the rest
    path = write(tmp_path / "many.csv.gz", text)
    separator = ": " if message.startswith(("label", "expected")) else ", "
    assert error_of(path) == f"line {line + 1}{separator}{message}"
    X, Y = load_csv(path, max_rows=line - 2)               # the rows before it are fine
    np.testing.assert_array_equal(Y, rows[:line - 2, 0])


def test_larger_file_with_one_bad_value_near_the_end(tmp_path):
    rows = sample(1000, seed=3)
    path = write(tmp_path / "big.csv.gz", edited(rows, {(999, 512): "2.5e3"}))
    assert error_of(path) == 'line 999, column "19x8": pixel value "2.5e3" is outside 0-255'


# ---------------------------------------------------------------------------------------------
# hostile files: lines and inflation are bounded, so a small file cannot take unbounded memory

def gzip_of_repeats(head, unit, mib):
    """A .gz of head then `unit` repeated to mib MiB (unit divides 1 MiB's worth into whole
    units), built from one deflate block repeated: ~1 KB of file for each MiB it inflates to."""
    import struct
    import zlib
    block_text = unit * ((1 << 20) // len(unit))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(block_text) + c.flush(zlib.Z_FULL_FLUSH)       # the same bytes each time
    raw += block * mib + c.flush()
    crc = zlib.crc32(head)
    for _ in range(mib):
        crc = zlib.crc32(block_text, crc)
    size = len(head) + mib * len(block_text)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + raw + struct.pack("<2L", crc, size & 0xFFFFFFFF)


HEADER_LINE = (",".join(SHIPPED_HEADER) + "\n").encode()
ZERO_ROW = ("0," * NUM_PIXELS + "0\n").encode()

def inflating_loads(d):
    """Four files that inflate to 128 MiB each and a valid one -> (their paths, peak_rss's
    command line loading them)."""
    good = write(d / "good.csv.gz", csv_text(sample(20)))
    cases = {"one_line": (b"", b"0,"), "header_then_one_line": (HEADER_LINE, b"0,"),
             "header_line": (b"label,", b"1x1,"), "zero_rows": (HEADER_LINE, ZERO_ROW)}
    paths = []
    for name, (head, unit) in cases.items():
        paths.append(d / f"{name}.csv.gz")
        paths[-1].write_bytes(gzip_of_repeats(head, unit, 128))
    return paths, peak_rss.command("fnn.io.data", "load_csv", "DataError", good, paths)


def test_small_gz_files_that_inflate_to_huge_lines_or_rows_take_bounded_memory(early):
    """Each file is under 300 KB and inflates to 128 MiB: one line, a header then one line, a
    header of one line, or 85,000 rows of zeros. Peak RSS must stay within 32 MB of loading a
    valid file for the lines (they stop at MAX_LINE_BYTES), and within 200 MB for the rows:
    inflation stops at 64 times the file + 32 MiB, 49 MB of text here, whose 31,000 rows
    load to 98 MB of float32 before the bound is reached."""
    paths, run = early["inflating loads"]
    assert all(path.stat().st_size < 300_000 for path in paths)
    results = peak_rss.growth(run.result())
    assert len(results) == len(paths)
    for path, outcome, grown in results:
        assert outcome == "DataError" and grown < (200 if "zero_rows" in path else 32), (path, outcome, grown)


@pytest.mark.parametrize("name, text, message", [
    ("long.csv", HEADER_LINE + ZERO_ROW + b"1," * 40000 + b"1\n" + ZERO_ROW,
     "line 3: longer than 65,536 bytes (a row of MNIST is at most 3,140); not an MNIST CSV file"),
    ("long_header.csv", b"label," * 20000 + b"\n" + ZERO_ROW, "line 1: longer than 65,536 bytes"),
    ("long_gz.csv.gz", HEADER_LINE + b"\n\r\n" + ZERO_ROW * 3 + b"7" * 70000, "line 7: longer than 65,536 bytes"),
    ("one_line_mac.csv", (HEADER_LINE + ZERO_ROW * 50).replace(b"\n", b" "), "line 1: longer than 65,536 bytes"),
])
def test_a_line_longer_than_any_mnist_row_is_refused_with_its_line_number(tmp_path, name, text, message):
    path = write(tmp_path / name, text)
    assert error_of(path).startswith(message)


def test_old_mac_line_ends_still_load(tmp_path):
    rows = sample(40, seed=7)
    path = write(tmp_path / "mac.csv", csv_text(rows, newline="\r"))
    X, Y = load_csv(path)
    np.testing.assert_array_equal(Y, rows[:, 0])
    np.testing.assert_array_equal(X, expected_xy(rows)[0])


def test_a_compressed_file_that_inflates_beyond_its_bound_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(fnn_data, "INFLATE_FLOOR", 20_000)    # 32 MiB, scaled down
    fine = write(tmp_path / "fine.csv.gz", csv_text(sample(30)))   # inflates ~2.5 times
    assert load_csv(fine)[0].shape == (NUM_PIXELS, 30)
    zeros = write(tmp_path / "zeros.csv.gz", HEADER_LINE + ZERO_ROW * 400)   # ~600 times
    message = error_of(zeros)
    assert message.startswith("decompresses to more than ") and "(64 times its size + 0 MiB)" in message
    assert load_csv(zeros, max_rows=5)[0].shape == (NUM_PIXELS, 5)   # the rows before the bound load


@pytest.mark.parametrize("seed", range(3))
def test_line_bound_finds_the_first_long_line_across_any_read_sizes(monkeypatch, seed):
    """The line check runs on whatever pieces a reader asks for; with random line lengths,
    line ends (\\n, \\r, \\r\\n) and read sizes, it names the first line longer than the bound."""
    import io
    monkeypatch.setattr(fnn_data, "MAX_LINE_BYTES", 50)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 45, 300)
    lengths[rng.integers(100, 300)] = 51 + rng.integers(0, 100)
    ends = rng.choice([b"\n", b"\r", b"\r\n"], size=300)
    data = b"".join(b"x" * n + e for n, e in zip(lengths, ends))
    source = fnn_data._Bounded(io.BytesIO(data), "f.csv", None)
    with pytest.raises(DataError) as err:
        while source.read(int(rng.integers(1, 120))):
            pass
    first = next(i for i, line in enumerate(data.splitlines(), 1) if len(line) > 50)   # "\r" "\n" is one end
    assert str(err.value).startswith(f"f.csv: line {first}: longer than 50 bytes")


CTRL_C_AT = r"""
import os, signal, sys, threading, time
signal.signal(signal.SIGINT, signal.default_int_handler)    # even if started with SIGINT ignored
from fnn.io.data import load_csv
import pandas                                   # load_csv's own import: not part of `took`
path, trials = sys.argv[1], int(sys.argv[2])
start = time.perf_counter()
load_csv(path)
took = time.perf_counter() - start
for k in range(trials):
    timer = threading.Timer(took * (k + 0.5) / trials, os.kill, (os.getpid(), signal.SIGINT))
    try:
        try:
            timer.start()
            load_csv(path)
            outcome = "loaded"
        except KeyboardInterrupt:
            outcome = "KeyboardInterrupt"
        except Exception as e:
            outcome = type(e).__name__ + ": " + str(e)
        timer.cancel()
        timer.join()
        time.sleep(0.01)                               # a Ctrl-C that came after the load lands here
    except KeyboardInterrupt:
        pass
    print(outcome)
"""


def test_ctrl_c_while_loading_is_a_keyboard_interrupt_never_a_parse_error(early):
    """A real SIGINT at 12 moments of a load. pandas' C parser sometimes loses the KeyboardInterrupt
    and raises "ParserError: ... Calling read(nbytes) on source failed", which load_csv used to
    report as a broken CSV after re-reading the whole file."""
    run = early["ctrl-c"].result()
    assert run.returncode == 0, run.stderr
    out = run.stdout.splitlines()
    assert len(out) == 12 and set(out) <= {"KeyboardInterrupt", "loaded"}, out
    assert out.count("KeyboardInterrupt") >= 4, out


def test_a_fifo_is_refused_not_read(tmp_path):
    fifo = tmp_path / "train.csv"
    os.mkfifo(fifo)
    assert error_of(str(fifo)).startswith("is not a regular file (a device, FIFO or socket)")


def test_a_header_one_field_short_of_its_rows_is_not_a_pixels_only_file(tmp_path):
    """784 header fields over rows of 785: pandas (index_col=False) would drop every row's last
    pixel, read the label as a pixel and warn; the rows do not match the header."""
    path = write(tmp_path / "short_header.csv", csv_text(sample(3), SHIPPED_HEADER[:-1]))
    assert error_of(path) == "line 2: expected 784 columns (784 pixels, no label), found 785"


def test_a_value_too_large_for_float32_is_out_of_range_without_a_warning(tmp_path):
    path = write(tmp_path / "huge.csv", edited(sample(3), {(3, 5): "1e39"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert error_of(path) == 'line 3, column "1x5": pixel value "1e39" is outside 0-255'


def queue_early(d):
    """This file's two slow tests run a process each; conftest.Early runs them in the background
    from the start of the session."""
    import sys
    rows = write(d / "rows.csv.gz", csv_text(sample(3000, seed=9)))
    paths, command = inflating_loads(d)
    return {"ctrl-c": Early.command([sys.executable, "-c", CTRL_C_AT, rows, "12"], cwd=ROOT),
            "inflating loads": (paths, Early.command(command, cwd=ROOT))}
