"""The one door every file fnn writes goes through: declared, checked all at once, written atomically.

    outs = files.check([files.declare(out, "model", "--out"),
                        files.declare(png, "curve_png", "--out")], inputs=[train, test])
    ...                                       # the work: training, evaluating, drawing
    files.write(outs[0], lambda f: np.savez(f, ...))

`check` refuses (WriteError, one line) before any work what could not be written or should not
be: a path that holds a file of another kind (KINDS: a model file only replaces a model file, a
predictions CSV a predictions CSV, an image an image ...), a device, FIFO, socket, folder,
dangling symlink or symlink loop, one of the run's inputs (the same file, by device and inode),
two outputs on one path, or a folder that is missing and cannot be made, or is not writable.
It creates nothing. Only what `check` returns can be written: `write` takes a checked output,
checks it again (the work may have taken hours), and fills a temporary .fnn-tmp-<pid>-*<suffix>
beside it, which it renames over the target (os.replace is atomic), keeping the mode and owner
of the file it replaces. The writer holds an flock on its temporary until the rename; a later
write removes only temporaries whose lock it can take, so the writer is provably gone (a PID
alone can be another PID namespace's, or reused).
"""
import collections
import contextlib
import errno
import fcntl
import os
import stat
import sys
import tempfile
import time

TMP_PREFIX = ".fnn-tmp-"
_HEAD = 64                        # bytes read to tell what a file holds
_FRESH = 5.0                      # s: an empty unlocked temporary this young may be a writer's
#                                   between mkstemp and flock, and is left alone

# What an existing file holds, told from its first bytes (and, for TGA, its name): the names
# used in messages, in the order they are tried.
HOLDS = {"model": "a model file", "cache": "an fnn cache", "curve_csv": "a curve CSV",
         "predictions": "a predictions CSV", "digits": "a handwriting CSV", "image": "an image",
         "report": "a markdown report", "empty": "nothing", "other": "other data"}
CURVE_HEADER = b"iteration,epoch,loss,acc,lr,val_acc"       # fnnapp.cli.history.COLUMNS
PREDICTIONS_HEADER = b"ImageId,Label"                      # Kaggle's Digit Recognizer
DIGITS_HEADER = b"label,1x1,1x2,"                          # fnn.digits.teach.HEADER begins so
REPORT_START = b"# "                                        # docs/*.md a benchmark writes
MODEL_MEMBER, CACHE_MEMBER = b"__fnn__.npy", b"__fnn_cache__.npy"   # a zip's first member

# Every kind of file a command writes -> what it may replace besides an empty file.
KINDS = {"model": "model", "snapshot": "model", "taught": "model", "curve_csv": "curve_csv",
         "curve_png": "image", "errors_png": "image", "screenshot": "image",
         "predictions": "predictions", "digits": "digits", "cache": "cache", "report": "report"}



class Checked(collections.namedtuple("Checked", "path kind option inputs")):
    """An output `check` accepted (made only by check): what `write` takes."""


class Output(collections.namedtuple("Output", "path kind option")):
    """A file a command will write: path, kind (a key of KINDS), and the option that names it
    ("--out"; "" for none), which begins its messages."""


class WriteError(OSError):
    """An output that cannot or must not be written. str(error) is one line naming it."""

    def __str__(self):
        return self.args[0]


