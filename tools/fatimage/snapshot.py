"""What `flowimg.py snapshots` shows of a JIT snapshot (/JIT/NAME.SNP).

The byte layout is docs/snapshot-format.md's; the kernel writes it in
kernel/snapshot/snapshot_save.cpp from the structs of kernel/snapshot/snapshot_format.h.
This module reads versions 1 to 3 (the header is the same in all three; the
function records, code entries and relocations differ, see LAYOUTS). It
describes a file for a person and decides nothing: the kernel alone judges
whether a snapshot may be loaded (it also checks the JIT version, the CPU and
the code, which a host cannot). The header is read through HEADER_FIELDS, a
table of (name, offset, struct format, how to show it): a new field is a line
in that table, a new format version a line in LAYOUTS.
"""
import struct
import zlib

MAGIC = b"SNAP"
FORMAT_VERSION = 3          # what the kernel writes now
HEADER_SIZE = 96
CRC_OFFSET = 12

# Version 3's FunctionRecord (104 bytes): calls, loop_iterations, tier,
# code_entries, compiles, flags, spec_mask, reserved, spec_values[4],
# guard_failures, specialisations, respecialisations, spec_backoffs,
# reserved2, then arguments[4] as (value, hits, misses).
FUNCTION_RECORD_V3 = struct.Struct("<IIBBHBBH4iQIIII" + "iII" * 4)
assert FUNCTION_RECORD_V3.size == 104
FUNCTION_RECORD_V1 = struct.Struct("<IIBBHI")      # calls, loop_iterations, tier, has_code, compiles, reserved
assert FUNCTION_RECORD_V1.size == 16
# Code entries: function, tier, isa, kind (version 3; reserved before), code_size, relocation_count.
CODE_ENTRY_V3 = struct.Struct("<IBBBxII")
CODE_ENTRY_V2 = struct.Struct("<IBB2xII")
CODE_ENTRY_V1 = struct.Struct("<IB3xII")
assert CODE_ENTRY_V3.size == CODE_ENTRY_V2.size == CODE_ENTRY_V1.size == 16

FLAG_SPECIALISED = 1
FLAG_SPEC_GIVEN_UP = 2
KINDS = {0: "", 1: "generic", 2: "specialised"}
ISAS = {0: "sse2", 1: "sse2", 2: "avx2"}


def _record_v3(data, at):
    v = FUNCTION_RECORD_V3.unpack_from(data, at)
    return {"calls": v[0], "tier": v[2], "code_entries": v[3], "flags": v[5], "spec_mask": v[6],
            "spec_values": v[8:12], "guard_failures": v[12], "specialisations": v[13],
            "respecialisations": v[14], "spec_backoffs": v[15],
            "arguments": [v[17 + 3 * a:20 + 3 * a] for a in range(4)]}


def _record_v1(data, at):
    v = FUNCTION_RECORD_V1.unpack_from(data, at)
    return {"calls": v[0], "tier": v[2], "code_entries": v[3], "flags": 0, "spec_mask": 0}


def _entry_v3(data, at):
    function, tier, isa, kind, size, relocations = CODE_ENTRY_V3.unpack_from(data, at)
    return function, tier, isa, kind, size, relocations


def _entry_v2(data, at):
    function, tier, isa, size, relocations = CODE_ENTRY_V2.unpack_from(data, at)
    return function, tier, isa, 0, size, relocations


def _entry_v1(data, at):
    function, tier, size, relocations = CODE_ENTRY_V1.unpack_from(data, at)
    return function, tier, 0, 0, size, relocations


# version: (record size, read a record, read a code entry, relocation size)
LAYOUTS = {
    1: (FUNCTION_RECORD_V1.size, _record_v1, _entry_v1, 8),
    2: (FUNCTION_RECORD_V1.size, _record_v1, _entry_v2, 12),
    3: (FUNCTION_RECORD_V3.size, _record_v3, _entry_v3, 12),
}

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


