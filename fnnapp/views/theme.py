"""Colours, fonts and text shared by the pad and the charts.

Text is read at arm's length: every font is at least MIN_TEXT_PX tall, and every colour text
is drawn in has a WCAG contrast ratio of at least 4.5:1 on its background (contrast(); the
key hints, in MUTED, over 7:1; tests/test_ui.py computes them all)."""
import pygame

from fnn.io.files import shown

# the pad's dark look
BG = (22, 24, 30)
FG = (232, 234, 240)
MUTED = (178, 184, 198)          # secondary text: 8.9:1 on BG
GRID_LINE = (44, 47, 58)
ACCENT = (255, 176, 64)
BAR = (84, 132, 214)
BAR_BG = (40, 43, 54)

# chart palettes: background, ink (text, frame), grid lines, minor grid lines
DARK = {"bg": BG, "ink": FG, "grid": GRID_LINE, "minor": (32, 34, 42)}
LIGHT = {"bg": (255, 255, 255), "ink": (30, 30, 30), "grid": (225, 225, 225), "minor": (242, 242, 242)}

# series colours
BLUE, LIGHT_BLUE = (31, 90, 200), (180, 200, 240)
ORANGE, LIGHT_ORANGE = (220, 110, 20), (245, 205, 165)
GREEN = (20, 150, 60)

SIZES = {"small": 22, "text": 25, "big": 36, "huge": 120}     # sizes of pygame's font (~0.69 em)
MIN_TEXT_PX = 15                 # the smallest line height: pygame's font at size 22


def make_fonts(sizes=SIZES):
    """{name: pygame Font} for pygame's bundled font; make them once, pass them to every frame."""
    pygame.font.init()
    return {name: pygame.font.Font(None, n) for name, n in sizes.items()}


def fit_font(s, width, sizes=(30, 27, 24, 22)):
    """The largest font of `sizes` in which the text s is at most `width` px wide (else the last)."""
    pygame.font.init()
    fonts = [pygame.font.Font(None, n) for n in sizes]
    return next((f for f in fonts if f.size(shown(s))[0] <= width), fonts[-1])


def text(surface, font, s, pos, color=FG, anchor="topleft", angle=0):
    """Draw s with its `anchor` point ("topleft", "center", "midright", ...) at pos, rotated
    by `angle` degrees counter-clockwise. Returns the Rect it covers."""
    img = font.render(shown(s), True, color)          # a file name that is not UTF-8: \xff
    if angle:
        img = pygame.transform.rotate(img, angle)
    rect = img.get_rect(**{anchor: (round(pos[0]), round(pos[1]))})
    surface.blit(img, rect)
    return rect


def luminance(color):
    """WCAG relative luminance of an sRGB colour (r, g, b) in 0-255:
    L = 0.2126 R + 0.7152 G + 0.0722 B of the linearised channels."""
    c = [v / 255 for v in color[:3]]
    r, g, b = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05) of two colours, L1 the lighter: 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable_on(background, choices=((0, 0, 0), (255, 255, 255))):
    """The colour of `choices` that contrasts most with `background` (text on a coloured cell):
    black or white reaches 4.58:1 on any colour, no other pair does."""
    return max(choices, key=lambda c: contrast(c, background))
