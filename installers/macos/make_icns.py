#!/usr/bin/env python3
"""Writes an Apple icon file (.icns) from PNG files, with Python's standard library only:

    python3 installers/macos/make_icns.py OUT.icns SIZE=FILE.png [SIZE=FILE.png ...]

Each PNG goes in as is, under the icon types macOS reads PNG data from (10.7 and later):
a PNG of N px fills every type of N px (for instance 32 px: "icp5", 16 pt, and "ic11",
16 pt @2x). The file is what `iconutil -c icns` makes of an .iconset: on a Mac,
installers/macos/build.sh uses iconutil, and this where there is none. `--list FILE.icns`
prints the entries of a file (type, bytes, the PNG's width x height), and checks them.
"""

import struct
import sys

# Icon type -> pixel size of its PNG. Points @1x and @2x of the iconset names.
TYPES = [
    ("icp4", 16),   # 16 pt
    ("ic11", 32),   # 16 pt @2x
    ("icp5", 32),   # 32 pt
    ("ic12", 64),   # 32 pt @2x
    ("ic07", 128),  # 128 pt
    ("ic13", 256),  # 128 pt @2x
    ("ic08", 256),  # 256 pt
    ("ic14", 512),  # 256 pt @2x
    ("ic09", 512),  # 512 pt
    ("ic10", 1024), # 512 pt @2x
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    """(width, height) of PNG data, or an error."""
    if data[:8] != PNG_MAGIC or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", data[16:24])


def write(out, pngs):
    entries = []
    for kind, size in TYPES:
        if size not in pngs:
            continue
        data = pngs[size]
        entries.append(kind.encode("ascii") + struct.pack(">I", 8 + len(data)) + data)
    body = b"".join(entries)
    with open(out, "wb") as f:
        f.write(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def read(path):
    """The entries of an .icns file: [(type, data)]; raises on a malformed file."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:4] != b"icns":
        raise ValueError("%s: no icns magic" % path)
    (total,) = struct.unpack(">I", blob[4:8])
    if total != len(blob):
        raise ValueError("%s: header says %d bytes, the file has %d" % (path, total, len(blob)))
    entries, at = [], 8
    while at < total:
        if at + 8 > total:
            raise ValueError("%s: truncated entry header at %d" % (path, at))
        kind = blob[at:at + 4].decode("ascii", "replace")
        (length,) = struct.unpack(">I", blob[at + 4:at + 8])
        if length < 8 or at + length > total:
            raise ValueError("%s: entry %s at %d has a bad length %d" % (path, kind, at, length))
        entries.append((kind, blob[at + 8:at + length]))
        at += length
    return entries


def check(path):
    """Each PNG entry decodes and has its type's size. Returns the lines of --list."""
    sizes = dict(TYPES)
    lines = []
    for kind, data in read(path):
        if kind not in sizes:
            lines.append("%s %d bytes" % (kind, len(data)))
            continue
        w, h = png_size(data)
        if (w, h) != (sizes[kind], sizes[kind]):
            raise ValueError("%s: %s holds a %dx%d PNG, %d px expected" % (path, kind, w, h, sizes[kind]))
        lines.append("%s %d bytes %dx%d" % (kind, len(data), w, h))
    return lines


def main(argv):
    if len(argv) == 3 and argv[1] == "--list":
        print("\n".join(check(argv[2])))
        return 0
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    pngs = {}
    for arg in argv[2:]:
        size, _, path = arg.partition("=")
        with open(path, "rb") as f:
            data = f.read()
        w, h = png_size(data)
        if (w, h) != (int(size), int(size)):
            print("make_icns.py: %s is %dx%d, not %s px" % (path, w, h, size), file=sys.stderr)
            return 1
        pngs[int(size)] = data
    write(argv[1], pngs)
    check(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
