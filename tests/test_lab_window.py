"""train.py --watch driven headless (SDL_VIDEODRIVER=dummy) by real events posted into pygame's
queue: pause, one step, a rate change, a snapshot, Esc mid-run, a click on the confusion matrix.

Each test runs train.main in this process on a tiny slice; `drive` posts the given events
just before the window sees the record of an iteration, and while paused before each frame."""
import numpy as np
import pandas as pd
import pygame
import pytest

import fnn
import train
from fnnapp.views import lab

TINY = ["--max-rows", "600", "--epochs", "2", "--batch-size", "100", "--hidden", "16",
        "--log-every", "0", "--test", "data/mnist_test.csv.gz"]


def key(k):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0)


@pytest.fixture
def drive(monkeypatch):
    """drive(argv, at={iteration: [events]}, paused=[[events], ...], results=fn, end=[events])
    -> (exit code, the Watch, the iterations at which the paused window looked for events).
    end: posted when the end screen opens (default Tab: from the curves to the matrix);
    results(view) -> the events to post after each frame of the matrix (default: close)."""
    monkeypatch.setattr(lab, "FPS", 1e9)                  # a frame after every step
    monkeypatch.setattr(lab, "BUDGET", 1e9)
    monkeypatch.setattr(lab, "WAKE", 0.01)                # a paused window looks every 10 ms
    got = {}

    def run(argv, at=(), paused=(), results=None, end=(key(pygame.K_TAB),)):
        at, paused, paused_at = dict(at), list(paused), []
        see, wait, show = lab.Watch.see, lab.wait_events, lab.Results._show

        def see_(self, rec):
            got["watch"] = self
            if rec["kind"] == "step":
                for e in at.pop(rec["iteration"], []):
                    pygame.event.post(e)
            return see(self, rec)

        def wait_(timeout, poll):                         # each time a paused window looks
            watch = got.get("watch")
            if watch is not None and watch.paused:
                paused_at.append(watch._t())
                for e in (paused.pop(0) if paused else []):
                    pygame.event.post(e)
            return wait(timeout, poll)

        def show_(self, *a):
            show(self, *a)
            for e in (results(self) if results else [pygame.event.Event(pygame.QUIT)]):
                pygame.event.post(e)

        def results_(self, *a):                           # the end screen: curves, then Tab
            for e in end:
                pygame.event.post(e)
            got["finished"] = self.finished
            return results_real(self, *a)

        results_real = lab.Watch.results
        monkeypatch.setattr(lab.Watch, "results", results_)
        monkeypatch.setattr(lab.Watch, "see", see_)
        monkeypatch.setattr(lab, "wait_events", wait_)
        monkeypatch.setattr(lab.Results, "_show", show_)
        code = train.main(TINY + ["--watch"] + [str(a) for a in argv])
        return code, got.get("watch"), paused_at
    return run


def test_pause_step_and_rate_change(drive, tmp_path):
    """Space at iteration 3 holds training there; N takes exactly one step (to 4), where it
    waits again; Up then doubles the rate from iteration 5 on, recorded in the model's meta."""
    out = tmp_path / "m.npz"
    code, watch, paused_at = drive(["--out", out], at={3: [key(pygame.K_SPACE)]},
                                   paused=[[], [key(pygame.K_n)], [], [key(pygame.K_UP)], [],
                                           [key(pygame.K_SPACE)]])
    assert code == 0
    assert sorted(set(paused_at)) == [3, 4] and paused_at.count(3) >= 2 and paused_at.count(4) >= 2
    _, _, meta = fnn.load(out)
    assert meta["lr_changes"] == [[5, 2.0]]
    lr = pd.read_csv(tmp_path / "m.csv")["lr"].to_numpy()
    plain = 2e-3 * 0.5 * (1 + np.cos(np.pi * np.arange(12) / 12))
    assert np.allclose(lr[:4], plain[:4], rtol=1e-5) and np.allclose(lr[4:], 2 * plain[4:], rtol=1e-5)


def test_watched_and_plain_runs_give_the_same_weights(drive, tmp_path):
    code, watch, _ = drive(["--out", tmp_path / "w.npz"])
    assert code == 0 and watch.frames >= 12 and len(watch.stats) >= 10    # stats asked each frame
    assert train.main(TINY + ["--out", str(tmp_path / "p.npz")]) == 0
    w, p = fnn.load(tmp_path / "w.npz")[0], fnn.load(tmp_path / "p.npz")[0]
    assert w.keys() == p.keys() and all(np.array_equal(w[k], p[k]) for k in w)


def test_snapshot_then_esc_saves_a_valid_model(drive, tmp_path, capsys):
    out = tmp_path / "m.npz"
    code, _, _ = drive(["--out", out], at={4: [key(pygame.K_s)], 9: [key(pygame.K_ESCAPE)]})
    assert code == 130
    snap, _, smeta = fnn.load(tmp_path / "m_snapshot_4.npz")
    assert smeta["iterations"] == 4 and smeta["snapshot"] is True
    params, layers, meta = fnn.load(out)
    assert meta["interrupted"] is True and meta["iterations"] == 9
    assert not all(np.array_equal(snap[k], params[k]) for k in snap)
    assert "interrupted at iteration 9" in capsys.readouterr().err


