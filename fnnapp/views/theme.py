"""Colours, fonts and text shared by the pad and the charts."""
import pygame

# the pad's dark look
BG = (22, 24, 30)
FG = (232, 234, 240)
MUTED = (140, 146, 160)
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

SIZES = {"small": 18, "text": 22, "big": 34, "huge": 120}     # pixel heights of pygame's font


def make_fonts(sizes=SIZES):
    """{name: pygame Font} for pygame's bundled font; make them once, pass them to every frame."""
    pygame.font.init()
    return {name: pygame.font.Font(None, n) for name, n in sizes.items()}


def fit_font(s, width, sizes=(28, 24, 20, 17, 15)):
    """The largest font of `sizes` in which the text s is at most `width` px wide (else the last)."""
    pygame.font.init()
    fonts = [pygame.font.Font(None, n) for n in sizes]
    return next((f for f in fonts if f.size(s)[0] <= width), fonts[-1])


def text(surface, font, s, pos, color=FG, anchor="topleft", angle=0):
    """Draw s with its `anchor` point ("topleft", "center", "midright", ...) at pos, rotated
    by `angle` degrees counter-clockwise. Returns the Rect it covers."""
    img = font.render(s, True, color)
    if angle:
        img = pygame.transform.rotate(img, angle)
    rect = img.get_rect(**{anchor: (round(pos[0]), round(pos[1]))})
    surface.blit(img, rect)
    return rect
