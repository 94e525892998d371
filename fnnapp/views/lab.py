"""The training lab: train.py --watch's window, and the picture of a model's mistakes.

    watch = Watch(layers, history, ...)           # opens the window
    for rec in fit(...): reply = watch.see(rec)   # train.py sends reply back into fit
    watch.results(C, X_test, y_test, probs)       # final curves, Tab: confusion matrix; until closed

The window only observes: fit runs the training (one loop, fnn.training), see() looks at its
records, redraws at most `fps` times a second, and answers with what the keys asked for
({"lr_factor": 2.0}, {"stats": True}; fit's docstring). Drawing reuses fnnapp.views.chart, fnnapp.views.tiles and
fnnapp.views.theme; errors_figure() draws the same confusion matrix and gallery without a window.
"""
import time

import numpy as np
import pygame

import fnn
from fnn.analysis.report import cell_examples, mistakes, per_class_accuracy, percent, top_k
from fnnapp.cli.progress import clock
from fnnapp.cli.words import count
from fnnapp.views.chart import Series, chart
from fnnapp.views.panels import panel
from fnnapp.views.curves import mean_label, smooth
from fnnapp.views.theme import (ACCENT, BG, BLUE, DARK, FG, GREEN, LIGHT_BLUE, LIGHT_ORANGE, MUTED, ORANGE,
                      fit_font, make_fonts, readable_on, text)
from fnnapp.views.tiles import diverging, gray, heat, per_map, tile, tile_grid
from fnnapp.views.window import wait_events

RIGHT, WRONG = (70, 200, 110), (255, 110, 100)
LAYER_COLORS = [(110, 160, 240), (255, 176, 64), (70, 200, 110), (230, 130, 215), (200, 200, 90)]
COMPARE = (190, 150, 245)
FPS = 4.0                     # redraws a second at most while training runs
BUDGET = 0.02                 # and at most this share of the time spent on frames
GUIDE = 1e-3                  # the update/weight ratio rule of thumb (CS231n)
MAX_POINTS = 1500             # points a curve draws: more only costs time, not detail
CONTROLS = ("Space pause/resume   N one step (paused)   Up/Down lr x2 / x0.5   "
            "S snapshot   Esc stop (best model saved)")
WAKE = 0.1                    # s a paused or finished window sleeps at most: Ctrl-C and SIGTERM act
LOOK = 0.04                   # s between two looks for events meanwhile (keys answer within it)
EARLY_STATS = 20              # layer health is measured at each of the first steps, then each frame
DONE_KEYS = "Tab: the confusion matrix and mistakes    Esc or close the window: quit"
FAIR = "same seed = same initial weights and batches: a fair comparison of what differs"


