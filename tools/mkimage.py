#!/usr/bin/env python3
"""Build the BareFlow boot disk image.

Writes, into one raw disk image:
  - the MBR: stage1 + disk signature + one active FAT16 partition entry
  - stage2 in the sectors after the MBR (LBA 1..32), checksummed
  - the kernel at LBA 64, with its header's image_size and CRC-32 filled in
  - a FAT16 partition from LBA 2048 (or the next 1 MiB boundary after the
    kernel) to the end of the disk, formatted here: volume label, files
    given with --add, directories created as needed

The layout is described in docs/architecture.md. Python standard library
only; no root, no loop devices, no mkfs.
"""
import argparse
import os
import re
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fatimage import DiskLayout, Fat16Volume, ImageError, build_mbr, patch_stage2, prepare_kernel  # noqa: E402
from fatimage.boot import SECTOR, STAGE2_LBA  # noqa: E402

DEFAULT_SIZE = 64 * 1024 * 1024
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text):
    """'64M', '64MiB', '1G', '67108864' -> bytes (a whole number of sectors)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:I?B)?\s*", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size (examples: 64M, 128MiB, 1G, 67108864)")
    size = int(m.group(1)) * _UNITS[m.group(2)]
    if size == 0 or size % SECTOR:
        raise argparse.ArgumentTypeError(f"size {size} is not a positive multiple of {SECTOR} bytes")
    return size


def parse_count(text):
    try:
        value = parse_size(text) if not text.isdigit() else int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a byte count (examples: 2M, 2097152)") from None
    return value


def parse_add(text):
    host, sep, image_path = text.partition("=")
    if not sep or not host or not image_path:
        raise argparse.ArgumentTypeError(f"'{text}' is not HOST_PATH=IMAGE_PATH (example: build/x.bfm=/MODULES/X.BFM)")
    return host, image_path


def parse_signature(text):
    try:
        value = int(text, 16)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a hexadecimal disk signature (example: 0x1234ABCD)") from None
    if not 0 < value <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"disk signature {text} must be non-zero and fit in 32 bits")
    return value


def derive_disk_signature(epoch, total_sectors, label, added):
    """A per-image signature: the same inputs give the same one (the image
    stays reproducible), a different size, label or file set another. Never
    zero: zero means "no signature" to Windows and to the kernel."""
    seed = struct.pack("<QI", epoch, total_sectors) + label.encode() + b"disk"
    for data, _, image_path in added:
        seed += image_path.encode() + struct.pack("<I", zlib.crc32(data))
    return zlib.crc32(seed) & 0xFFFFFFFF or 0x42464453  # "SDFB" for the one-in-4-billion zero


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="mkimage.py",
        description="Build the BareFlow boot disk image: MBR (stage1), stage2 and the kernel in the gap "
                    "before the first partition, and a FAT16 partition formatted by this tool.",
        epilog="Example: mkimage.py --stage1 build/boot/stage1.bin --stage2 build/boot/stage2.bin "
               "--kernel build/kernel/kernel.bin --add boot/README.TXT=/README.TXT -o build/bareflow.img")
    ap.add_argument("-o", "--output", required=True, metavar="IMAGE",
                    help="the disk image to write (replaced if it exists)")
    ap.add_argument("--stage1", required=True, metavar="FILE",
                    help="stage1 code (boot/stage1.asm assembled): at most 440 bytes, placed in the MBR")
    ap.add_argument("--stage2", required=True, metavar="FILE",
                    help="stage2 (boot/stage2.asm assembled): at most 16 KiB, placed at LBA 1")
    ap.add_argument("--kernel", required=True, metavar="FILE",
                    help="kernel.bin, starting with a KernelHeader; placed at LBA 64")
    ap.add_argument("--size", type=parse_size, default=DEFAULT_SIZE, metavar="SIZE",
                    help="image size in bytes, or with a K/M/G suffix (default: 64M)")
    ap.add_argument("--add", type=parse_add, action="append", default=[], metavar="HOST_PATH=IMAGE_PATH",
                    help="copy a host file into the FAT16 partition at IMAGE_PATH (8.3 names, e.g. "
                         "/MODULES/SUM.BFM); missing directories are created; repeatable")
    ap.add_argument("--mkdir", action="append", default=[], metavar="IMAGE_DIR",
                    help="create an (empty) directory in the FAT16 partition, e.g. /MODULES; repeatable")
    ap.add_argument("--pad-kernel", type=parse_count, default=0, metavar="BYTES",
                    help="append filler to the kernel so its image_size is at least BYTES "
                         "(tests that large kernels load, e.g. 2M)")
    ap.add_argument("--disk-signature", type=parse_signature, default=None, metavar="HEX",
                    help="the MBR disk signature (bytes 440-443), non-zero, e.g. 0x1234ABCD; the kernel "
                         "mounts only the disk carrying the one it booted from (default: derived from "
                         "the inputs, the size and the label)")
    ap.add_argument("--label", default="BAREFLOW", metavar="LABEL",
                    help="FAT16 volume label, up to 11 characters (default: BAREFLOW)")
    return ap.parse_args(argv)


def read_input(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ImageError(f"cannot read {what} '{path}': {e.strerror}") from None


def build_image(args):
    stage1 = read_input(args.stage1, "stage1")
    stage2 = read_input(args.stage2, "stage2")
    kernel = prepare_kernel(read_input(args.kernel, "kernel"), args.pad_kernel)
    added = [(read_input(host, "file to add"), host, image_path) for host, image_path in args.add]

    # Reproducible output: timestamps and ids come from SOURCE_DATE_EPOCH or,
    # failing that, the newest input, never from the clock.
    inputs = [args.stage1, args.stage2, args.kernel] + [host for _, host, _ in added]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or max(os.stat(p).st_mtime for p in inputs))

    total_sectors = args.size // SECTOR
    layout = DiskLayout(total_sectors, len(kernel))
    volume_id = zlib.crc32(struct.pack("<QI", epoch, total_sectors) + b"volume") & 0xFFFFFFFF
    disk_signature = args.disk_signature or derive_disk_signature(epoch, total_sectors, args.label, added)

    volume = Fat16Volume(layout.partition_sectors, layout.partition_lba, args.label, volume_id, epoch)
    for directory in args.mkdir:
        volume.add_directory(directory)
    for data, host, image_path in added:
        volume.add_file(image_path, data, int(os.stat(host).st_mtime))
    pieces = volume.build()

    layout.disk_signature = disk_signature
    mbr = build_mbr(stage1, disk_signature, layout.partition_lba, layout.partition_sectors)
    stage2_area = patch_stage2(stage2, layout.kernel_lba)

    tmp = args.output + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.truncate(args.size)              # sparse: untouched sectors are zero
            f.write(mbr)
            f.seek(STAGE2_LBA * SECTOR)
            f.write(stage2_area)
            f.seek(layout.kernel_lba * SECTOR)
            f.write(kernel)
            base = layout.partition_lba * SECTOR
            for sector, data in sorted(pieces.items()):
                f.seek(base + sector * SECTOR)
                f.write(data)
        os.replace(tmp, args.output)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ImageError(f"cannot write '{args.output}': {e.strerror}") from None
    return layout, volume, kernel


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        layout, volume, kernel = build_image(args)
    except ImageError as e:
        print(f"mkimage.py: error: {e}", file=sys.stderr)
        return 1
    g = volume.geometry
    print(f"mkimage.py: {args.output}: {args.size // (1 << 20)} MiB, kernel {len(kernel)} bytes at LBA "
          f"{layout.kernel_lba}, FAT16 at LBA {layout.partition_lba} ({layout.partition_sectors} sectors, "
          f"{g.clusters} clusters of {g.cluster_bytes} bytes), disk signature {layout.disk_signature:#010x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
