"""Digit images: a drawing or photo made MNIST-like, augmentation, teaching your handwriting."""