def _thin(x, *ys, n=MAX_POINTS):
    """Every k-th point of the series so that at most n are left (the last one kept)."""
    x = np.asarray(x, np.float64)
    k = max(1, -(-x.size // n))
    idx = np.r_[np.arange(0, x.size, k), x.size - 1] if x.size else np.zeros(0, int)
    return [x[idx]] + [np.asarray(y, np.float64)[idx] for y in ys]


# ---- the confusion matrix and the gallery (the window and errors_figure) -------------------

def confusion(surface, rect, C, fonts, selected=None):
    """C (n, n) as cells coloured by the row-normalised C[i, j] / sum_j C[i, j] (fnnapp.views.tiles.heat),
    each with its count; rows the true digit, columns the prediction, each row's accuracy at
    its right. -> {(i, j): Rect} of the cells (for clicks)."""
    C = np.asarray(C)
    n = C.shape[0]
    R = C / np.maximum(C.sum(axis=1, keepdims=True), 1)
    small, font = fonts["small"], fonts["text"]
    side = max(8, min((rect.w - 110) // n, (rect.h - 60) // n))
    x0, y0 = rect.x + 50, rect.y + 44
    text(surface, font, "predicted digit", (x0 + n * side // 2, rect.y), MUTED, "midtop")
    text(surface, font, "true digit", (rect.x, y0 + n * side // 2), MUTED, "midleft", 90)
    colors = heat(R)
    cells = {}
    for i in range(n):
        text(surface, small, str(i), (x0 - 8, y0 + i * side + side // 2), FG, "midright")
        text(surface, small, str(i), (x0 + i * side + side // 2, y0 - 6), FG, "midbottom")
        acc = per_class_accuracy(C)[i]
        text(surface, small, "n/a" if np.isnan(acc) else f"{acc:.1%}",
             (x0 + n * side + 8, y0 + i * side + side // 2), FG, "midleft")
        for j in range(n):
            r = pygame.Rect(x0 + j * side, y0 + i * side, side - 1, side - 1)
            cell = tuple(int(c) for c in colors[i, j])
            surface.fill(cell, r)
            if C[i, j]:
                text(surface, small, str(C[i, j]), r.center, readable_on(cell), "center")
            cells[(i, j)] = r
    if selected in cells:
        pygame.draw.rect(surface, ACCENT, cells[selected].inflate(3, 3), 3)
    return cells


def gallery(surface, rect, X, y, probs, idx, fonts, side=56):
    """The test images idx (most confident mistakes first, say) as tiles, each with its true
    label and its top three classes and probabilities. -> how many were drawn."""
    small = fonts["small"]
    line = small.get_height() + 1
    cw, ch = side + 84, max(side, 4 * line) + 10
    cols, rows = max(1, rect.w // cw), max(1, rect.h // ch)
    idx = np.asarray(idx)[:cols * rows]
    classes, p = top_k(probs[:, idx], 3) if idx.size else (None, None)
    for k, j in enumerate(idx):
        x, yy = rect.x + (k % cols) * cw, rect.y + (k // cols) * ch
        r = pygame.Rect(x, yy, side, side)
        tile(surface, r, X[:, j].reshape(28, 28), gray)
        ok = classes[0, k] == y[j]
        pygame.draw.rect(surface, RIGHT if ok else WRONG, r.inflate(4, 4), 2)
        text(surface, small, f"true {y[j]}", (x + side + 8, yy), FG)
        for q in range(3):
            text(surface, small, f"{classes[q, k]}  {p[q, k]:6.1%}", (x + side + 8, yy + (q + 1) * line),
                 ACCENT if q == 0 and not ok else MUTED)
    return int(idx.size)


def errors_view(surface, C, X, y, probs, fonts, title, selected=None, keys=None):
    """The whole results picture: title, confusion matrix (left), the gallery of the selected
    cell (right; all mistakes when none); in a window, what a click does and `keys` (a PNG has
    no clicks: keys=None). -> (cells, the indices the gallery shows)."""
    surface.fill(BG)
    W, H = surface.get_size()
    acc = float(np.trace(C) / max(C.sum(), 1))
    text(surface, fit_font(title, W - 20), title, (W // 2, 8), FG, "midtop")
    text(surface, fonts["text"], f"test accuracy {percent(acc)} on {count(int(C.sum()), 'image')}; "
         f"{count(int(C.sum() - np.trace(C)), 'mistake')}", (W // 2, 36), MUTED, "midtop")
    cells = confusion(surface, pygame.Rect(16, 70, 560, H - 90), C, fonts, selected)
    if selected is None:
        idx, what = mistakes(probs, y), "the most confident mistakes"
    else:
        i, j = selected
        idx = cell_examples(probs, y, i, j)
        what = f"true {i}, predicted {j}: {count(idx.size, 'image')}, most confident first"
    text(surface, fonts["text"], what + ("" if idx.size else " (none)"), (600, 70), FG)
    n = gallery(surface, pygame.Rect(600, 100, W - 610, H - 130), X, y, probs, idx, fonts)
    if keys is not None:
        click = ("click a cell of the matrix for its images" if selected is None
                 else "click another cell, or outside the matrix, for all mistakes")
        text(surface, fonts["small"], f"{click}    {keys}", (16, H - 28), MUTED)
    return cells, idx[:n]


def errors_figure(C, X, y, probs, title, file=None, size=(1280, 760), temperature=None):
    """errors_view on a new Surface (no window needed), saved as PNG to `file` when given;
    with a temperature, the reliability diagram below the matrix (reliability_panel)."""
    surface = pygame.Surface(size)
    fonts = make_fonts()
    errors_view(surface, C, X, y, probs, fonts, title)
    if temperature is not None:
        reliability_panel(surface, pygame.Rect(16, size[1] - 178, 560, 170), probs, y, temperature, fonts)
    if file is not None:
        pygame.image.save(surface, file, "png")
    return surface


def reliability_panel(surface, rect, probs, y, T, fonts):
    """The reliability diagram (fnn.analysis.calibration.reliability): for each of the BINS bins
    of confidence max_k p_k, the accuracy of its images as a bar (blue: A[L]; orange:
    softmax(Z / T)), against the diagonal of a network exactly as sure as it is right."""
    from fnn.analysis.calibration import BINS, ece, reliability, scale
    scaled = scale(probs, T)
    text(surface, fonts["small"], f"accuracy per confidence bin ({BINS}): ECE {ece(probs, y):.2%} blue, "
         f"{ece(scaled, y):.2%} orange (T = {T:.3g})", rect.topleft, FG)
    plot = pygame.Rect(rect.x + 30, rect.y + 22, rect.w - 40, rect.h - 40)
    pygame.draw.rect(surface, MUTED, plot, 1)
    pygame.draw.line(surface, MUTED, plot.bottomleft, plot.topright)       # accuracy = confidence
    w = plot.w / BINS
    for k, (P, colour) in enumerate(((probs, BLUE), (scaled, ORANGE))):
        count, _, acc = reliability(P, y)
        for b in np.flatnonzero(count):
            h = round(acc[b] * plot.h)
            surface.fill(colour, (round(plot.x + b * w + 2 + k * (w - 4) / 2), plot.bottom - h,
                                  max(1, round((w - 4) / 2)), h))
    for v in (0, 0.5, 1):
        text(surface, fonts["small"], f"{v:g}", (plot.x - 4, plot.bottom - v * plot.h), MUTED, "midright")
        text(surface, fonts["small"], f"{v:g}", (plot.x + v * plot.w, plot.bottom + 2), MUTED, "midtop")


# ---- the live window ------------------------------------------------------------------------

def _each_diverging(w):
    """fnnapp.views.tiles.diverging of each w[i] scaled by its own max |w[i]|: (k, h, w) -> (k, h, w, 3)."""
    return diverging(per_map(w))




class Watch:
    """train.py --watch. see(rec) after each of fit's records returns what to send into fit.

    layers: the network; history: train.py's curve data (read, never written here);
    total, epochs: iterations and epochs of the run; title: the network and recipe;
    X_show, y_show: fixed test digits for the strip (the first is the CNN's feature-map digit);
    snapshot(params, iteration) -> path: train.py saves the weights next to --out;
    compare: (name, curve DataFrame) of another run or None; fps: redraws a second at most.
    The state here is the window's only (paused, selected cell, samples of fnn.analysis.stats)."""

    def __init__(self, layers, history, total, epochs, title, X_show, y_show, snapshot,
                 compare=None, fps=None, size=(1280, 820)):
        pygame.display.init()
        self.screen = pygame.display.set_mode(size)
        pygame.display.set_caption("fnn training lab")
        self.fonts = make_fonts()
        self.layers, self.history, self.total, self.epochs = layers, history, total, epochs
        self.title, self.X_show, self.y_show = title, X_show, y_show
        self.snapshot, self.compare, self.period = snapshot, compare, 1.0 / (fps or FPS)
        self.paused, self.step_once, self.frames = False, False, 0
        self.rec, self.stats, self.epoch_ends, self.notes = None, [], [], []
        self.start, self.paused_for, self.last_draw = time.perf_counter(), 0.0, -np.inf
        self.cost = 0.0               # seconds the last frame took (events and drawing)
        self.last_results = None
        self.title_font = fit_font(title, size[0] - 20)
        self.digits = None            # the strip's tiles, drawn once: (Surface, tile Rects)
        self.finished = None          # the end screen's status line (results)

    # -- what fit is told --
    def see(self, rec):
        """Look at one record; redraw when due: each epoch's end, while paused, and otherwise
        when `period` seconds and 1/BUDGET times the last frame's cost have passed since the
        last frame, so frames take at most BUDGET of the run whatever the machine's speed.
        -> None, or {"stats": True, "lr_factor": f} for fit (gen.send)."""
        if rec["kind"] == "epoch":
            self.epoch_ends.append(rec["iteration"])
        else:
            self.rec = rec
            if "stats" in rec:
                self.stats.append((rec["iteration"], rec["stats"]))
        now = time.perf_counter()
        due = now - self.last_draw >= max(self.period, self.cost / BUDGET)
        if not (self.paused or rec["kind"] == "epoch" or due):
            return {"stats": True} if rec["iteration"] < EARLY_STATS else None
        factor = self._events(1.0, pygame.event.get())
        self.draw()
        self.cost = time.perf_counter() - now
        while self.paused and not self.step_once:    # asleep until a key, awake every WAKE s
            t0 = time.perf_counter()
            events = [e for e in wait_events(WAKE, LOOK) if e.type != pygame.USEREVENT]  # wake-ups
            if events:
                factor = self._events(factor, events)
                self.draw()
            self.paused_for += time.perf_counter() - t0
        self.step_once = False
        self.last_draw = time.perf_counter()
        reply = {"stats": True}
        if factor != 1.0:
            reply["lr_factor"] = factor
        return reply

    def _events(self, factor, events):
        """Handle the keys of `events`; -> the rate factor so far (Up doubles, Down halves). Esc
        or closing the window raises KeyboardInterrupt: train.py stops as on Ctrl-C."""
        for e in events:
            if e.type == pygame.QUIT or (e.type == pygame.KEYDOWN and e.key == pygame.K_ESCAPE):
                raise KeyboardInterrupt
            if e.type != pygame.KEYDOWN:
                continue
            if e.key == pygame.K_SPACE:
                self.paused = not self.paused
            elif e.key == pygame.K_n and self.paused:
                self.step_once = True
            elif e.key in (pygame.K_UP, pygame.K_DOWN):
                factor *= 2.0 if e.key == pygame.K_UP else 0.5
                self.notes.append(f"lr x {factor:g} from iteration {self._t() + 1}")
            elif e.key == pygame.K_s and self.rec is not None:
                path = self.snapshot(self.rec["params"], self._t())
                self.notes.append(f"snapshot {path}")
        return factor

    def _t(self):
        return self.rec["iteration"] if self.rec else 0

    # -- one frame --
    def draw(self):
        """Redraw the whole live view and flip it to the window."""
        s, f = self.screen, self.fonts
        W, H = s.get_size()
        s.fill(BG)
        t = self._t()
        text(s, self.title_font, self.title, (W // 2, 6), FG, "midtop")
        spent = time.perf_counter() - self.start - self.paused_for
        eta = clock(spent / t * (self.total - t)) if t else "-"
        lr = self.rec["lr"] if self.rec else float("nan")
        epoch = self.rec["epoch"] if self.rec else 0
        status = (f"iteration {t:,} / {self.total:,}    epoch {epoch} / {self.epochs}    "
                  f"lr {lr:.2e}    elapsed {clock(spent)}    ETA {eta}"
                  + ("    PAUSED" if self.paused else ""))
        text(s, f["text"], self.finished or status, (W // 2, 34),
             ACCENT if self.paused or self.finished else FG, "midtop")
        if self.rec is not None:
            self._curves(pygame.Rect(8, 62, 760, 560))
            self._learning(pygame.Rect(790, 62, W - 800, 330))
            self._health(pygame.Rect(790, 400, W - 800, 222))
            self._strip(pygame.Rect(8, 636, W - 16, 110))
        for k, note in enumerate(self.notes[-2:]):
            text(s, f["small"], note, (W - 10, H - 44 + 18 * k), MUTED, "topright")
        text(s, f["small"], DONE_KEYS if self.finished else CONTROLS, (10, H - 26), MUTED)
        pygame.display.flip()
        self.frames += 1

    def _curves(self, rect):
        """Loss (log) and accuracy over the whole run's iterations: batch values, running
        means, validation points, epoch boundaries, and the --compare run in violet."""
        h = self.history
        it = np.asarray(h["iteration"], np.float64)
        k = max(1, min(50, it.size // 20))
        loss, acc = np.asarray(h["loss"]), np.asarray(h["acc"])
        x, loss, acc, loss_s, acc_s = _thin(it, loss, acc, smooth(loss, k), smooth(acc, k))
        val = h["val"]
        loss_series = [Series(x, loss, LIGHT_BLUE, 1, "batch loss"),
                       Series(x, loss_s, BLUE, 2, mean_label(k))]
        acc_series = [Series(x, acc, LIGHT_ORANGE, 1, "batch accuracy"),
                      Series(x, acc_s, ORANGE, 2, mean_label(k)),
                      Series([i for i, _ in val], [v for _, v in val], GREEN, 1,
                             "validation (each epoch)", dots=True)]
        if self.compare is not None:
            name, other = self.compare
            ox = other["iteration"].to_numpy(np.float64)
            kk = max(1, min(50, ox.size // 20))
            ox, ol, oa = _thin(ox, smooth(other["loss"], kk), smooth(other["acc"], kk))
            loss_series.append(Series(ox, ol, COMPARE, 2, f"{name} (mean)"))
            ov = other.dropna(subset=["val_acc"])
            acc_series += [Series(ox, oa, COMPARE, 2, f"{name} (mean)"),
                           Series(ov["iteration"], ov["val_acc"], COMPARE, 1, dots=True)]
        xlim = (0.0, float(self.total))
        top = pygame.Rect(rect.x, rect.y, rect.w, rect.h // 2 - 6)
        bottom = pygame.Rect(rect.x, rect.y + rect.h // 2 + 6, rect.w, rect.h - rect.h // 2 - 6)
        seen = np.concatenate([acc_s[acc_s.size // 10:], [v for _, v in val]])
        alo = max(0.0, np.floor(20 * float(np.min(seen)) - 1e-9) / 20) if seen.size else 0.0
        for r, series, kw in ((top, loss_series, {"log": True, "ylabel": "loss (log scale)"}),
                              (bottom, acc_series, {"ylim": (alo, 1.0), "ylabel": "accuracy",
                                                    "xlabel": "iteration", "legend": "bottomright"})):
            plot = chart(self.screen, r, series, self.fonts, xlim, palette=DARK, **kw)
            for e in self.epoch_ends:                            # epoch boundaries
                px = plot.x + e / max(self.total, 1) * plot.w
                pygame.draw.line(self.screen, MUTED, (px, plot.y + 1), (px, plot.bottom - 2))
        if self.compare is not None:
            text(self.screen, self.fonts["small"], f"violet: {self.compare[0]}. {FAIR}",
                 (rect.x + 60, rect.bottom - 2), COMPARE)

    def _learning(self, rect):
        """What the first layer learns: a dense W1's rows as 28x28 tiles (diverging colours),
        or a CNN's conv-1 filters and their feature maps of one test digit."""
        p, s, f = self.rec["params"], self.screen, self.fonts
        W1 = p["W1"]
        if W1.ndim == 2 and W1.shape[1] == 784:
            n = min(W1.shape[0], 48)
            area = panel(s, rect, f"first layer: {n} of {W1.shape[0]} units' weights "
                         f"(orange +, blue -)", f)
            tile_grid(s, area, _each_diverging(W1[:n].reshape(n, 28, 28)), cmap=lambda v: v,
                      cols=8, gap=3, largest=48)
        elif W1.ndim == 4:
            area = panel(s, rect, f"conv 1: {W1.shape[0]} filters (orange +, blue -)", f)
            tile_grid(s, pygame.Rect(area.x, area.y, area.w, 92),
                      _each_diverging(W1[:, 0]), cmap=lambda v: v, cols=8, gap=4, largest=44)
            _, cache = fnn.forward(p, self.X_show[:, :1], self.layers)
            maps = next(A for spec, A in zip(cache["layers"], cache["out"]) if spec["type"] == "relu")[..., 0]
            area = panel(s, pygame.Rect(area.x, area.y + 100, area.w, area.h - 100),
                         "their feature maps of this digit (after relu)", f)
            tile(s, pygame.Rect(area.x, area.y, 64, 64), self.X_show[:, 0].reshape(28, 28))
            tile_grid(s, pygame.Rect(area.x + 76, area.y, area.w - 76, area.h),
                      list(per_map(maps)), cmap=heat, cols=8, gap=3, largest=56)   # none dim

    def _health(self, rect):
        """Per layer: the update/weight ratio over time on a log axis with the 1e-3 guide, and
        the latest gradient norm, ratio and dead-ReLU fraction as text."""
        s, f = self.screen, self.fonts
        area = panel(s, rect, "layer health: update / weight ratio per step (log; guide 1e-3)", f)
        if not self.stats:
            return
        names = list(self.stats[-1][1])
        its = np.array([i for i, _ in self.stats], np.float64)
        series = [Series(its, [st[k]["update_ratio"] if k in st else np.nan for _, st in self.stats],
                         LAYER_COLORS[n % len(LAYER_COLORS)], 2, dots=its.size < 3)
                  for n, k in enumerate(names)]                  # a line needs two points
        series.append(Series([0, self.total], [GUIDE, GUIDE], MUTED, 1))
        ratios = np.array([sr.y for sr in series[:-1]], np.float64)
        ok = ratios[np.isfinite(ratios) & (ratios > 0)]
        lo = min(GUIDE / 10, float(ok.min()) if ok.size else GUIDE)
        hi = max(GUIDE * 10, float(ok.max()) if ok.size else GUIDE)
        ylim = (10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi)))
        chart(s, pygame.Rect(area.x, area.y, area.w - 190, area.h), series, f,
              (0.0, float(self.total)), ylim, log=True, legend=None, palette=DARK)
        x, y = area.right - 180, area.y + 4
        latest = self.stats[-1][1]
        for n, k in enumerate(names):
            st = latest[k]
            color = LAYER_COLORS[n % len(LAYER_COLORS)]
            dead = "" if st["dead"] is None else f"   dead {st['dead']:.0%}"
            line = f["small"].get_height() + 2
            text(s, f["small"], f"{k}  |dW| {st['grad_norm']:.3g}", (x, y), color)
            text(s, f["small"], f"    ratio {st['update_ratio']:.1e}{dead}", (x, y + line), color)
            y += 2 * line + 6

    def _strip(self, rect):
        """The fixed test digits with the current prediction of each: green right, red wrong."""
        s, f = self.screen, self.fonts
        pred = fnn.predict(self.rec["params"], self.X_show, self.layers)
        right = int(np.sum(pred == self.y_show))
        area = panel(s, rect, f"fixed test digits: {right} of {pred.size} right now", f)
        area.h = 60
        if self.digits is None:                  # the digits never change: draw them once
            tiles = pygame.Surface(area.size)
            tiles.fill(BG)
            rects = tile_grid(tiles, tiles.get_rect(), list(self.X_show.T.reshape(-1, 28, 28)),
                              cols=pred.size, gap=18, largest=56)
            self.digits = tiles, [r.move(area.topleft) for r in rects]
        s.blit(self.digits[0], area)
        rects = self.digits[1]
        for r, p_, t_ in zip(rects, pred, self.y_show):
            pygame.draw.rect(s, RIGHT if p_ == t_ else WRONG, r.inflate(4, 4), 2)
            text(s, f["text"], str(p_), (r.centerx, r.bottom + 4), RIGHT if p_ == t_ else WRONG, "midtop")

    # -- after training --
    def results(self, C, X, y, probs, title):
        """The end screen in this window until it is closed: the final curves (this view with
        the test accuracy in its status line), Tab to the confusion matrix and back (Results)."""
        acc = float(np.trace(C) / max(C.sum(), 1))
        self.finished = (f"done: test accuracy {percent(acc)} on {count(int(C.sum()), 'test image')}"
                         f"    elapsed {clock(time.perf_counter() - self.start - self.paused_for)}")
        self.last_results = Results(self.screen, self.fonts)
        self.last_results.run(C, X, y, probs, title, curves=self.draw)


class Results:
    """The confusion matrix and gallery in a window until it is closed (or Esc); a click on a
    cell shows its images, most confident first; a click elsewhere, all mistakes. With a
    training run's curves (run(curves=...)) those come first and Tab switches between the two.
    view, selected, cells and shown describe the frame on screen ("curves" or "matrix", the
    cell, the cells' Rects, the gallery's image indices). The loop sleeps until an event, at
    most WAKE s, so Ctrl-C and SIGTERM end it at once."""

    def __init__(self, screen=None, fonts=None, size=(1280, 760)):
        if screen is None:
            pygame.display.init()
            screen = pygame.display.set_mode(size)
            pygame.display.set_caption("fnn: confusion matrix and mistakes")
        self.screen, self.fonts = screen, fonts or make_fonts()
        self.selected, self.cells, self.shown, self.view = None, {}, None, "matrix"

    def run(self, C, X, y, probs, title, curves=None):
        """Until Esc or the window is closed; curves(): draws the training view (Tab)."""
        self.view = "curves" if curves else "matrix"
        show = lambda: curves() if self.view == "curves" else self._show(C, X, y, probs, title,
                                                                        curves is not None)
        show()
        try:
            while True:
                for e in wait_events(WAKE, LOOK):
                    if e.type == pygame.QUIT or (e.type == pygame.KEYDOWN and e.key == pygame.K_ESCAPE):
                        return
                    if e.type == pygame.KEYDOWN and e.key == pygame.K_TAB and curves:
                        self.view = "matrix" if self.view == "curves" else "curves"
                    elif e.type == pygame.MOUSEBUTTONDOWN and e.button == 1 and self.view == "matrix":
                        self.selected = next((ij for ij, r in self.cells.items()
                                              if r.collidepoint(e.pos)), None)
                    else:
                        continue
                    show()
        finally:
            pygame.display.quit()

    def _show(self, C, X, y, probs, title, tab=False):
        keys = "Tab: the training curves    Esc: quit" if tab else "Esc: quit"
        self.cells, self.shown = errors_view(self.screen, C, X, y, probs, self.fonts, title,
                                             self.selected, keys)
        pygame.display.flip()
