"""An image file's width and height, read from its header before anything is decoded.

A 1 MB PNG can declare 30000 x 30000 pixels, 3.6 GB once decoded, so draw.py asks here first
and decodes only images of at most MAX_PIXELS pixels (MAX_SIDE a side). The formats are those
pygame's SDL_image decodes that state their size in the header. The format is found the way
SDL_image finds it: TGA, which has no magic number, by the .tga name, every other one by its
first bytes, so the size read here is the size the decoder will allocate. Other formats are
refused: their size cannot be checked before decoding.
"""
import os
import struct

from fnn.io.files import image_format

MAX_SIDE = 16384                 # pixels a side
MAX_PIXELS = 4096 * 4096         # 64 MB as 32-bit pixels; a phone photo (12 Mpx) fits
FORMATS = "PNG, JPEG, GIF, BMP, TGA or PNM"
_HEAD = 64                       # bytes that hold the size in every fixed-layout header
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class ImageHeaderError(ValueError):
    """An image whose size is unknown, or too large to decode. str(error) is one line."""


def dimensions(path):
    """(format, width, height) of an image file, from its header alone.
    Raises ImageHeaderError (one line naming the file) for another format or a cut header."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(_HEAD)
        fmt = image_format(head, path)
        if fmt is None:
            what = "an empty file" if not head else "not an image draw.py can size before decoding"
            raise ImageHeaderError(f"{path}: {what} (it reads {FORMATS})")
        try:
            w, h = _READERS[fmt](head, f)
        except (struct.error, ValueError, IndexError) as e:
            raise ImageHeaderError(f"{path}: the {fmt} header is cut short or corrupt ({e})") from None
    return fmt, w, h


def check_size(path, max_side=MAX_SIDE, max_pixels=MAX_PIXELS):
    """dimensions(path), refused (ImageHeaderError) when the image would take more than
    max_pixels pixels, or more than max_side a side, once decoded."""
    fmt, w, h = dimensions(path)
    if w > max_side or h > max_side or w * h > max_pixels:
        raise ImageHeaderError(f"{os.fspath(path)}: a {w} x {h} {fmt} image is too large to decode "
                               f"(at most {max_pixels:,} pixels and {max_side} a side)")
    return fmt, w, h


def _png(head, f):
    """Signature (8 bytes), then the IHDR chunk: length, b"IHDR", width, height (big-endian)."""
    if head[12:16] != b"IHDR":
        raise ValueError("no IHDR chunk first")
    return struct.unpack(">II", head[16:24])


def _bmp(head, f):
    """BITMAPFILEHEADER (14 bytes), then the DIB header: its size, then width and height, 16-bit
    in the old 12-byte core header, else signed 32-bit (a negative height is top-down)."""
    (size,) = struct.unpack("<I", head[14:18])
    if size == 12:
        return struct.unpack("<HH", head[18:22])
    w, h = struct.unpack("<ii", head[18:26])
    return abs(w), abs(h)


def _tga(head, f):
    """An 18-byte header; width and height are 16-bit little-endian at bytes 12 and 14."""
    return struct.unpack("<HH", head[12:16])


def _gif(head, f):
    """The logical screen (bytes 6-9), then the first image descriptor, which SDL_image decodes
    at its own size: the larger of the two, a side at a time."""
    sw, sh, flags = struct.unpack("<HHB", head[6:11])
    f.seek(13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 13))   # skip the global colour table
    while True:
        block = f.read(1)
        if block == b"\x2c":                                          # image descriptor
            _, _, iw, ih = struct.unpack("<HHHH", f.read(8))
            return max(sw, iw), max(sh, ih)
        if block != b"\x21":                                          # only extensions come before
            raise ValueError("no image descriptor")
        f.read(1)                                                     # extension label
        while True:                                                   # its sub-blocks
            n = f.read(1)
            if not n:
                raise ValueError("cut inside an extension")
            if n == b"\x00":
                break
            f.seek(n[0], os.SEEK_CUR)


def _jpeg(head, f):
    """Markers from the start of the file until the first start-of-frame (SOFn), which holds
    precision (1 byte), height and width (big-endian 16-bit)."""
    f.seek(2)
    while True:
        b = f.read(1)
        if not b:
            raise ValueError("no frame header")
        if b != b"\xff":
            continue
        m = f.read(1)
        while m == b"\xff":                                           # fill bytes
            m = f.read(1)
        if not m:
            raise ValueError("no frame header")
        m = m[0]
        if m == 0x01 or 0xD0 <= m <= 0xD8:                            # markers without a length
            continue
        if m in (0xD9, 0xDA):
            raise ValueError("image data before the frame header")
        (length,) = struct.unpack(">H", f.read(2))
        if m in _JPEG_SOF:
            h, w = struct.unpack(">xHH", f.read(5))
            if h == 0:
                raise ValueError("the height is given after the image data (DNL)")
            return w, h
        if length < 2:
            raise ValueError(f"segment length {length}")
        f.seek(length - 2, os.SEEK_CUR)


def _pnm(head, f):
    """P1-P6, then width and height as decimal text, with # comments to the end of a line."""
    f.seek(2)
    text = f.read(1024)
    numbers, i = [], 0
    while len(numbers) < 2:
        while i < len(text) and text[i:i + 1].isspace():
            i += 1
        if text[i:i + 1] == b"#":
            i = text.index(b"\n", i)
            continue
        j = i
        while j < len(text) and text[j:j + 1].isdigit():
            j += 1
        if j == i:
            raise ValueError("no width and height")
        numbers.append(int(text[i:j]))
        i = j
    return tuple(numbers)


_READERS = {"PNG": _png, "BMP": _bmp, "TGA": _tga, "GIF": _gif, "JPEG": _jpeg, "PNM": _pnm}
