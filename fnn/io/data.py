"""Loading MNIST-style CSV files into the column-major arrays of the derivation.

    X, Y = load_csv("data/mnist_train.csv.gz")     # X (784, m) float32 in [0, 1], Y (m,) int64

One image a row in the file, one example a column in X: X[:, j] is example j, its 784 pixels
in row-major order. Layouts read (the header is recognised from the first line):

    label,1x1,...,28x28          the shipped files (label + 784 pixels)
    label,pixel0,...,pixel783    Kaggle "Digit Recognizer" train.csv
    pixel0,...,pixel783          Kaggle test.csv: no label column, Y is None
    5,0,0,...                    no header at all: the first line is already data

Files ending in .gz, .bz2 or .xz are decompressed on the fly. A clean file is parsed in one
pass by pandas' C engine and checked with whole-array NumPy reductions; only when that finds a
problem is the file read again, row by row, to say which line and column is wrong. Every file
or format problem raises DataError with one line naming the file, the place and the problem.

Every reader sees the file through `_Bounded`, which refuses a line longer than MAX_LINE_BYTES
and a compressed file that inflates beyond INFLATE_RATIO times its size (plus 32 MiB), so a
small hostile file cannot take unbounded memory or time: a few hundred KB of .csv.gz can
otherwise hold one line of hundreds of MB, which a CSV parser buffers whole.
"""
import bz2
import contextlib
import csv
import gzip
import io
import lzma
import operator
import os
import signal
import stat
import threading
import warnings
import zlib

import numpy as np

NUM_PIXELS = 784                                 # 28 x 28 pixels an image
MAX_PIXEL = 255                                  # pixel values are 0 (background) .. 255 (ink)
NUM_CLASSES = 10                                 # labels are the digits 0 .. 9


class DataError(ValueError):
    """Bad data file. str(err) is ONE line naming the file and the problem, e.g.
    "data/x.csv: line 7: expected 785 columns (label + 784 pixels), found 780" """


# pandas would infer the same compressions from the name; both readers below use this table so
# that they always agree on how to open a file.
_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}
_OPENERS = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open, None: open}
# What reading a file that is not (compressed) CSV text raises, from pandas or the stdlib.
_READ_ERRORS = (OSError, EOFError, UnicodeError, csv.Error, zlib.error, lzma.LZMAError)
_CHUNK_ROWS = 8192                               # rows pandas parses and we check at a time

# An MNIST row is at most 785 fields of 3 digits and a comma (3,140 bytes), Kaggle's header
# line 6,900; 64 KiB leaves room for every field written as a 17-digit float, and is a line
# no parser has to buffer much of before refusing it.
MAX_LINE_BYTES = 2 ** 16
# The shipped .csv.gz files inflate 8.6 times; an image of only background, ~1000 times. A
# compressed file may inflate to INFLATE_RATIO times its size plus INFLATE_FLOOR bytes, so X
# (at most twice the CSV text: a row is >= 1,570 bytes of text, 3,136 of float32) stays
# within a bounded multiple of what is on disk. An uncompressed file is its own bound.
INFLATE_RATIO, INFLATE_FLOOR = 64, 2 ** 25


