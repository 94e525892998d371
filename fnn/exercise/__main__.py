"""python -m fnn.exercise FILE: check the four functions of FILE (a copy of exercises/network.py).

Exit codes: 0 every check passes; 1 some check fails or a function is not written yet;
2 FILE cannot be checked (missing, a syntax error, an import that fails, a function missing),
said in one line on stderr.
"""
import os
import signal
import sys


def _leave(signum, frame):
    os.write(2, b"\nfnn.exercise: interrupted\n")
    os._exit(128 + signum)


if __name__ == "__main__":          # a signal while the checks load: one line (fnn.exercise's
    for _s in (signal.SIGINT, signal.SIGTERM):    # package, NumPy with it, loaded before this)
        signal.signal(_s, _leave)

from fnn.exercise.checks import check_file      # noqa: E402
from fnn.exercise.learner import LoadError      # noqa: E402

USAGE = "usage: python -m fnn.exercise FILE   (FILE: your copy of exercises/network.py)"


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if args in (["-h"], ["--help"]):
        print(USAGE)
        print(__doc__.split("\n", 2)[2].strip())
        return 0
    if len(args) != 1 or args[0].startswith("-"):
        print(f"fnn.exercise: error: expected one FILE; {USAGE}", file=sys.stderr)
        return 2
    try:
        report = check_file(args[0])
    except LoadError as e:
        print(f"fnn.exercise: {e}", file=sys.stderr)
        return 2
    for line in report.text():
        print(line)
    passed = sum(s == "pass" for s, _ in report.lines)
    if report.code == 0:
        print(f"all {passed} checks pass: train MNIST with it, python train.py --impl {args[0]}")
    else:
        print(f"{passed} of {len(report.lines)} checks pass")
    return report.code


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is, so both end in one line."""


def _terminate(signum, frame):
    raise Terminated()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except KeyboardInterrupt as e:                # Ctrl-C (130) or SIGTERM (143): one line
        print("\nfnn.exercise: interrupted", file=sys.stderr)
        sys.exit(143 if isinstance(e, Terminated) else 130)
    except BrokenPipeError:                       # python -m fnn.exercise FILE | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