def test_clicking_a_confusion_cell_shows_its_images(drive, tmp_path):
    """The results stay until closed; a click on cell (true 4, predicted 9) shows the test
    images of that cell, most confident first (as many as the gallery holds)."""
    clicks = []

    def results(view):
        if not clicks:
            clicks.append(view.cells[(4, 9)].center)
            return [pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=clicks[0])]
        return [pygame.event.Event(pygame.QUIT)]

    code, watch, _ = drive(["--out", tmp_path / "m.npz", "--max-rows", "1000"], results=results)
    view = watch.last_results
    assert code == 0 and view.selected == (4, 9)
    params, layers, _ = fnn.load(tmp_path / "m.npz")
    X, y = fnn.io.data.load_csv("data/mnist_test.csv.gz", max_rows=1000)
    probs = fnn.predict_proba(params, X, layers)
    cell = np.flatnonzero((y == 4) & (probs.argmax(axis=0) == 9))
    ranked = cell[np.argsort(-probs[9, cell], kind="stable")]
    assert 0 < view.shown.size <= cell.size
    assert view.shown.tolist() == ranked[:view.shown.size].tolist()


def test_compare_overlays_another_run_or_says_why_not(drive, tmp_path, capsys):
    assert train.main(TINY + ["--out", str(tmp_path / "a.npz")]) == 0
    code, watch, _ = drive(["--out", tmp_path / "b.npz", "--compare", tmp_path / "a.npz"])
    assert code == 0 and watch.compare[0] == "a.npz" and len(watch.compare[1]) == 12
    code, _, _ = drive(["--out", tmp_path / "c.npz", "--compare", tmp_path / "none.npz"])
    err = capsys.readouterr().err
    assert code == 2 and "--compare" in err and "none.csv" in err


def test_evaluate_with_watch_opens_the_clickable_results(monkeypatch, tmp_path):
    """--evaluate MODEL --watch: the same view for a saved model; a click on the diagonal cell
    of 1s shows correctly classified 1s."""
    show, seen = lab.Results._show, []

    def show_(self, *a):
        show(self, *a)
        seen.append(self.selected)
        e = (pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=self.cells[(1, 1)].center)
             if len(seen) == 1 else pygame.event.Event(pygame.QUIT))
        pygame.event.post(e)
    monkeypatch.setattr(lab.Results, "_show", show_)
    code = train.main(["--evaluate", "data/mnist_mlp.npz", "--watch", "--max-rows", "300",
                       "--errors-png", str(tmp_path / "e.png")])
    assert code == 0 and seen == [None, (1, 1)] and (tmp_path / "e.png").exists()


def test_end_screen_shows_the_curves_first_and_tab_switches(drive, tmp_path):
    """At the end the final curves stay, with the test accuracy in the status line; Tab shows
    the confusion matrix, Tab again the curves, Esc closes."""
    shown = []

    def results(view):
        shown.append(view.view)
        return []
    code, watch, _ = drive(["--out", tmp_path / "m.npz"], results=results,
                           end=[key(pygame.K_TAB), key(pygame.K_TAB), key(pygame.K_ESCAPE)])
    assert code == 0 and shown == ["matrix"] and watch.last_results.view == "curves"
    assert watch.finished.startswith("done: test accuracy ")
    meta = fnn.load(tmp_path / "m.npz")[2]
    assert f"{100 * meta['test_accuracy']:.2f}%" in watch.finished


def test_layer_health_is_measured_from_the_first_steps(drive, tmp_path, monkeypatch):
    monkeypatch.setattr(lab, "FPS", 1e-3)                 # one frame only: the first
    code, watch, _ = drive(["--out", tmp_path / "m.npz"])
    assert code == 0 and [i for i, _ in watch.stats][:5] == [2, 3, 4, 5, 6]


def test_a_paused_lab_sleeps_between_looks(drive, tmp_path, monkeypatch):
    """Paused, the window looks for events every WAKE = 0.1 s and sleeps between: over six
    looks the process works well under 10 % of the time (docs: under 1 % of a core, measured
    with /proc under Xvfb)."""
    import time
    marks, wait = [], lab.wait_events

    def timed(timeout, poll):
        marks.append((time.perf_counter(), time.process_time()))
        return wait(timeout, poll)
    monkeypatch.setattr(lab, "wait_events", timed)
    monkeypatch.setattr(lab, "WAKE", 0.1)
    code, _, paused_at = drive(["--out", tmp_path / "m.npz"], at={3: [key(pygame.K_SPACE)]},
                               paused=[[]] * 6 + [[key(pygame.K_SPACE)]])
    assert code == 0 and paused_at == [3] * 7
    (wall0, cpu0), (wall1, cpu1) = marks[0], marks[6]
    assert wall1 - wall0 >= 0.55 and (cpu1 - cpu0) < 0.1 * (wall1 - wall0)


@pytest.mark.parametrize("where", ["paused", "results"])
def test_sigterm_ends_a_paused_or_finished_lab_143_in_one_line(drive, tmp_path, monkeypatch, capsys, where):
    import os
    import signal
    looks, wait = [], lab.wait_events

    def look(timeout, poll):
        looks.append(timeout)
        if len(looks) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return wait(timeout, poll)
    monkeypatch.setattr(lab, "wait_events", look)
    old = signal.getsignal(signal.SIGTERM)
    try:
        if where == "paused":
            code, _, _ = drive(["--out", tmp_path / "m.npz"], at={3: [key(pygame.K_SPACE)]})
        else:
            code, _, _ = drive(["--out", tmp_path / "m.npz"], end=[], results=lambda view: [])
    finally:
        signal.signal(signal.SIGTERM, old)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 143 and (tmp_path / "m.npz").exists()
    assert len(err) == (2 if where == "paused" else 1), err     # paused: the save says where