def load_csv(path, max_rows=None, labels="auto"):
    """Read an MNIST CSV file  ->  (X, Y).

    X: (784, m) float32, X[:, j] = pixels of row j / 255 (divided in float32), so every
       value is in [0, 1]; one example per column as in Z[1] = W[1] @ X + b[1]. X is
       column-major (X.T is C-contiguous: each example's 784 pixels lie together).
    Y: (m,) int64 labels 0-9, or None when the file has no label column.

    path: a .csv file, or .csv.gz / .csv.bz2 / .csv.xz; with or without a header line.
    max_rows: read only the first max_rows data rows (None: all of them).
    labels: "auto" (785 columns -> labelled, 784 -> unlabelled), True (the file must have a
        label column), False (the file must be 784 pixel columns only).
    Raises DataError (one line: file, line, column, problem) for any file or format problem.
    """
    import pandas as pd           # here: `import fnn.io.data` alone does not pay its 0.5 s
    name = os.fspath(path)
    if not (isinstance(labels, (bool, np.bool_)) or (isinstance(labels, str) and labels == "auto")):
        raise ValueError(f'labels must be "auto", True or False, got {labels!r}')
    if max_rows is not None:
        max_rows = operator.index(max_rows)
        if max_rows < 1:
            raise ValueError(f"max_rows must be a positive number of rows or None, got {max_rows}")
    _check_file(name)
    compression = _COMPRESSION.get(os.path.splitext(name)[1].lower())
    first_line, fields = _first_record(name, compression)
    header = _is_header(fields)
    labelled = _has_label_column(name, first_line, fields, header, labels)
    n = len(fields)

    # Fast path: pandas' C engine parses straight to float32, a chunk of rows at a time, and
    # whole-array reductions check each chunk. No Python loop over rows.
    blocks, problem, interrupted = [], None, []
    source = _open_bounded(name, compression)
    try:
        with _strict(interrupted), source, pd.read_csv(source, header=0 if header else None,
                                                       names=range(n), index_col=False,
                                                       nrows=max_rows, dtype=np.float32,
                                                       na_filter=False, engine="c",
                                                       encoding="utf-8",
                                                       chunksize=_CHUNK_ROWS) as chunks:
            for frame in chunks:
                A = frame.to_numpy(dtype=np.float32).T       # (n, rows): one example per column
                if A.shape[1] == 0 or not _all_valid(A, labelled):
                    break
                blocks.append(A)
            else:
                if blocks:
                    return _split(blocks, labelled)
    except DataError:
        raise
    except (ValueError, OverflowError, pd.errors.ParserWarning) + _READ_ERRORS as err:
        # ragged rows, "abc", corrupt gzip ... (ParserError is a ValueError; _strict raises
        # ParserWarning as an error)
        # pandas' C parser can turn what is raised while it runs (Ctrl-C, a too long line)
        # into a ParserError: raise those as they were, not as a problem of the file
        if interrupted:
            raise interrupted[0] from None
        if source.error is not None and not isinstance(source.error, _READ_ERRORS):
            raise source.error from None
        problem = err

    # Slow path: the rows of the clean chunks are fine; from the first chunk that is not, read
    # row by row to find the first bad line and column and say what is wrong there.
    columns = [f.strip() for f in fields] if header else None
    _diagnose(name, compression, header, columns, n, labelled, max_rows,
              checked=sum(A.shape[1] for A in blocks))
    detail = _describe(problem) if problem is not None else "values outside the expected range"
    raise DataError(f"{name}: cannot read as CSV ({detail})")


@contextlib.contextmanager
def _strict(caught):
    """While pandas parses: its ParserWarning is an error (rows with one field more than the
    first line: with index_col=False pandas would drop the last one and load the rest);
    a value too large for float32 overflows quietly (the range check refuses it); and what a
    signal handler raises is kept in `caught` (_signal_exceptions)."""
    from pandas.errors import ParserWarning
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"), \
            _signal_exceptions(caught):
        warnings.simplefilter("error", ParserWarning)
        yield


@contextlib.contextmanager
def _signal_exceptions(caught):
    """Within it, whatever the Python handler of SIGINT or SIGTERM raises (KeyboardInterrupt
    for Ctrl-C) is also appended to `caught`. pandas' C parser can lose such an exception and
    report "Calling read(nbytes) on source failed" instead; load_csv then raises caught[0].
    Handlers are only set from the main thread; elsewhere this does nothing."""
    wrapped = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(number)
            if callable(handler):
                def recorded(signum, frame, handler=handler):
                    try:
                        handler(signum, frame)
                    except BaseException as err:
                        caught.append(err)
                        raise
                wrapped[number] = handler
                signal.signal(number, recorded)
    try:
        yield
    finally:
        for number, handler in wrapped.items():
            signal.signal(number, handler)


def _all_valid(A, labelled):
    """True when every pixel of A (n, m) is in [0, 255] and every label an integer 0-9.

    NaN fails every comparison, so min/max (which propagate NaN) also reject it.
    """
    P = A[1:] if labelled else A
    if not (P.min() >= 0 and P.max() <= MAX_PIXEL):
        return False
    if labelled:
        y = A[0]
        return bool(y.min() >= 0 and y.max() <= NUM_CLASSES - 1 and np.array_equal(y, np.round(y)))
    return True


