#!/usr/bin/env python3
"""flowimg: swap Flow modules on a BareFlow disk image with no rebuild.

Reads and writes the FAT16 volume of an image by itself (tools/fatimage/
volume.py; Python standard library only, no mtools, no root):

  flowimg.py put IMAGE modules/x.flow      compile, copy to /MODULES/X.BFM
  flowimg.py put IMAGE X.BFM               copy a compiled module (checked)
  flowimg.py put IMAGE FILE /DATA/X.BIN    copy any file (data, a checkpoint)
  flowimg.py ls IMAGE [DIR]
  flowimg.py get IMAGE PATH [-o OUT]
  flowimg.py rm IMAGE PATH
  flowimg.py snapshots IMAGE               /JIT/*.SNP with their keys and sizes

The image may be a whole disk (MBR + FAT16 partition, as tools/mkimage.py
makes) or a partitionless FAT16 volume. docs/swapping-modules.md is the guide.
Exit status: 0 success, 1 an error (compile errors print as flowc prints
them), 2 a usage error.
"""
import argparse
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fatimage import ImageError  # noqa: E402
from fatimage import snapshot  # noqa: E402
from fatimage.volume import Volume  # noqa: E402
from flow import bfm  # noqa: E402

MODULE_DIR = "/MODULES"
SNAPSHOT_DIR = "/JIT"
BOOT_COUNT_FILE = "/BOOTCNT.TXT"


