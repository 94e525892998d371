"""The command lines' option parsing: a parser whose errors are one line, and the value types
that refuse a bad value by naming it.

    p = Parser(prog="train.py", formatter_class=DefaultsHelp)
    p.add_argument("--lr", type=number(0))     # --lr abc -> "train.py: error: argument --lr:
                                                #   expected a number > 0, got 'abc' (see --help)"

Each type raises argparse.ArgumentTypeError, which the parser turns into that one line, exit 2.
"""
import argparse
import math


class Parser(argparse.ArgumentParser):
    def error(self, message):
        """argparse prints the usage and the message on two lines; fnn CLIs print one."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def parse_known_args(self, args=None, namespace=None):
        """argparse's, refusing an empty value for a plain text option (a file name): --out ''
        or --keep '' would otherwise mean "not given", and write to the default path."""
        namespace, rest = super().parse_known_args(args, namespace)
        for a in self._actions:
            if (a.option_strings and a.type is None and a.nargs is None and a.default != ""
                    and getattr(namespace, a.dest, None) == ""):
                self.error(f"argument {a.option_strings[0]}: expected a non-empty value, got ''")
        return namespace, rest


class DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: ...)" only for options that have a real default value."""
    def _get_help_string(self, action):
        if action.default in (None, False) or isinstance(action.default, list):   # lists say their own
            return action.help
        return super()._get_help_string(action)


def int_at_least(low):
    """A type: a whole number >= low."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or v < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}")
        return v
    return parse


positive_int, count = int_at_least(1), int_at_least(0)


def number(low, high=None, low_ok=False):
    """A type: a finite float in (low, high) (low included when low_ok)."""
    ok_low = (lambda v: v >= low) if low_ok else (lambda v: v > low)
    what = f"{'>=' if low_ok else '>'} {low:g}" + (f" and < {high:g}" if high is not None else "")

    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number {what}, got {text!r}") from None
        if not (math.isfinite(v) and ok_low(v) and (high is None or v < high)):
            raise argparse.ArgumentTypeError(f"expected a number {what}, got {text!r}")
        return v
    return parse


def train_source(text):
    """--train FILE or FILE:K -> (FILE, K): every training row of FILE counts K times."""
    path, sep, k = text.rpartition(":")
    if not (sep and path and k.isdigit()):
        return text, 1
    if int(k) < 1:
        raise argparse.ArgumentTypeError(f"the repeat count K of FILE:K must be >= 1, got {text!r}")
    return path, int(k)


class Sources(argparse.Action):
    """--train given again adds a file; the first --train replaces the default."""
    def __call__(self, parser, namespace, value, option_string=None):
        have = getattr(namespace, self.dest)
        setattr(namespace, self.dest, (have if have is not self.default else []) + [value])


def hidden(text):
    """A type: comma-separated layer sizes >= 1, "256,128" -> [256, 128]."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes >= 1 such as 256,128, got {text!r}")
    return sizes


def lr_change(text):
    """A type: ITER:FACTOR -> (iteration >= 1, factor > 0)."""
    it, _, factor = text.partition(":")
    try:
        change = (int(it), float(factor))
    except ValueError:
        change = None
    if change is None or change[0] < 1 or not (math.isfinite(change[1]) and change[1] > 0):
        raise argparse.ArgumentTypeError(f"expected ITER:FACTOR such as 500:0.5 (iteration >= 1, "
                                         f"factor > 0), got {text!r}")
    return change