def _split(blocks, labelled):
    """Checked chunks of rows, each A (n, rows)  ->  X (784, m) = pixels / 255, and Y (m,)
    int64 labels (None when unlabelled). X is the transpose of one C-contiguous (m, 784) float32
    array: each example's 784 pixels lie together, the row layout fnn.training.fit gathers
    batches from, so fit needs no copy of it. Each chunk is let go as soon as it is copied (the
    list is emptied), so loading peaks near the size of X, not twice it."""
    m = sum(A.shape[1] for A in blocks)
    rows = np.empty((m, NUM_PIXELS), dtype=np.float32)
    Y = np.empty(m, dtype=np.int64) if labelled else None
    start = 0
    blocks.reverse()
    while blocks:
        A = blocks.pop()
        end = start + A.shape[1]
        np.divide(A[-NUM_PIXELS:].T, np.float32(MAX_PIXEL), out=rows[start:end])
        if labelled:
            Y[start:end] = A[0]
        start = end
    return rows.T, Y


# ---------------------------------------------------------------------------------------------
# The first line: is the file there, is it text, is the line a header, how many columns?

def _check_file(name):
    """Raise DataError when name is not a non-empty regular file."""
    if not os.path.exists(name):
        hint = "check the path"
        if os.path.exists(name + ".gz"):
            hint = f"did you mean {name}.gz? (pandas reads .csv.gz directly, no need to unpack)"
        raise DataError(f"{name}: no such file (looked for {os.path.abspath(name)}); {hint}")
    if os.path.isdir(name):
        raise DataError(f"{name}: is a directory, not a CSV file; give the path of a .csv or"
                        f" .csv.gz file")
    if not stat.S_ISREG(os.stat(name).st_mode):
        raise DataError(f"{name}: is not a regular file (a device, FIFO or socket); give the path"
                        f" of a .csv or .csv.gz file")
    if os.path.getsize(name) == 0:
        raise DataError(f"{name}: is empty (0 bytes); expected a header line and one image a row")


def _open_text(name, compression):
    """Text handle on the (decompressed, bounded) file: UTF-8, a leading byte-order mark
    dropped, newline="" as the csv module wants."""
    return io.TextIOWrapper(io.BufferedReader(_open_bounded(name, compression)),
                            encoding="utf-8-sig", newline="")


def _open_bounded(name, compression, what=None):
    """The decompressed bytes of the file, through _Bounded: a compressed file may inflate to
    INFLATE_RATIO times its size plus INFLATE_FLOOR bytes, a plain one is read as it is."""
    limit = None
    if compression is not None:
        limit = INFLATE_RATIO * os.path.getsize(name) + INFLATE_FLOOR
    return _Bounded(_OPENERS[compression](name, "rb"), name, limit, what)


def open_bounded(name, what):
    """A plain (uncompressed) text file of another kind (`what`: "a curve CSV") as a binary
    stream read with the line limit of a CSV: DataError as soon as a line passes
    MAX_LINE_BYTES, so a parser never buffers one huge line. .error keeps what read raised."""
    return io.BufferedReader(_open_bounded(name, None, what))


class _Bounded(io.RawIOBase):
    """A binary file that raises DataError as soon as a line of it passes MAX_LINE_BYTES, or
    its bytes pass `limit` (None: no limit). A line ends at \\n, \\r or \\r\\n, as for csv.

    self.error keeps what read raised, so that load_csv can raise it even where pandas' C
    parser reports only "ParserError: Calling read(nbytes) on source failed"."""

    def __init__(self, raw, name, limit, what=None):
        self._raw, self._name, self._limit, self._what = raw, name, limit, what
        self._total = 0              # bytes read so far
        self._open = 0               # bytes of the line not yet ended
        self._lines = 0              # line ends so far
        self._cr = False             # the last chunk ended in \\r (its \\n may start the next)
        self.error = None

    def readable(self):
        return True

    def readinto(self, b):
        try:
            data = self._raw.read(len(b))
            self._check(data)
        except BaseException as err:             # KeyboardInterrupt too
            self.error = err
            raise
        b[:len(data)] = data
        return len(data)

    def close(self):
        if not self.closed:
            self._raw.close()
        super().close()

    def _check(self, data):
        """Raise DataError when `data`, read after what came before, passes a bound."""
        self._total += len(data)
        if self._limit is not None and self._total > self._limit:
            raise DataError(f"{self._name}: decompresses to more than {self._limit:,} bytes"
                            f" ({INFLATE_RATIO} times its size + {INFLATE_FLOOR >> 20} MiB);"
                            f" a hostile or broken file (decompress it to load it anyway)")
        # Jump from line end to line end: each must lie within MAX_LINE_BYTES of the previous.
        pos, line = 0, self._open
        while line + len(data) - pos > MAX_LINE_BYTES:
            end = pos + MAX_LINE_BYTES - line + 1
            j = max(data.rfind(b"\n", pos, end), data.rfind(b"\r", pos, end))
            if j < 0:
                number = self._lines + _line_ends(data[:pos], self._cr) + 1
                raise DataError(f"{self._name}: line {number}: longer than {MAX_LINE_BYTES:,} bytes"
                                + (f"; not {self._what}" if self._what else
                                   " (a row of MNIST is at most 3,140); not an MNIST CSV file"))
            pos, line = j + 1, 0
        j = max(data.rfind(b"\n", pos), data.rfind(b"\r", pos))
        self._open = len(data) - j - 1 if j >= 0 else line + len(data) - pos
        self._lines += _line_ends(data, self._cr)
        self._cr = data.endswith(b"\r") or (self._cr and not data)


