"""draw.py: a pygame digit pad. Draw a digit and see what the network answers as you draw.

    python draw.py                          the pad, with the default model (DEFAULT_MODEL)
    python draw.py --model data/mnist_cnn.npz
    python draw.py --image digit.png        print the prediction for an image file, no window
    python draw.py --screenshot out.png     render the pad with a demo digit to a PNG, no window
    python draw.py --screenshot docs/xray.png --demo 1 --press b1    ... with keys pressed first
    python draw.py --digits models/my_digits.csv    the model's accuracy, per digit, on your set

Mouse: left drag paints, right drag erases. Keys: S predict, C or Backspace clear, L live
prediction on/off, Esc quit. Dropping an image file on the window loads and classifies it.
Backprop on the drawing (fnn.analysis.explain, fnn.digits.teach): G shows d log p / d pixel of the answer, B the
X-ray of every layer (0-9 there set its label), a digit key teaches the drawing's true class,
Ctrl-Z undoes that, K keeps the labelled drawing in the handwriting CSV (--keep), Ctrl-S saves
the taught model under models/. W then a digit d shows what would make it a d
(fnn.counterfactual); N the nearest training digits (fnn.analysis.nearest, cached beside the model).

The network sees the drawing as MNIST was made (fnn.digits.preprocess.mnistify); the pad itself is
fnnapp.views: app (its state and events), window (the loop and --screenshot), pad (a frame).
"""
import argparse
import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")   # keep stdout clean for --image

try:                   # Ctrl-C or SIGTERM while NumPy and pygame load: one line, no traceback
    from fnnapp.cli import interrupts                                        # noqa: E402
    if __name__ == "__main__":                  # a signal while modules load: one line
        interrupts.exit_while_starting("draw.py: interrupted")
    else:
        interrupts.raise_on_signals()
    import numpy as np     # noqa: E402

    from fnn.io.data import DataError                                   # noqa: E402
    from fnn.io.files import shown                                      # noqa: E402
    from fnn.analysis.report import format_report                             # noqa: E402
    from fnn.digits.teach import score_digits                               # noqa: E402
    from fnnapp.cli import impl, interrupts, paths                           # noqa: E402
    from fnnapp.views.app import DEFAULT_DIGITS, new_state                     # noqa: E402
    from fnnapp.views.inputs import AppError, classify_image, load_model       # noqa: E402
    from fnnapp.cli.options import Parser                                    # noqa: E402
    from fnnapp.views.window import check_outputs, run, screenshot             # noqa: E402
except KeyboardInterrupt as e:
    sys.stderr.write("\ndraw.py: interrupted\n")
    sys.exit(143 if type(e).__name__ == "Terminated" else 130)

HERE = os.path.dirname(os.path.abspath(__file__))
# The model that copes best with how people draw, chosen by benchmarks/robustness.py
# (see docs/robustness.md for the table and the command that trained it).
DEFAULT_MODEL = os.path.join("data", "mnist_cnn.npz")
IMPL_MODEL = os.path.join("data", "mnist_mlp.npz")        # --impl reads dense networks only


KEYS_HELP = """keys in the window:
  left drag        draw            right drag   erase
  (the prediction follows the drawing; L turns that off, then S predicts and prints it)
  C, Backspace     clear           Esc          close G or B, else quit
  G                why: d log p / d pixel of the answer, on the network's input
  B                the X-ray: every layer's A and dZ; 0-9 there set the label
  0-9              teach it: "this drawing is a 7" (a progress line; Esc stops it)
  Ctrl-Z           undo the last teaching
  K                keep the labelled drawing in the handwriting CSV (--keep)
  Ctrl-S           save the taught model under models/ (a taught model is an unsaved
                   copy until then: Esc warns once, a second Esc quits)
  W, then 0-9      what would make it a 7: the ink to add and remove (fnn.counterfactual)
  N                the nearest training digits in the last hidden layer (--nearest-csv)
  drop an image file on the window to read it"""


