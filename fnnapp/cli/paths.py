"""The paths the command lines read: each input checked before any work.

An input must be a regular file this process may read: a FIFO or a device blocks or streams
forever, and neither is data. What they write goes through fnn.io.files (declare, check, write),
which refuses an output that would replace a file of another kind or one of these inputs.
"""
import codecs
import contextlib
import os
import stat
import sys

from fnn.io.files import shown, special_kind


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo
SHIPPED = os.path.join(ROOT, "data")     # the shipped models and MNIST: written only when asked


def beside_model(model, ending):
    """Where a file that belongs to a model file goes: beside it (models/run.npz ->
    models/run<ending>), except for a model in the shipped data/ folder, whose files go to
    models/ (data/mnist_cnn.npz -> models/mnist_cnn<ending>): nothing is written into data/
    unless a command line names a file there."""
    path = os.path.splitext(os.fspath(model))[0] + ending
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(SHIPPED) and os.path.samefile(folder, SHIPPED):
        path = os.path.relpath(os.path.join(ROOT, "models", os.path.basename(path)))
    return path


class PathError(ValueError):
    """A path that cannot be used as given. str(error) is one line naming it."""


def check_input(path):
    """Refuse (PathError) a path that exists but is not a regular file this process can read.
    A missing path or a folder is left to the reader, whose message says what it looked for.
    Readability is tried by opening the file (non-blocking, so a FIFO swapped in cannot hang):
    os.access answers yes to root for every file."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise PathError(f"{shown(path)}: cannot read it ({e.strerror})") from None
    kind = special_kind(mode)
    if kind is not None:
        raise PathError(f"{shown(path)}: is {kind}, not a regular file")
    if stat.S_ISDIR(mode):
        return
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except PermissionError:
        raise PathError(f"{shown(path)}: permission denied: this user may not read it") from None
    except OSError as e:
        raise PathError(f"{shown(path)}: cannot read it ({e.strerror})") from None


def _escape_bytes(error):
    """A codecs error handler: os.fsdecode's surrogate of a byte that is not UTF-8 (U+DC80 to
    U+DCFF) as that byte's escape, \\xff, as fnn.io.files.shown writes it; anything else
    as backslashreplace does."""
    bad = error.object[error.start:error.end]
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF
                   else c.encode("unicode_escape").decode("ascii") for c in bad), error.end


codecs.register_error("fnn-escape", _escape_bytes)


def printable_streams():
    """stdout and stderr print any text: a file name that is not UTF-8 (os.fsdecode's
    surrogates) comes out as a backslash escape (\\xff) instead of a UnicodeEncodeError, in
    every message, whether or not it went through fnn.io.files.shown."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="fnn-escape")
