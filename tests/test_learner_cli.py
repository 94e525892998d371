"""What a learner following the README meets on the command line: default outputs that never
replace an earlier run, nothing written into data/ unless asked, and the progress of a run as
one line rewritten on a terminal but full lines into a pipe."""
import os
import pty
import subprocess
import sys
from pathlib import Path

import pygame

import train
from conftest import Early
from fnnapp.cli import paths, progress

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
TINY = ["--max-rows", "600", "--epochs", "2", "--batch-size", "100", "--hidden", "16",
        "--test", str(ROOT / "data" / "mnist_test.csv.gz")]


def on_a_terminal(args, cwd):
    """The command's output as a terminal shows it (stdout on a pty) -> (exit code, text)."""
    leader, follower = pty.openpty()
    p = subprocess.Popen([str(a) for a in args], stdout=follower, stderr=subprocess.DEVNULL,
                         cwd=cwd, env=ENV)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:                          # the pty is closed: the process has ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return p.wait(60), b"".join(chunks).decode()


def queue_early(d):
    run = [sys.executable, ROOT / "train.py", *TINY]
    return {"tty": Early(on_a_terminal, run + ["--out", d / "tty.npz"], ROOT),
            "pipe": Early.command(run + ["--out", d / "pipe.npz"], cwd=ROOT, env=ENV, timeout=60)}


def test_a_terminal_gets_one_progress_line_and_a_pipe_full_lines(early):
    code, shown = early["tty"].result()
    assert code == 0, shown
    bars = [piece for piece in shown.split("\r") if " it/s  ETA " in piece]
    assert len(bars) >= 2 and all(b.endswith("\x1b[K") and "epoch " in b and "loss " in b for b in bars)
    assert bars[-1].startswith("100% [") and " 12/12 " in bars[-1]
    assert not any(line.startswith("iter ") for line in shown.splitlines())
    pipe = early["pipe"].result()
    assert pipe.returncode == 0, pipe.stderr
    assert "\r" not in pipe.stdout
    assert [l.split()[1] for l in pipe.stdout.splitlines() if l.startswith("iter ")] == ["10"]


def test_bar_line_says_where_the_run_is_in_the_terminals_width():
    line = progress.bar_line(50, 200, 2, 4, 0.1234, 0.96, 10.0, columns=100)
    assert line.startswith(" 25% [#######.......................] 50/200  epoch 2/4  loss 0.123  acc 96.0%")
    assert line.endswith("  5 it/s  ETA 0:30") and len(line) < 100
    narrow = progress.bar_line(50, 200, 2, 4, 0.1234, 0.96, 10.0, columns=80)
    assert len(narrow) <= 79 and narrow.endswith("ETA 0:30") and " 25% [###." in narrow


def test_default_out_is_numbered_and_never_replaces_a_run(tmp_path, monkeypatch, capsys):
    default = tmp_path / "models" / "mnist_mlp.npz"
    monkeypatch.setitem(train.DEFAULT_OUT, "mlp", str(default))
    assert train.main(TINY + ["--log-every", "0"]) == 0
    first = default.read_bytes()
    out = capsys.readouterr().out
    assert f"saved model {default}" in out and "out: " not in out
    assert train.main(TINY + ["--log-every", "0", "--seed", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    second = tmp_path / "models" / "mnist_mlp-2.npz"
    assert out[0] == f"out: {second} ({default} is kept; --out {default} would replace it)"
    assert f"saved model {second}" in out and second.with_suffix(".png").exists()
    assert default.read_bytes() == first                 # --out replaces: test_train's seeds test


def test_evaluate_of_a_shipped_model_writes_into_models_not_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "ROOT", str(tmp_path))
    before = sorted(os.listdir(ROOT / "data"))
    assert train.main(["--evaluate", str(ROOT / "data" / "mnist_mlp.npz"), "--max-rows", "200"]) == 0
    png = Path(os.path.relpath(tmp_path / "models" / "mnist_mlp_errors.png"))
    assert f"saved confusion matrix and mistakes {png}" in capsys.readouterr().out
    assert sorted(os.listdir(ROOT / "data")) == before
    assert pygame.image.load(str(png)).get_size() == (1280, 760)


def test_draw_help_lists_every_key_of_the_pad(capsys):
    import re

    import draw
    from fnnapp.views import app
    try:
        draw.parse_args(["--help"])
    except SystemExit:
        pass
    shown = capsys.readouterr().out
    words = {"escape": "Esc", "backspace": "Backspace"}
    for name in app.KEYS:
        assert re.search(rf"\b{re.escape(words.get(name, name.upper()))}\b", shown), name
    for name in app.CTRL_KEYS:
        assert f"Ctrl-{name.upper()}" in shown
    assert "0-9" in shown
