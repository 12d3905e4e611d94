"""Counts colours in a PNG screenshot, for tests/analyze_render.rs.

Usage: png_colours.py FILE.png HEX,HEX,... Y,Y,...
Prints one JSON object: the image size, how many pixels have each colour,
and for each Y whether that pixel row holds any of the colours. Reads
8-bit RGB or RGBA, non-interlaced (what Chromium writes) with zlib only.
"""
import json
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, "only 8-bit non-interlaced"
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1 : at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main():
    path, hexes, ys = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    wanted = {bytes.fromhex(h.lstrip("#")): h for h in hexes}
    width, height, channels, rows = decode(path)
    counts = {h: 0 for h in hexes}
    hit_rows = set()
    for y, row in enumerate(rows):
        for x in range(0, len(row), channels):
            name = wanted.get(row[x : x + 3])
            if name:
                counts[name] += 1
                hit_rows.add(y)
    rows_with_colour = [int(y) in hit_rows for y in ys.split(",") if y]
    print(json.dumps({"width": width, "height": height, "counts": counts, "rows": rows_with_colour}))


main()