def format_specialisation(mask, values):
    """"arg0=25" or "arg0=3,arg2=64", as the kernel's `tiers` shows it."""
    return ",".join(f"arg{p}={values[p]}" for p in range(4) if mask >> p & 1) or "-"


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


def _entry_text(entry, records, names):
    function, tier, isa, kind, size, relocations = entry
    name = names[function] if names and function < len(names) else f"function {function}"
    parts = [f"{name}: tier {tier} {ISAS.get(isa, f'isa {isa}')}"]
    if KINDS.get(kind):
        parts[0] += f" {KINDS[kind]}"
    elif kind not in KINDS:
        parts[0] += f" (unknown kind {kind})"
    parts.append(f"{size} bytes, {relocations} relocation{'' if relocations == 1 else 's'}")
    record = records.get(function)
    if kind == 2 and record is not None:
        parts.append(f"spec {format_specialisation(record['spec_mask'], record['spec_values'])}, "
                     f"guard failures {record['guard_failures']}, {record['specialisations']} compiled, "
                     f"{record['respecialisations']} re-specialised, back-offs {record['spec_backoffs']}")
    return ", ".join(parts)


def _contents(data, version, names):
    """The function records (tiers) and each code entry, read only as far
    as the file goes."""
    record_size, read_record, read_entry, relocation_size = LAYOUTS[version]
    functions, codes = field(data, "function_count"), field(data, "code_count")
    profiles, code_at = (struct.unpack_from("<II", data, 76) if len(data) >= 84 else (None, None))
    if functions is None or profiles is None:
        return []
    tiers, records = {}, {}
    for i in range(min(functions, 1 << 16)):
        at = profiles + i * record_size
        if at + record_size > len(data):
            return [("functions", f"{functions}, but the records run past the end of the file")]
        record = read_record(data, at)
        records[i] = record
        tiers[record["tier"]] = tiers.get(record["tier"], 0) + 1
    out = [("functions", _tier_text(functions, tiers))]
    given_up = [i for i, r in records.items() if r["flags"] & FLAG_SPEC_GIVEN_UP]
    if given_up:
        out.append(("spec given up", ", ".join(names[i] if names and i < len(names) else f"function {i}"
                                                for i in given_up)))
    code_bytes, at, lines = 0, code_at, []
    for i in range(min(codes or 0, 1 << 16)):
        if at + 16 > len(data):
            return out + [("code", f"{codes} entries, but entry {i} runs past the end of the file")] + lines
        entry = read_entry(data, at)
        code_bytes += entry[4]
        lines.append(("entry", _entry_text(entry, records, names)))
        at += 16 + relocation_size * entry[5] + entry[4]
        at += -at % 4
    return out + [("code", f"{codes} entries, {code_bytes} bytes of machine code")] + lines


def _tier_text(functions, tiers):
    parts = ", ".join(f"{n} at tier {t}" for t, n in sorted(tiers.items(), reverse=True))
    return f"{functions}" + (f" ({parts})" if parts else "")


def describe(data, names=None):
    """[(field, text)] for the snapshot bytes `data`; a file without the
    magic, or too short for a field, says so rather than guessing. `names`,
    the module's function names in order, labels the code entries."""
    if not is_snapshot(data):
        shown = data[:4].hex() or "empty"
        return [("magic", f"not a snapshot (starts with {shown}, expected 'SNAP')")]
    out = []
    for name, offset, fmt, render in HEADER_FIELDS:
        value = field(data, name)
        out.append((name, f"missing (the file ends at byte {len(data)})" if value is None else render(value)))
    version = field(data, "format_version")
    if version is not None and version not in LAYOUTS:
        out.append(("format", f"version {version}; this tool reads versions {min(LAYOUTS)} to {max(LAYOUTS)}, "
                              "fields above may be misread"))
        return out + _integrity(data)
    if version is not None and version != FORMAT_VERSION:
        out.append(("format", f"version {version}: the kernel reads version {FORMAT_VERSION} only, so it ignores "
                              "this file and rewrites it at the next save"))
    return out + _integrity(data) + (_contents(data, version, names) if version is not None else [])
