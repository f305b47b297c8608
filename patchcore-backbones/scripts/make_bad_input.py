#!/usr/bin/env python3
"""Write the bad-input test corpus of patchcore-backbones (``src/test/resources/bad-input/``).

Each file is one awkward or broken input (see the README written next to them). For every file
that decodes, ``expected/<file>.rgb.png`` holds what PIL's ``Image.open(f).convert("RGB")`` gives,
as an 8-bit RGB PNG, so the Java side can check its own RGB conversion pixel for pixel.

Needs Pillow only (the corpus committed was made with Debian 12's python3-pil 9.4.0). The source
pixels are crops of the scikit-image samples in ``src/test/resources/images/`` plus synthetic
ramps, so the output is the same on every run with the same Pillow.

Usage (from the repository root):
  /usr/bin/python3 patchcore-backbones/scripts/make_bad_input.py
"""
import io
import os
import struct
import sys
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "..", "src", "test", "resources")
IMAGES = os.path.join(RESOURCES, "images")
OUT = os.path.join(RESOURCES, "bad-input")
EXPECTED = os.path.join(OUT, "expected")
SIDE = 32


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, depth, colour_type, rows, extra=b""):
    """A PNG with filter 0 on every row; rows are the raw bytes of each scan line."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def encoded(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def crop(name, left, top, side=SIDE):
    return Image.open(os.path.join(IMAGES, name)).crop((left, top, left + side, top + side))


def grey16():
    # a ramp 0..2046: below 256 PIL keeps the value, above it clips to 255
    rows = [b"".join(struct.pack(">H", (y * SIDE + x) * 2) for x in range(SIDE)) for y in range(SIDE)]
    return png(SIDE, SIDE, 16, 0, rows)


def rgb16():
    # high byte from the picture, low byte a pattern: PIL keeps the high byte
    rgb = crop("ihc.png", 200, 200)
    rows = []
    for y in range(SIDE):
        row = b""
        for x in range(SIDE):
            for c, v in enumerate(rgb.getpixel((x, y))):
                row += struct.pack(">H", v * 256 + (x * 37 + y * 11 + c * 101) % 256)
        rows.append(row)
    return png(SIDE, SIDE, 16, 2, rows)


def grey_alpha16():
    grey = crop("brick.png", 100, 100)
    rows = []
    for y in range(SIDE):
        row = b""
        for x in range(SIDE):
            row += struct.pack(">HH", grey.getpixel((x, y)) * 256 + (x * 29 + y) % 256, (x * 8 * 257) % 65536)
        rows.append(row)
    return png(SIDE, SIDE, 16, 4, rows)


def grey4():
    rows = []
    for y in range(SIDE):
        values = [(x + y) % 16 for x in range(SIDE)]
        rows.append(bytes((values[i] << 4) | values[i + 1] for i in range(0, SIDE, 2)))
    return png(SIDE, SIDE, 4, 0, rows)


def rgba():
    image = crop("chelsea.png", 200, 100).convert("RGBA")
    alpha = Image.new("L", image.size)
    alpha.putdata([(x * 8) % 256 for y in range(SIDE) for x in range(SIDE)])  # column 0 fully transparent
    image.putalpha(alpha)
    return encoded(image, "PNG")


def palette():
    image = crop("chelsea.png", 100, 100).quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    return encoded(image, "PNG", transparency=0)


def bomb():
    # a valid 1x1 PNG whose header then declares 30000 x 30000 (the IHDR checksum is fixed up)
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
            + chunk(b"IEND", b""))


def cases():
    rgb = crop("ihc.png", 64, 64, 48)
    full_png = encoded(rgb, "PNG")
    full_jpeg = encoded(rgb, "JPEG", quality=90)
    return {
        "empty.png": b"",
        "truncated.png": full_png[: len(full_png) // 2],
        "truncated.jpg": full_jpeg[: len(full_jpeg) // 2],
        "png-named.jpg": encoded(crop("ihc.png", 300, 300), "PNG"),
        "text.png": b"This is a text file with an image file name.\n",
        "grey16.png": grey16(),
        "rgb16.png": rgb16(),
        "grey-alpha16.png": grey_alpha16(),
        "grey8.png": encoded(crop("brick.png", 10, 10), "PNG"),
        "grey4.png": grey4(),
        "rgba.png": rgba(),
        "palette.png": palette(),
        "cmyk.jpg": encoded(crop("ihc.png", 400, 20).convert("CMYK"), "JPEG", quality=95),
        "one-pixel.png": encoded(Image.new("RGB", (1, 1), (120, 60, 30)), "PNG"),
        "bomb-30000x30000.png": bomb(),
    }


def main():
    os.makedirs(EXPECTED, exist_ok=True)
    for name, data in cases().items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        try:
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > 1_000_000:
                raise ValueError("not decoded: declares %dx%d" % image.size)
            converted = image.convert("RGB")
        except Exception as e:  # noqa: BLE001 - the broken cases are meant to fail
            print("%-22s %6d bytes  PIL: %s" % (name, len(data), e))
            continue
        converted.save(os.path.join(EXPECTED, name + ".rgb.png"))
        print("%-22s %6d bytes  PIL mode %s %dx%d" % (name, len(data), image.mode, image.width, image.height))


if __name__ == "__main__":
    sys.exit(main())
