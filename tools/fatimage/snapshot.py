"""What `flowimg.py snapshots` shows of a JIT snapshot (/JIT/NAME.SNP).

The byte layout is docs/snapshot-format.md's (version 1; the kernel's
structs are kernel/jit/snapshot_format.h). This module describes a file for a
person and decides nothing: the kernel alone judges whether a snapshot may be
loaded (it also checks the JIT version, the CPU and the code, which a host
cannot). The header is read through HEADER_FIELDS, a table of (name, offset,
struct format, how to show it): a new field, or a new format version, is a
line in that table.
"""
import struct
import zlib

MAGIC = b"SNAP"
FORMAT_VERSION = 1
HEADER_SIZE = 96
CRC_OFFSET = 12
FUNCTION_RECORD = struct.Struct("<IIBBHI")       # calls, loop_iterations, tier, has_code, compiles, reserved
assert FUNCTION_RECORD.size == 16
CODE_ENTRY = struct.Struct("<IB3xII")            # function index, tier, code_size, relocation_count
assert CODE_ENTRY.size == 16

# cpu_features bits (docs/snapshot-format.md, "CPU feature bits").
CPU_FEATURES = {0: "SSE3", 1: "SSSE3", 2: "SSE4.1", 3: "SSE4.2", 4: "POPCNT", 5: "AVX", 6: "AVX2",
                7: "FMA", 8: "BMI1", 9: "BMI2", 16: "AVX-state"}


def _hex(width):
    return lambda v: f"{v:#0{width + 2}x}"


def _features(value):
    names = [name for bit, name in sorted(CPU_FEATURES.items()) if value >> bit & 1]
    unknown = value & ~sum(1 << bit for bit in CPU_FEATURES)
    if unknown:
        names.append(f"unknown bits {unknown:#x}")
    return f"{value:#x} ({' '.join(names) or 'SSE2 only'})"


def _text(value):
    return value.rstrip(b"\0").decode("ascii", "replace")


def _plain(value):
    return str(value)


# (field, offset, struct format, render); the key is module_hash, jit_version,
# cpu_features and format_version.
HEADER_FIELDS = [
    ("magic", 0, "4s", lambda v: v.decode("ascii", "replace")),
    ("format_version", 4, "H", _plain),
    ("header_size", 6, "H", _plain),
    ("file_size", 8, "I", _plain),
    ("crc32", 12, "I", _hex(8)),
    ("module_name", 40, "20s", _text),
    ("module_hash", 16, "Q", _hex(16)),
    ("jit_version", 24, "Q", _hex(16)),
    ("cpu_features", 32, "I", _features),
    ("boot_count", 36, "I", _plain),
    ("function_count", 60, "I", _plain),
    ("code_count", 64, "I", _plain),
    ("buffer_count", 68, "I", _plain),
]
_FIELD = {name: (offset, fmt) for name, offset, fmt, _ in HEADER_FIELDS}


def field(data, name):
    """A header field's value, or None if the file is too short for it."""
    offset, fmt = _FIELD[name]
    if offset + struct.calcsize("<" + fmt) > len(data):
        return None
    return struct.unpack_from("<" + fmt, data, offset)[0]


def is_snapshot(data):
    return data[:4] == MAGIC


def _integrity(data):
    """Lines on the size and the CRC-32, as the kernel's first two checks see them."""
    out = []
    size = field(data, "file_size")
    if size is not None and size != len(data):
        out.append(("size", f"the header says {size} bytes, the file has {len(data)} "
                            f"({'truncated' if size > len(data) else 'bytes after the end'})"))
    stored = field(data, "crc32")
    if stored is not None:
        zeroed = data[:CRC_OFFSET] + b"\0\0\0\0" + data[CRC_OFFSET + 4:]
        actual = zlib.crc32(zeroed) & 0xFFFFFFFF
        out.append(("checksum", "CRC-32 matches the contents" if actual == stored else
                    f"CRC-32 mismatch: the header says {stored:#010x}, the bytes give {actual:#010x} (corrupt)"))
    return out


def _contents(data):
    """Tiers of the function records and the size of the code entries, read
    only as far as the file goes."""
    functions, codes = field(data, "function_count"), field(data, "code_count")
    profiles, code_at = (struct.unpack_from("<II", data, 76) if len(data) >= 84 else (None, None))
    if functions is None or profiles is None:
        return []
    tiers = {}
    for i in range(min(functions, 1 << 16)):
        at = profiles + i * FUNCTION_RECORD.size
        if at + FUNCTION_RECORD.size > len(data):
            return [("functions", f"{functions}, but the records run past the end of the file")]
        tier = FUNCTION_RECORD.unpack_from(data, at)[2]
        tiers[tier] = tiers.get(tier, 0) + 1
    code_bytes, at = 0, code_at
    for i in range(min(codes or 0, 1 << 16)):
        if at + CODE_ENTRY.size > len(data):
            return [("functions", _tier_text(functions, tiers)),
                    ("code", f"{codes} entries, but entry {i} runs past the end of the file")]
        _, _, size, relocations = CODE_ENTRY.unpack_from(data, at)
        code_bytes += size
        at += CODE_ENTRY.size + 8 * relocations + size
        at += -at % 4
    return [("functions", _tier_text(functions, tiers)),
            ("code", f"{codes} entries, {code_bytes} bytes of machine code")]


def _tier_text(functions, tiers):
    parts = ", ".join(f"{n} at tier {t}" for t, n in sorted(tiers.items(), reverse=True))
    return f"{functions}" + (f" ({parts})" if parts else "")


def describe(data):
    """[(field, text)] for the snapshot bytes `data`; a file without the
    magic, or too short for a field, says so rather than guessing."""
    if not is_snapshot(data):
        shown = data[:4].hex() or "empty"
        return [("magic", f"not a snapshot (starts with {shown}, expected 'SNAP')")]
    out = []
    for name, offset, fmt, render in HEADER_FIELDS:
        value = field(data, name)
        out.append((name, f"missing (the file ends at byte {len(data)})" if value is None else render(value)))
    version = field(data, "format_version")
    if version is not None and version != FORMAT_VERSION:
        out.append(("format", f"version {version}; this tool reads version {FORMAT_VERSION}, fields above "
                              "may be misread"))
        return out + _integrity(data)
    return out + _integrity(data) + _contents(data)
