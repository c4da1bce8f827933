#!/usr/bin/env python3
"""Writes installers/windows/credtray.ico from the committed PNGs: the idle key at 16, 24,
32, 48 and 64 px and the 256 px app icon, each stored as PNG (Windows Vista and later read
PNG icon entries). Only the standard library; the .ico is committed, so builds never need
this script. Run it again after icons/render.sh."""

import struct
from pathlib import Path

icons = Path(__file__).resolve().parents[2] / "icons"
sources = [icons / f"credtray-idle-{n}.png" for n in (16, 24, 32, 48, 64)]
sources.append(icons / "credtray.png")

images = []
for path in sources:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    images.append((width, height, data))

header = struct.pack("<HHH", 0, 1, len(images))
offset = 6 + 16 * len(images)
entries, blobs = b"", b""
for width, height, data in images:
    # width/height 0 mean 256; 32 bits per pixel; no palette.
    entries += struct.pack(
        "<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(data), offset
    )
    blobs += data
    offset += len(data)

out = Path(__file__).resolve().parent / "credtray.ico"
out.write_bytes(header + entries + blobs)
print(f"make-ico: wrote {out} ({len(images)} sizes)")
