"""The .bfm writer and reader (docs/module-format.md, version 1).

Layout written by flowc, in file order:
  header (128) | function table | constant table | buffer table | file table |
  strings (NUL-padded to a multiple of 4) | bytecode | register types
Every area starts where the previous one ends, so the file has no gaps; the
tables and the bytecode start 4-aligned. Name, code and type offsets in the
function, constant, buffer and file tables are relative to the start of their area
(string area, bytecode area, register-type area).
"""
import struct
import zlib

from .spec import SPEC

MAGIC = b"BFM\x1a"
FORMAT_VERSION = 1
# Sizes from microjit/spec.def; the struct asserts below hold the layouts to them.
HEADER_SIZE = SPEC.bfm["header_size"]
FUNC_ENTRY = SPEC.bfm["function_entry_size"]
CONST_ENTRY = SPEC.bfm["constant_entry_size"]
BUF_ENTRY = SPEC.bfm["buffer_entry_size"]
FILE_ENTRY = SPEC.bfm["file_entry_size"]
NO_ENTRY = 0xFFFF
NO_PATH = 0xFFFFFFFF

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3

# Header fields after the 16-byte name, in order (offset 24 .. 100).
_HEADER = struct.Struct("<4sHH16sIIQHBB" + "I" * 14 + "28s")
assert _HEADER.size == HEADER_SIZE
_FUNC = struct.Struct("<IBBHIIII8s")
assert _FUNC.size == FUNC_ENTRY
_CONST = struct.Struct("<IB3si")
_CONST_F = struct.Struct("<IB3sf")
_BUF = struct.Struct("<IB3sI")
_FILE = struct.Struct("<II")
assert _CONST.size == CONST_ENTRY and _BUF.size == BUF_ENTRY and _FILE.size == FILE_ENTRY

CRC_OFFSET = 28


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


class ModuleImage:
    """What goes into a .bfm: plain data, independent of the compiler's tree."""

    def __init__(self, name, functions, consts, bufs, entry, opt_level=1, files=()):
        self.name = name                # str, 1-16 chars of A-Z 0-9 _ -
        self.functions = functions      # [FunctionImage]
        self.consts = consts            # [(name, type_code, value)]
        self.bufs = bufs                # [(name, type_code, count)]
        self.entry = entry              # function index or NO_ENTRY
        self.opt_level = opt_level
        self.files = list(files)        # [(name, default path or None)]


class FunctionImage:
    def __init__(self, name, param_types, return_type, reg_types, code):
        self.name = name
        self.param_types = list(param_types)
        self.return_type = return_type
        self.reg_types = list(reg_types)
        self.code = bytes(code)


def _align4(n):
    return (n + 3) & ~3


def write(image):
    strings = bytearray()
    string_at = {}

    def intern(s):
        if s not in string_at:
            string_at[s] = len(strings)
            strings.extend(s.encode("ascii") + b"\0")
        return string_at[s]

    for f in image.functions:
        intern(f.name)
    for c in image.consts:
        intern(c[0])
    for b in image.bufs:
        intern(b[0])
    for name, path in image.files:
        intern(name)
        if path is not None:
            intern(path)
    strings.extend(b"\0" * (_align4(len(strings)) - len(strings)))

    func_off = HEADER_SIZE
    const_off = func_off + FUNC_ENTRY * len(image.functions)
    buf_off = const_off + CONST_ENTRY * len(image.consts)
    file_off = buf_off + BUF_ENTRY * len(image.bufs)
    strings_off = file_off + FILE_ENTRY * len(image.files)
    code_off = strings_off + len(strings)

    code = bytearray()
    types = bytearray()
    func_table = bytearray()
    for f in image.functions:
        func_table += _FUNC.pack(string_at[f.name], len(f.param_types), f.return_type,
                                 len(f.reg_types), len(types), len(code), len(f.code),
                                 0, b"\0" * 8)
        code += f.code
        types += bytes(f.reg_types)
    types_off = code_off + len(code)
    file_size = types_off + len(types)

    const_table = bytearray()
    for name, type_code, value in image.consts:
        packer = _CONST if type_code == 1 else _CONST_F
        const_table += packer.pack(string_at[name], type_code, b"\0\0\0", value)
    buf_table = bytearray()
    for name, type_code, count in image.bufs:
        buf_table += _BUF.pack(string_at[name], type_code, b"\0\0\0", count)

    file_table = bytearray()
    for name, path in image.files:
        file_table += _FILE.pack(string_at[name], NO_PATH if path is None else string_at[path])

    body = bytes(func_table + const_table + buf_table + file_table + strings + code + types)
    assert HEADER_SIZE + len(body) == file_size
    content_hash = fnv1a64(body)

    def header(crc):
        return _HEADER.pack(
            MAGIC, FORMAT_VERSION, 0, image.name.encode("ascii").ljust(16, b"\0"),
            file_size, crc, content_hash, image.entry, image.opt_level, 0,
            len(image.functions), func_off if image.functions else 0,
            len(image.consts), const_off if image.consts else 0,
            len(image.bufs), buf_off if image.bufs else 0,
            code_off, len(code), strings_off, len(strings), types_off, len(types),
            len(image.files), file_off if image.files else 0,
            b"\0" * 28)

    crc = zlib.crc32(header(0) + body) & 0xFFFFFFFF
    return header(crc) + body


