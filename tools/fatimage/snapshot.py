"""What `flowimg.py snapshots` shows of a JIT snapshot (/JIT/NAME.SNP).

The byte layout is docs/snapshot-format.md's. This module only describes a
file for a person; it decides nothing (the kernel alone judges whether a
snapshot may be loaded). The header is read through HEADER_FIELDS, a table of
(name, offset, struct format, how to show it): extending the listing to a new
field, or to a new format version, is one line in that table.
"""
import struct
import zlib

MAGIC = b"SNAP"

# (field, offset, struct format, render). Offsets are from the start of the
# file, little-endian. Only the magic is fixed so far; the key fields (module
# content hash, JIT version, CPU feature set, format version), the boot count
# and the checksum are added here as docs/snapshot-format.md defines them.
HEADER_FIELDS = [
    ("magic", 0, "4s", lambda v: v.decode("ascii", "replace")),
]


def _hex(width):
    return lambda v: f"{v:#0{width + 2}x}"


def describe(data):
    """[(field, text)] for the snapshot bytes `data`; a file without the
    magic, or too short for a field, says so rather than guessing."""
    if data[:4] != MAGIC:
        shown = data[:4].hex() or "empty"
        return [("magic", f"not a snapshot (starts with {shown}, expected 'SNAP')")]
    out = []
    for name, offset, fmt, render in HEADER_FIELDS:
        size = struct.calcsize("<" + fmt)
        if offset + size > len(data):
            out.append((name, f"missing (the file ends at byte {len(data)})"))
            continue
        (value,) = struct.unpack_from("<" + fmt, data, offset)
        out.append((name, render(value)))
    out.append(("crc32(file)", _hex(8)(zlib.crc32(data) & 0xFFFFFFFF)))
    return out
