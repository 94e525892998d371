#!/usr/bin/env python
"""The README's screenshots of train.py --watch, rendered by the app itself, mid-run.

    python benchmarks/lab_screens.py            # docs/lab_mlp.png and docs/lab_cnn.png

Each is a real run on full MNIST (the default recipe, fewer epochs so the picture is taken
part-way: MLP 4 epochs, frame at iteration 1,300; CNN 2 epochs, frame at iteration 600), the
window on SDL's dummy driver; the frame the window shows when fit yields that iteration is
saved as it is. The third picture, docs/errors.png, comes from
    python train.py --evaluate data/mnist_mlp.npz --errors-png docs/errors.png
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = {"mlp": (["--epochs", "4"], 1300), "cnn": (["--arch", "cnn", "--epochs", "2"], 600)}


def main():
    os.environ.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")                # as python train.py sets it
    sys.path.insert(0, ROOT)
    import pygame
    import train
    from fnnapp.views import lab
    see = lab.Watch.see
    os.makedirs(os.path.join(ROOT, "runs"), exist_ok=True)
    for name, (options, at) in SHOTS.items():
        path = os.path.join(ROOT, "docs", f"lab_{name}.png")

        def shoot(self, rec, path=path, at=at):
            reply = see(self, rec)
            if rec["kind"] == "step" and rec["iteration"] == at:
                self.draw()                              # this iteration's frame, drawn now
                pygame.image.save(self.screen, path)
                print(f"saved {path}", flush=True)
                raise KeyboardInterrupt                  # stops the run (as Esc would)
            return reply
        lab.Watch.see = shoot
        train.main(options + ["--log-every", "0", "--watch",
                              "--out", os.path.join(ROOT, "runs", f"lab_{name}.npz")])


if __name__ == "__main__":
    main()