def parse_args(argv):
    p = Parser(prog="draw.py", description="Draw a digit and let an fnn network read it.",
               epilog=KEYS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help=f"a model file from fnn.save / train.py (default: {DEFAULT_MODEL})")
    p.add_argument("--image", metavar="FILE", help="print the prediction for an image file and exit")
    p.add_argument("--screenshot", metavar="PNG", help="render the pad with a demo digit to PNG and exit")
    p.add_argument("--demo", type=int, choices=(3, 0, 1), default=3,
                   help="--screenshot's digit: 3, 0 (a slashed zero the MLP misreads) or 1 (a "
                        "flagged 1 both shipped models misread)")
    p.add_argument("--press", metavar="KEYS", default="",
                   help="--screenshot: keys pressed first, e.g. g (why), b0 (X-ray, label 0), w7 "
                        "(what would make it a 7) or n (nearest training digits)")
    p.add_argument("--digits", metavar="CSV",
                   help="print the model's accuracy, per digit, on a labelled CSV of digits and exit")
    p.add_argument("--keep", metavar="CSV",
                   help=f"the handwriting CSV that K appends to (default: {os.path.relpath(DEFAULT_DIGITS)})")
    p.add_argument("--impl", metavar="FILE",
                   help="read the drawings with the forward of FILE, your copy of exercises/network.py "
                        "(python -m fnn.exercise FILE must pass), in the window and with --image; "
                        f"the model must be a dense relu network (default with --impl: {IMPL_MODEL}); "
                        "the inside view, G, B and teaching stay on fnn's own functions")
    p.add_argument("--nearest-csv", metavar="CSV", default=None,
                   help="the training digits N searches (default: data/mnist_train.csv.gz); their "
                        "features are cached beside the model file as MODEL.nearest.npz")
    p.add_argument("--max-frames", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None, on_frame=None):
    """--image, --digits, --screenshot or the window; a problem is one line and exit code 2,
    Ctrl-C 130 and SIGTERM 143 (one line)."""
    interrupts.raise_on_signals()
    paths.printable_streams()                   # a file name that is not UTF-8 prints escaped
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        path = args.model or os.path.join(HERE, IMPL_MODEL if args.impl else DEFAULT_MODEL)
        outs = check_outputs(args.screenshot, args.keep, [path, args.image, args.digits, args.nearest_csv])
        model, name = load_model(path), args.model or os.path.relpath(path)   # a path: N caches beside it
        mine = learners_forward(args, model, name) if args.impl else None
        if args.image:
            digit, p, _ = classify_image(model, args.image, mine)
            print(f"{shown(args.image)}: {digit} ({p:.1%})")
        elif args.digits:
            report_digits(model, name, args.digits)
        elif args.screenshot:
            screenshot(model, name, outs["screenshot"], args.demo, args.press, args.keep,
                       args.nearest_csv)
        else:
            run(new_state(model, name, args.keep, mine, args.nearest_csv), args.max_frames, on_frame)
    except AppError as e:
        print(f"draw.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print("\ndraw.py: interrupted", file=sys.stderr)
        return interrupts.exit_code(e)
    return 0


def learners_forward(args, model, name):
    """--impl FILE: the learner's module once fnn.exercise's checks pass and the model is a dense
    relu network; AppError otherwise (the checker's lines go to stderr first)."""
    if args.digits or args.screenshot:
        raise AppError("--impl reads drawings in the window and with --image, not with "
                       + ("--digits" if args.digits else "--screenshot"))
    try:
        impl.check_dense(model[1], shown(name))
        return impl.checked(args.impl)
    except impl.ImplError as e:
        for line in e.lines:
            print(line, file=sys.stderr)
        raise AppError(str(e)) from None


def report_digits(model, name, path):
    """--digits: the model's accuracy on a labelled CSV, overall and per digit."""
    try:
        paths.check_input(path)
        C = score_digits(model[0], model[1], path)
    except (paths.PathError, DataError) as e:
        raise AppError(str(e)) from None
    print(f"{shown(path)}: {np.trace(C)}/{C.sum()} correct ({np.trace(C) / C.sum():.1%}) by {shown(name)}")
    print("\n".join(format_report(C)))


if __name__ == "__main__":
    sys.exit(main())