def declare(path, kind, option=""):
    """An Output of `kind` at `path`; ValueError for a kind not in KINDS (a programming error)."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; one of {', '.join(KINDS)}")
    return Output(os.fspath(path), kind, option)


def check(outputs, inputs=()):
    """Refuse (WriteError, one line) the first output that must not be written (the module
    docstring says what), before any work. Creates nothing. -> the checked outputs, in order:
    the only values `write` takes."""
    inputs = tuple(os.fspath(p) for p in inputs if p is not None)
    seen = {}
    for out in outputs:
        if not isinstance(out, Output):
            raise TypeError("files.check takes outputs made by files.declare")
        _check_one(out, inputs)
        where = _where(out.path)
        if where in seen:
            raise WriteError(f"{_named(out)}: {seen[where].option or 'another output'} writes the "
                             f"same file; give them different names")
        seen[where] = out
    return [Checked(out.path, out.kind, out.option, inputs) for out in outputs]


def check_one(path, kind, option="", inputs=()):
    """check([declare(path, kind, option)], inputs)[0]: a single output, checked."""
    return check([declare(path, kind, option)], inputs)[0]


def write(checked, fill, suffix=None):
    """Replace checked.path with what fill(f) writes to a binary file, so the file is never seen
    half-written. -> the path. checked: one of check's results. The folder is made if missing;
    the temporary gets the mode and owner of the file it replaces (0666 minus the umask, and
    this user, for a new one), is flushed (fsync) and renamed over the target; a symlink keeps
    pointing where it did. Anything raised before that (KeyboardInterrupt included) deletes the
    temporary and leaves the target as it was; an error in fill or on the disk (a full disk, an
    error of a C library) is a WriteError naming the file, the C libraries' stderr silenced."""
    if not isinstance(checked, Checked):
        raise TypeError("files.write takes an output checked by files.check")
    out = Output(checked.path, checked.kind, checked.option)
    _check_one(out, checked.inputs)
    target = os.path.realpath(checked.path)
    folder = os.path.dirname(target)
    suffix = os.path.splitext(target)[1] if suffix is None else suffix
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=suffix)
    except OSError as e:
        raise WriteError(f"{_named(out)}: cannot write it ({reason(e)})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)           # alive until the rename
            _keep_mode_and_owner(f.fileno(), target)
            try:
                with quiet_stderr():
                    fill(f)
                    f.flush()
                    os.fsync(f.fileno())
            except Exception as e:                           # OSError, pygame.error, zlib ...
                raise WriteError(f"{_named(out)}: cannot write {HOLDS[KINDS[out.kind]]} "
                                 f"({reason(e)})") from None
            try:
                os.replace(tmp, target)
            except OSError as e:
                raise WriteError(f"{_named(out)}: cannot write it ({reason(e)})") from None
    except BaseException:        # includes KeyboardInterrupt: never leave a half-written file
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return checked.path


def holds(path):
    """What the regular file at path holds, a key of HOLDS, from its first _HEAD bytes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        head = f.read(_HEAD)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04") and len(head) >= 30:
        name = head[30:30 + int.from_bytes(head[26:28], "little")]
        if name in (MODEL_MEMBER, CACHE_MEMBER):
            return "model" if name == MODEL_MEMBER else "cache"
    for kind, start in (("curve_csv", CURVE_HEADER), ("predictions", PREDICTIONS_HEADER),
                        ("digits", DIGITS_HEADER), ("report", REPORT_START)):
        if head.startswith(start):
            return kind
    return "image" if image_format(head, path) else "other"


def image_format(head, name=""):
    """The format SDL_image would decode `head` (the first bytes of the file `name`) as:
    "PNG", "JPEG", "GIF", "BMP", "TGA", "PNM", or None for anything else. TGA has no magic
    number: SDL_image knows it by the .tga name."""
    if os.path.splitext(os.fspath(name))[1].lower() == ".tga":
        return "TGA"
    for fmt, magic in (("BMP", (b"BM",)), ("GIF", (b"GIF87a", b"GIF89a")), ("JPEG", (b"\xff\xd8",)),
                       ("PNG", (b"\x89PNG\r\n\x1a\n",))):
        if head.startswith(magic):
            return fmt
    if head[:1] == b"P" and head[1:2] in (b"1", b"2", b"3", b"4", b"5", b"6"):
        return "PNM"
    return None


def special_kind(mode):
    """What a file that is not a regular file or a folder is, from its st_mode, or None."""
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "not a regular file"


def _check_one(out, inputs):
    """WriteError when `out` must not be written: check's rules for one output."""
    path, name = out.path, _named(out)
    try:
        st = os.stat(path)                                  # a symlink: what it points at
    except (FileNotFoundError, NotADirectoryError):
        st = None
        if os.path.islink(path):
            raise WriteError(f"{name}: is a symlink to nothing; remove it or give another name")
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise WriteError(f"{name}: is a symlink loop") from None
        raise WriteError(f"{name}: cannot check it ({reason(e)})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise WriteError(f"{name}: is a folder; give a file name")
        special = special_kind(st.st_mode)
        if special is not None:
            raise WriteError(f"{name}: is {special}, not a file; refusing to replace it")
        for given in inputs:
            if _where(given) == (st.st_dev, st.st_ino):
                raise WriteError(f"{name}: writing it would overwrite the input {shown(given)}")
        try:
            found = holds(path)
        except OSError as e:
            raise WriteError(f"{name}: cannot read what it holds ({reason(e)})") from None
        if found not in (KINDS[out.kind], "empty"):
            raise WriteError(f"{name}: holds {HOLDS[found]}, not {HOLDS[KINDS[out.kind]]}; "
                             f"refusing to replace it")
        if not os.access(path, os.W_OK):
            raise WriteError(f"{name}: exists and is not writable")
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(folder):                     # the folders write will make
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        what = "a symlink to nothing" if os.path.islink(folder) else "not a folder"
        raise WriteError(f"{name}: {shown(folder)} is {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(f"{name}: the folder {shown(folder)} is not writable")


def _where(path):
    """One key a file: (device, inode) when it exists, else its resolved path."""
    try:
        st = os.stat(path)
        return st.st_dev, st.st_ino
    except OSError:
        return os.path.realpath(path)


def _named(out):
    return f"{out.option}: {shown(out.path)}" if out.option else shown(out.path)


def shown(path):
    """A path as printable text: bytes that are not UTF-8 as backslash escapes (\\xff), never a
    UnicodeEncodeError."""
    return os.fsdecode(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def reason(error):
    """Why an error happened, in a few words: its strerror (an OSError) or its text (a pygame
    error has no strerror; an OSError from a C library may have none)."""
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(text.split())


def _keep_mode_and_owner(fd, target):
    """Give the temporary `fd` the mode (and, when this user may, the owner) of target, or
    0666 minus the umask for a new file (mkstemp makes 0600)."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(OSError):                  # only root may give a file away
            os.fchown(fd, st.st_uid, st.st_gid)
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def remove_stale_temporaries(folder):
    """Delete the .fnn-tmp-* files in `folder` whose writer is provably gone: this process
    takes the flock its writer held. -> the names removed. An empty one younger than _FRESH s
    is left alone (its writer may not have locked it yet); where locks do not work, nothing
    is removed."""
    removed = []
    try:
        names = [n for n in os.listdir(folder) if n.startswith(TMP_PREFIX)]
    except OSError:
        return removed
    for name in names:
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or (st.st_size == 0 and time.time() - st.st_mtime < _FRESH):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # OSError: a live writer holds it
            os.unlink(path)
            removed.append(name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def quiet_stderr():
    """File descriptor 2 goes to /dev/null meanwhile: what libpng or SDL print there (warnings,
    a second line under fnn's one) is dropped. Python's sys.stderr is flushed first."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:                                          # no fd 2: nothing to silence
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
