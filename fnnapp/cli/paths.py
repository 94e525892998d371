"""The paths the command lines read and write: what each may be, checked before any work.

An input must be a regular file this process may read: a FIFO or a device blocks or streams
forever, and neither is data. An output may replace only a regular file of its own kind (a
model file a model file, an image an image) or an empty one, so a mistyped --out never turns
/dev/null, a FIFO or the shipped model into something else; the command lines check this
before any work starts, and create no folder until a file is written into it
(fnn.io.files.atomic_write makes it).
"""
import os
import stat

from fnnapp.cli.image_header import image_format

ZIP_MAGIC = b"PK\x03\x04"              # an .npz model file is a zip archive


class PathError(ValueError):
    """A path that cannot be used as given. str(error) is one line naming it."""


def special_kind(mode):
    """What a file that is not a regular file or a folder is, from its st_mode, or None."""
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "not a regular file"


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
        raise PathError(f"{path}: cannot read it ({e.strerror})") from None
    kind = special_kind(mode)
    if kind is not None:
        raise PathError(f"{path}: is {kind}, not a regular file")
    if stat.S_ISDIR(mode):
        return
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except PermissionError:
        raise PathError(f"{path}: permission denied: this user may not read it") from None
    except OSError as e:
        raise PathError(f"{path}: cannot read it ({e.strerror})") from None


def file_kind(path):
    """"model", "image", "empty" or "other": what a regular file holds, from its first bytes."""
    with open(path, "rb") as f:
        head = f.read(64)
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "model"
    return "image" if image_format(head, path) else "other"


_NAMES = {"model": "a model file", "image": "an image", "other": "other data"}


def check_output(path, kind):
    """Refuse (PathError, one line) to write a file of `kind` ("model" or "image") to `path`
    unless it may be replaced: a new name in a folder (or a folder to be made) that is
    writable, or an existing regular file holding `kind` or nothing. Creates nothing."""
    path = os.fspath(path)
    try:
        st = os.stat(path)                                 # a symlink: what it points at
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as e:
        raise PathError(f"{path}: cannot check it ({e.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise PathError(f"{path}: is a folder; give a file name")
        special = special_kind(st.st_mode)
        if special is not None:
            raise PathError(f"{path}: is {special}, not a file; refusing to replace it")
        found = file_kind(path)
        if found not in (kind, "empty"):
            raise PathError(f"{path}: holds {_NAMES[found]}, not {_NAMES[kind]}; refusing to "
                            f"replace it")
        if not os.access(path, os.W_OK):
            raise PathError(f"{path}: exists and is not writable")
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(folder):                     # the folders atomic_write will make
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise PathError(f"{path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PathError(f"{path}: the folder {folder} is not writable")
