"""Writing a file atomically: the target is always the old file or the new one.

`atomic_write` fills a temporary file .fnn-tmp-<pid>-*<suffix> in the target's folder and renames
it over the target (os.replace is atomic). A writer killed mid-write (SIGKILL, power loss)
leaves its temporary behind; the next write into that folder removes the temporaries of
writers that are no longer running, never a live one's.
"""
import os
import stat
import tempfile

TMP_PREFIX = ".fnn-tmp-"


def atomic_write(path, write, suffix=""):
    """Replace `path` with whatever write(f) writes, so the file is never seen half-written.

    write(f) gets a binary file object, a new temporary file .fnn-tmp-<pid>-*<suffix> in the
    folder of `path` (made if missing), which it fills. The file is flushed to disk (fsync),
    given the mode of the file it replaces (or 0666 minus the umask for a new one; mkstemp
    makes 0600), and renamed over `path` with os.replace, which is atomic. A symlink at `path`
    keeps pointing where it did; its target is replaced. If anything fails or is interrupted
    before that (any exception, KeyboardInterrupt included), the temporary file is deleted,
    the exception propagates, and an existing `path` is untouched. Returns path (as a str).
    """
    path = os.fspath(path)
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:  # includes KeyboardInterrupt: never leave a half-written file behind
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def remove_stale_temporaries(folder):
    """Delete the .fnn-tmp-<pid>-* files in `folder` whose writer <pid> is no longer running.
    -> the names removed. Temporaries without a pid in the name are left alone."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        pid = name[len(TMP_PREFIX):].split("-", 1)[0]
        if name.startswith(TMP_PREFIX) and pid.isdigit() and not _running(int(pid)):
            try:
                os.unlink(os.path.join(folder, name))
                removed.append(name)
            except OSError:
                pass
    return removed


def _running(pid):
    """True when a process with this id exists (signal 0 checks without sending anything)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):               # gone, or no process ever had it
        return False
    except PermissionError:                                   # another user's process
        return True
    return True


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