def _line_ends(data, after_cr):
    """How many line ends (\\n, \\r, \\r\\n) data holds; after_cr: the byte before it was \\r."""
    n = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    return n - 1 if after_cr and data.startswith(b"\n") else n


def _is_blank(record):
    """True for a csv record that pandas skips as a blank line ("" or only spaces)."""
    return not record or (len(record) == 1 and not record[0].strip())


def _first_record(name, compression):
    """(1-based line number, fields) of the first non-blank line of the file."""
    try:
        with _open_text(name, compression) as f:
            reader = csv.reader(f)
            line = 0
            for record in reader:
                start, line = line + 1, reader.line_num
                if "\x00" in "".join(record):
                    raise DataError(f"{name}: cannot read as CSV (line {start} contains NUL bytes:"
                                    f" a binary file, not text)")
                if not _is_blank(record):
                    return start, record
    except _READ_ERRORS as err:
        raise _cannot_read(name, compression, err) from err
    raise DataError(f"{name}: has no data, only blank lines; expected a header line and one"
                    f" image a row")


def _number(text):
    """float value of a CSV field as pandas' C parser reads it, or None when it is not a number:
    text, empty, NaN, and what Python's float() accepts but pandas does not ("1_000", "１")."""
    text = text.strip()
    if not text or "_" in text or not text.isascii():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if value != value else value               # NaN is not a number here


def _is_header(fields):
    """Is the first line a header? Yes when most of its fields are words (label,1x1,...), or when
    it is the column numbers 0..783 / 0..784 (or from 1) that pandas writes for a bare array; no
    when it is mostly numbers, so that a header-less file with one bad value in its first row
    reports that value (line 1) instead of silently losing the row as a "header"."""
    numbers = [v for v in map(_number, fields) if v is not None]
    words = sum(1 for f in fields if f.strip()) - len(numbers)
    if words > len(numbers):
        return True
    first = 1 if numbers and numbers[0] == 1 else 0
    return len(numbers) >= NUM_PIXELS and numbers == list(range(first, first + len(numbers)))


def _has_label_column(name, line, fields, header, labels):
    """From the column count of the first line: does the file have a label column?"""
    n = len(fields)
    where = f"{name}: line {line}{' (header)' if header else ''}"
    hint = ""
    if n == 1 and (";" in fields[0] or "\t" in fields[0]):
        sep = "';'" if ";" in fields[0] else "tabs"
        hint = f"; the line has no commas but {sep}: save the file as comma-separated"
    if labels == "auto":
        if n in (NUM_PIXELS + 1, NUM_PIXELS):
            return n == NUM_PIXELS + 1
        raise DataError(f"{where}: expected {NUM_PIXELS + 1} columns (label + {NUM_PIXELS} pixels)"
                        f" or {NUM_PIXELS} (pixels only), found {n}{hint}")
    if labels:
        if n == NUM_PIXELS + 1:
            return True
        if n == NUM_PIXELS:
            raise DataError(f"{name}: has no label column ({NUM_PIXELS} columns, pixels only) but"
                            f" labels=True; use a labelled file (label + {NUM_PIXELS} pixels)"
                            f" or labels=False")
        raise DataError(f"{where}: expected {NUM_PIXELS + 1} columns (label + {NUM_PIXELS} pixels),"
                        f" found {n}{hint}")
    if n == NUM_PIXELS:
        return False
    if n == NUM_PIXELS + 1:
        raise DataError(f"{where}: expected {NUM_PIXELS} columns (pixels only, labels=False),"
                        f" found {n}: the file has a label column; use labels=True or \"auto\"")
    raise DataError(f"{where}: expected {NUM_PIXELS} columns (pixels only), found {n}{hint}")