class BfmError(Exception):
    pass


def read(data):
    """Parses a .bfm written by write() back into a ModuleImage (for tools and tests).

    This checks the header, CRC and hash, but it is not the verifier: that is
    microjit's job."""
    if len(data) < HEADER_SIZE:
        raise BfmError("file shorter than the 128-byte header")
    h = _HEADER.unpack_from(data)
    (magic, version, flags, name, file_size, crc, content_hash, entry, opt_level, _r,
     func_count, func_off, const_count, const_off, buf_count, buf_off, code_off, code_size,
     strings_off, strings_size, types_off, types_size, file_count, file_off, _reserved) = h
    if magic != MAGIC:
        raise BfmError("bad magic")
    if version != FORMAT_VERSION:
        raise BfmError(f"unsupported format version {version}")
    if file_size != len(data):
        raise BfmError(f"file_size {file_size} differs from the length {len(data)}")
    zeroed = data[:CRC_OFFSET] + b"\0\0\0\0" + data[CRC_OFFSET + 4:]
    if zlib.crc32(zeroed) & 0xFFFFFFFF != crc:
        raise BfmError("CRC-32 mismatch")
    if fnv1a64(data[HEADER_SIZE:]) != content_hash:
        raise BfmError("content hash mismatch")
    # The CRC only proves the bytes are as written; offsets may still point
    # anywhere in a file someone crafted, and that is bad input, not a crash.
    try:
        strings = data[strings_off:strings_off + strings_size]
        code = data[code_off:code_off + code_size]
        types = data[types_off:types_off + types_size]

        def string(off):
            end = strings.index(b"\0", off)
            return strings[off:end].decode("ascii")

        functions = []
        for i in range(func_count):
            (name_off, param_count, ret, reg_count, t_off, c_off, c_size, fflags,
             _res) = _FUNC.unpack_from(data, func_off + i * FUNC_ENTRY)
            reg_types = list(types[t_off:t_off + reg_count])
            functions.append(FunctionImage(string(name_off), reg_types[:param_count], ret,
                                           reg_types, code[c_off:c_off + c_size]))
        consts = []
        for i in range(const_count):
            name_off, type_code, _z, _v = _CONST.unpack_from(data, const_off + i * CONST_ENTRY)
            packer = _CONST if type_code == 1 else _CONST_F
            value = packer.unpack_from(data, const_off + i * CONST_ENTRY)[3]
            consts.append((string(name_off), type_code, value))
        bufs = []
        for i in range(buf_count):
            name_off, type_code, _z, count = _BUF.unpack_from(data, buf_off + i * BUF_ENTRY)
            bufs.append((string(name_off), type_code, count))
        files = []
        for i in range(file_count):
            name_off, path_off = _FILE.unpack_from(data, file_off + i * FILE_ENTRY)
            files.append((string(name_off), None if path_off == NO_PATH else string(path_off)))
        return ModuleImage(name.rstrip(b"\0").decode("ascii"), functions, consts, bufs,
                           entry, opt_level, files)
    except (ValueError, IndexError, struct.error, UnicodeDecodeError) as exc:
        raise BfmError(f"table, name or code offset out of range ({exc})") from None
