"""PNG container housekeeping before signing.

The C2PA SDK walks a PNG chunk by chunk through Python stream callbacks (two small reads and a seek per
chunk). Encoders write the image data as thousands of small IDAT chunks (libpng: 8 KiB each), so a 4K frame
costs ~18,000 callbacks to verify: slower than hashing the whole file. Merging the IDAT chunks into one is
lossless (the zlib stream is the same bytes, the pixels identical) and makes signing and every later
verification of the platform's PNG outputs walk a handful of chunks instead.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNK = 2**31 - 1  # the PNG spec's limit on one chunk's length
COPY_BLOCK = 4 * 1024 * 1024
Chunk = tuple[int, bytes, int]  # (offset of the data, type, length)


class PNGError(ValueError):
    pass


def _chunks(fh: BinaryIO) -> list[Chunk]:
    """Every chunk, reading only the 8-byte headers."""
    fh.seek(0)
    if fh.read(8) != SIGNATURE:
        raise PNGError("not a PNG file (bad signature)")
    chunks, pos = [], 8
    while True:
        header = fh.read(8)
        if len(header) < 8:
            raise PNGError("truncated PNG: the file ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", header)
        chunks.append((pos + 8, kind, length))
        pos += 12 + length
        fh.seek(pos)
        if kind == b"IEND":
            return chunks


def png_merge_idat(src: Path, dst: Path) -> bool:
    """Write `src` to `dst` with its IDAT chunks merged into as few as the spec allows. Streams: memory stays at
    one copy block whatever the image size. Returns False (and writes nothing) when there is nothing to merge."""
    with open(src, "rb") as fh:
        chunks = _chunks(fh)
        idat = [c for c in chunks if c[1] == b"IDAT"]
        if len(idat) <= 1 or sum(c[2] for c in idat) > MAX_CHUNK:
            return False
        first = chunks.index(idat[0])
        if chunks[first:first + len(idat)] != idat:
            raise PNGError("IDAT chunks are not consecutive (a malformed PNG)")
        total = sum(c[2] for c in idat)
        try:
            _write_merged(fh, dst, chunks, idat, total)
        except BaseException:
            dst.unlink(missing_ok=True)  # never leave half a file behind
            raise
    return True


def _write_merged(fh: BinaryIO, dst: Path, chunks: list[Chunk], idat: list[Chunk], total: int) -> None:
    """Copy every chunk; the first IDAT carries all the image data, the others are dropped."""
    with open(dst, "xb") as out:
        out.write(SIGNATURE)
        for offset, kind, length in chunks:
            if kind != b"IDAT":
                fh.seek(offset - 8)
                out.write(fh.read(12 + length))
            elif (offset, kind, length) == idat[0]:
                out.write(struct.pack(">I4s", total, b"IDAT"))
                crc = zlib.crc32(b"IDAT")
                for part_offset, _, part_len in idat:
                    fh.seek(part_offset)
                    left = part_len
                    while left:
                        block = fh.read(min(COPY_BLOCK, left))
                        if not block:
                            raise PNGError("truncated PNG inside its image data")
                        crc = zlib.crc32(block, crc)
                        out.write(block)
                        left -= len(block)
                out.write(struct.pack(">I", crc & 0xFFFFFFFF))