# ---------------------------------------------------------------------------------------------
# The slow path: only runs when the fast path found a problem; it finds the first one.

def _diagnose(name, compression, header, columns, n, labelled, max_rows, checked=0):
    """Re-read the first max_rows data rows with the csv module; raise DataError at the first
    bad line (column count, unclosed quote) or field (missing, not a number, out of range).
    The first `checked` data rows, already found clean by the fast path, are only counted.
    Returns None when it finds nothing wrong (the caller then reports pandas' own error)."""
    expected = (f"{n} columns (label + {NUM_PIXELS} pixels)" if labelled
                else f"{n} columns ({NUM_PIXELS} pixels, no label)")
    rows = 0
    skip_header = header
    try:
        with _open_text(name, compression) as f:
            reader = csv.reader(f)
            line = 0
            for record in reader:
                start, line = line + 1, reader.line_num        # a record may span lines
                if _is_blank(record):
                    continue
                if skip_header:
                    skip_header = False
                    continue
                if rows == max_rows:
                    break
                rows += 1
                if rows <= checked:
                    continue
                where = f"{name}: line {start}"
                if line > start:
                    raise DataError(f'{where}: a quoted field runs on to line {line}; check for an'
                                    f' unclosed " quote')
                if len(record) != n:
                    raise DataError(f"{where}: expected {expected}, found {len(record)}")
                bad = _bad_field(record, labelled, columns)
                if bad is not None:
                    raise DataError(where + bad)
    except _READ_ERRORS as err:
        raise _cannot_read(name, compression, err) from err
    if rows == 0:
        raise DataError(f"{name}: has a header line but no data rows; expected one image a row"
                        if header else f"{name}: has no data rows")


def _bad_field(record, labelled, columns):
    """Where and what the first bad field of a data row is (', column "3x14": "abc" is not a
    number' or ': label "10" is not an integer 0-9'), or None when the row is valid.

    A vectorised check clears a good row at once; only a row that fails it is walked field by
    field to name the first problem.
    """
    joined = "".join(record)
    if "_" not in joined and joined.isascii():
        try:
            values = np.array(record, dtype=np.float64)
        except ValueError:
            values = None
        if values is not None and _all_valid(values[:, None], labelled):
            return None
    for j, text in enumerate(record):
        column = f', column "{columns[j]}"' if columns else f", column {j + 1}"
        value = _number(text)
        if not text.strip():
            return f"{column}: missing value (empty field)"
        if value is None:
            return f"{column}: {_show(text)} is not a number"
        if labelled and j == 0:
            if not (0 <= value <= NUM_CLASSES - 1 and value == int(value)):
                return f": label {_show(text)} is not an integer 0-{NUM_CLASSES - 1}"
        elif not 0 <= value <= MAX_PIXEL:
            return f"{column}: pixel value {_show(text)} is outside 0-{MAX_PIXEL}"
    return None


# ---------------------------------------------------------------------------------------------
# Messages

def _show(text, width=20):
    """A field as it appears in a one-line message: quoted, control characters escaped (\\n,
    \\x00), cut to width."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return f'"{text if len(text) <= width else text[:width] + "..."}"'


def _describe(err):
    """An exception as 'TypeName: message', on one line and at most 200 characters."""
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text if len(text) <= 200 else text[:197] + "..."


def _cannot_read(name, compression, err):
    """DataError for a file that is not (compressed) CSV text, with a hint when its first bytes
    show what it really is."""
    hint = ""
    try:
        with open(name, "rb") as f:
            magic = f.read(4)
    except OSError:
        magic = b""
    if magic.startswith(b"\x1f\x8b") and compression != "gzip":
        hint = "; the file is gzip-compressed: name it .csv.gz"
    elif magic.startswith(b"PK\x03\x04"):
        hint = "; the file is a zip archive: unzip it, or gzip the CSV inside (.csv.gz)"
    elif compression == "gzip" and magic and not magic.startswith(b"\x1f\x8b"):
        hint = "; the file is not gzip-compressed: remove .gz from its name"
    elif compression == "gzip" and isinstance(err, (EOFError, zlib.error, gzip.BadGzipFile)):
        hint = "; the gzip file is truncated or corrupt: download or copy it again"
    return DataError(f"{name}: cannot read as CSV ({_describe(err)}){hint}")