def compile_module(source_path):
    """(NAME, bytes) of a .flow file, compiled in-process as flowc does."""
    from flow import opcodes
    from flow.compiler import compile_source, valid_module_name
    from flow.errors import CompileError
    try:
        with open(source_path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ImageError(f"cannot read '{source_path}': {e.strerror}") from None
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ImageError(f"{source_path}: not valid UTF-8 text (byte offset {e.start})") from None
    name = os.path.splitext(os.path.basename(source_path))[0].upper()
    if not valid_module_name(name):
        raise ImageError(f"'{source_path}': module name {name!r} must be 1-8 characters of A-Z 0-9 _ - "
                         "(rename the file)")
    try:
        ops = opcodes.load()
    except opcodes.OpcodeTableError as e:
        raise ImageError(str(e)) from None
    try:
        _, data = compile_source(source, name, ops)
    except CompileError as e:
        print(e.render(source_path, source), file=sys.stderr)
        raise CompileFailed() from None
    return name, data


class CompileFailed(Exception):
    """The compiler has already printed the error."""


def check_module(data, what):
    """The checks a copy can make without the verifier: a .bfm header, its
    length and its CRC-32 (docs/module-format.md)."""
    if data[:4] != bfm.MAGIC:
        raise ImageError(f"'{what}' is not a BareFlow module (it does not start with the .bfm magic "
                         "'BFM\\x1a'); give a .flow source or a file made by tools/flowc.py")
    if len(data) < bfm.HEADER_SIZE:
        raise ImageError(f"'{what}' is a truncated module ({len(data)} bytes, shorter than the "
                         f"{bfm.HEADER_SIZE}-byte header)")
    version, file_size, crc = struct.unpack_from("<H", data, 4)[0], *struct.unpack_from("<II", data, 24)
    if version != bfm.FORMAT_VERSION:
        raise ImageError(f"'{what}' is a module of format version {version}; this tool knows version "
                         f"{bfm.FORMAT_VERSION}")
    if file_size != len(data):
        raise ImageError(f"'{what}' is a damaged module: its header says {file_size} bytes, the file has "
                         f"{len(data)}")
    zeroed = data[:bfm.CRC_OFFSET] + b"\0\0\0\0" + data[bfm.CRC_OFFSET + 4:]
    if zlib.crc32(zeroed) & 0xFFFFFFFF != crc:
        raise ImageError(f"'{what}' is a damaged module: its CRC-32 does not match its contents")


def module_for(source):
    """(image file name, bytes) for a .flow source or a compiled .bfm."""
    if source.lower().endswith(".flow"):
        name, data = compile_module(source)
        return name + ".BFM", data
    try:
        with open(source, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ImageError(f"cannot read '{source}': {e.strerror}") from None
    check_module(data, source)
    stem, ext = os.path.splitext(os.path.basename(source))
    if ext.upper() != ".BFM":
        raise ImageError(f"'{source}': a module file must be named NAME.BFM (or give the .flow source)")
    return stem.upper() + ".BFM", data


def module_name(data):
    return data[8:24].rstrip(b"\0").decode("ascii", "replace")


def same_name_elsewhere(volume, filename, name):
    """Other /MODULES/*.BFM files holding a module called `name`: the kernel
    loads the first and skips the rest ("a module named ... is already loaded")."""
    try:
        entries = volume.list(MODULE_DIR)
    except ImageError:
        return []
    clashes = []
    for e in entries:
        if e.is_dir or not e.short_name.upper().endswith(".BFM") or e.short_name.upper() == filename:
            continue
        try:
            other = volume.read_file(f"{MODULE_DIR}/{e.short_name}")
        except ImageError:
            continue
        if other[:4] == bfm.MAGIC and module_name(other) == name:
            clashes.append(e.short_name)
    return clashes


def cmd_put(args):
    if args.dest is not None:
        return put_data_file(args)
    filename, data = module_for(args.module)
    target = f"{MODULE_DIR}/{filename}"
    name = module_name(data)
    with Volume(args.image, writable=True) as volume:
        clashes = same_name_elsewhere(volume, filename, name)
        replaced = volume.write_file(target, data, create_dirs=True)
        free = volume.free_bytes()
    print(f"flowimg: {'replaced' if replaced else 'added'} {target} ({len(data)} bytes; {free} bytes free)")
    if name + ".BFM" != filename:
        print(f"flowimg: note: the module inside {filename} is named {name}; the kernel's commands use that name",
              file=sys.stderr)
    for other in clashes:
        print(f"flowimg: warning: {MODULE_DIR}/{other} also holds a module named {name}; the kernel loads only "
              f"one of them (remove the other with: flowimg.py rm IMAGE {MODULE_DIR}/{other})", file=sys.stderr)


def put_data_file(args):
    """Any file, to the path given: data for `load`, a checkpoint, AUTORUN.TXT."""
    try:
        with open(args.module, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ImageError(f"cannot read {args.module}: {exc.strerror}") from None
    target = args.dest if args.dest.startswith("/") else "/" + args.dest
    if target.endswith("/"):
        target += os.path.basename(args.module)
    with Volume(args.image, writable=True) as volume:
        replaced = volume.write_file(target, data, create_dirs=True)
        free = volume.free_bytes()
    print(f"flowimg: {'replaced' if replaced else 'added'} {target} ({len(data)} bytes; {free} bytes free)")


def cmd_ls(args):
    with Volume(args.image) as volume:
        entries = volume.list(args.dir)
        free = volume.free_bytes()
        label = volume.label()
    print(f"{args.dir} on volume {label}, {volume.where}")
    files = 0
    for e in entries:
        size = "<DIR>" if e.is_dir else str(e.size)
        long_name = e.long_name if e.long_name and e.long_name != e.short_name else ""
        print(f"{e.short_name:<12} {size:>10}  {e.modified():<16}  {long_name}".rstrip())
        files += not e.is_dir
    print(f"{files} file(s), {sum(e.size for e in entries if not e.is_dir)} bytes; {free} bytes free")


def cmd_get(args):
    with Volume(args.image) as volume:
        data = volume.read_file(args.path)
    if args.output and args.output != "-":
        try:
            with open(args.output, "wb") as f:
                f.write(data)
        except OSError as e:
            raise ImageError(f"cannot write '{args.output}': {e.strerror}") from None
        return
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def cmd_rm(args):
    with Volume(args.image, writable=True) as volume:
        volume.remove(args.path)
    print(f"flowimg: removed {args.path}")


def module_match(volume, snap_entry, data):
    """(text, names): whether the snapshot's module_hash is the content hash
    of the module it belongs to (/MODULES/NAME.BFM for /JIT/NAME.SNP; after a
    swap it is not, and the kernel ignores the snapshot: "module changed"),
    and, when it matches, the module's function names to label the code
    entries with."""
    saved = snapshot.field(data, "module_hash")
    if not snapshot.is_snapshot(data) or saved is None:
        return None, None
    base = snap_entry.short_name.rsplit(".", 1)[0]
    path = f"{MODULE_DIR}/{base}.BFM"
    try:
        module = volume.read_file(path)
    except ImageError:
        return f"no {path}: nothing to load it for", None
    if module[:4] != bfm.MAGIC or len(module) < 40:
        return f"{path} is not a module", None
    current = struct.unpack_from("<Q", module, 32)[0]
    if current != saved:
        return f"stale: {path} is now {current:016x}; the kernel will ignore this snapshot (module changed)", None
    try:
        names = [f.name for f in bfm.read(module).functions]
    except bfm.BfmError:
        names = None
    return f"matches {path} (content hash {current:016x})", names


def cmd_snapshots(args):
    with Volume(args.image) as volume:
        try:
            boot_count = volume.read_file(BOOT_COUNT_FILE).decode("ascii", "replace").strip()
        except ImageError:
            boot_count = None
        try:
            directory = volume.find(SNAPSHOT_DIR)
        except ImageError:
            directory = None
        found = []
        if directory is not None and directory.is_dir:
            for e in volume.list(SNAPSHOT_DIR):
                if not e.is_dir and e.short_name.upper().endswith(".SNP"):
                    data = volume.read_file(f"{SNAPSHOT_DIR}/{e.short_name}")
                    found.append((e, data) + module_match(volume, e, data))
    if boot_count is not None:
        print(f"boot count {boot_count} ({BOOT_COUNT_FILE})")
    if directory is None or not directory.is_dir:
        print(f"no snapshots ({SNAPSHOT_DIR} does not exist)")
        return
    if not found:
        print(f"no snapshots (no *.SNP in {SNAPSHOT_DIR})")
        return
    for entry, data, match, names in found:
        print(f"{SNAPSHOT_DIR}/{entry.short_name}  {entry.size} bytes  {entry.modified()}")
        for name, text in snapshot.describe(data, names):
            print(f"    {name:<16} {text}")
        if match:
            print(f"    {'module':<16} {match}")


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="flowimg.py", description="Swap Flow modules on a BareFlow disk image (MBR + FAT16 partition, "
        "or a partitionless FAT16 volume) with no rebuild.",
        epilog="Exit status: 0 success, 1 error, 2 usage error. Guide: docs/swapping-modules.md")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("put", help="compile a .flow (or take a .bfm) and copy it to /MODULES/NAME.BFM; "
                       "with DEST, copy any file there",
                       description="Copy a module into /MODULES on the image, replacing a file of the same "
                       "name. A .flow source is compiled first (errors print as flowc prints them); a .bfm "
                       "file must be a module with a good header and CRC-32. With DEST, copy any file "
                       "(data for the shell's `load`, a checkpoint, AUTORUN.TXT) to that path, making its "
                       "directories; a DEST ending in / keeps the file's name.")
    p.add_argument("image", help="the disk image (e.g. build/bareflow.img)")
    p.add_argument("module", help="modules/NAME.flow or NAME.BFM, or any file with DEST")
    p.add_argument("dest", nargs="?", help="where on the volume, e.g. /DATA/X.BIN or /DATA/")
    p.set_defaults(run=cmd_put)

    p = sub.add_parser("ls", help="list a directory: names, long names, sizes, dates",
                       description="List a directory of the image: 8.3 name, size (or <DIR>), the date "
                       "written (UTC as stored) and the long name where there is one.")
    p.add_argument("image", help="the disk image")
    p.add_argument("dir", nargs="?", default="/", help="directory (default: /); names match long names or "
                   "8.3 names in any case")
    p.set_defaults(run=cmd_ls)

    p = sub.add_parser("get", help="copy a file out of the image", description="Copy a file out of the image "
                       "to stdout, or to a file with -o.")
    p.add_argument("image", help="the disk image")
    p.add_argument("path", help="the file in the image, e.g. /MODULES/FIB.BFM")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of to stdout")
    p.set_defaults(run=cmd_get)

    p = sub.add_parser("rm", help="delete a file from the image", description="Delete a file from the image.")
    p.add_argument("image", help="the disk image")
    p.add_argument("path", help="the file in the image, e.g. /MODULES/FIB.BFM")
    p.set_defaults(run=cmd_rm)

    p = sub.add_parser("snapshots", help="list the JIT snapshots (/JIT/*.SNP) with their keys and sizes",
                       description="List /JIT/*.SNP: size, date, the header fields and the key "
                       "(docs/snapshot-format.md), whether the CRC-32 matches, and whether the module "
                       "hash still matches /MODULES/NAME.BFM; and the boot count in /BOOTCNT.TXT.")
    p.add_argument("image", help="the disk image")
    p.set_defaults(run=cmd_snapshots)
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        args.run(args)
    except CompileFailed:
        return 1
    except BrokenPipeError:
        # The reader went away (`flowimg.py ls IMAGE | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ImageError as e:
        print(f"flowimg: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"flowimg: error: {args.image}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
