#!/usr/bin/env python3
"""usbwrite.py: write the BareFlow image to a USB stick, carefully (`make usb DEV=/dev/sdX`).

Writing a disk image to the wrong device destroys it, so before a single
byte is written this tool:
  1. resolves DEVICE to a whole disk (not a partition) it finds in sysfs;
  2. refuses it if it, or any of its partitions, is mounted or used as swap;
  3. refuses it unless the kernel says it is removable or on USB
     (--force overrides this one check, for a SATA/NVMe disk you mean);
  4. refuses it if it is smaller than the image;
  5. shows its model, size and transport, and asks for its name to be typed
     back (--yes skips the question, for scripts that already asked).
Then it writes the image, flushes (fsync), reads it back and compares.

Linux only (sysfs, /proc/mounts). The roots of /sys and /proc can be moved
with --sysfs and --procfs, which is how the tests run it on fake trees and a
plain file.
"""
import argparse
import os
import sys

CHUNK = 4 << 20


class Refused(Exception):
    """A reason not to write; printed for the user, exit status 2."""


def read_text(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def whole_disk_name(device, sysfs):
    """The sysfs block name of DEVICE ("sdb" for /dev/sdb); a partition
    (/dev/sdb1) is refused: the image holds its own partition table."""
    name = os.path.basename(os.path.realpath(device)) if device.startswith("/dev/") else os.path.basename(device)
    if os.path.isdir(os.path.join(sysfs, "block", name)):
        return name
    for disk in sorted(os.listdir(os.path.join(sysfs, "block"))):
        if os.path.isdir(os.path.join(sysfs, "block", disk, name)):
            raise Refused(f"{device} is a partition of /dev/{disk}; give the whole disk: /dev/{disk}")
    raise Refused(f"{device} is not a block device this system knows (no {sysfs}/block/{name})")


def partitions_of(name, sysfs):
    base = os.path.join(sysfs, "block", name)
    return [entry for entry in sorted(os.listdir(base))
            if entry.startswith(name) and os.path.isfile(os.path.join(base, entry, "partition"))]


def in_use(names, procfs):
    """Mount points and swap areas that use any of /dev/<names>."""
    devices = {f"/dev/{n}" for n in names}
    uses = []
    for line in read_text(os.path.join(procfs, "mounts")).splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] in devices:
            uses.append(f"{fields[0]} is mounted on {fields[1]}")
    for line in read_text(os.path.join(procfs, "swaps")).splitlines()[1:]:
        fields = line.split()
        if fields and fields[0] in devices:
            uses.append(f"{fields[0]} is in use as swap")
    return uses


def describe(name, sysfs):
    """(model, size in bytes, transport, removable) from sysfs."""
    base = os.path.join(sysfs, "block", name)
    vendor = read_text(os.path.join(base, "device", "vendor"))
    model = read_text(os.path.join(base, "device", "model"), "unknown model")
    size = int(read_text(os.path.join(base, "size"), "0")) * 512  # always 512-byte units in sysfs
    removable = read_text(os.path.join(base, "removable")) == "1"
    device_path = os.path.realpath(os.path.join(base, "device")) if os.path.exists(os.path.join(base, "device")) else ""
    transport = "usb" if "/usb" in device_path else ("nvme" if name.startswith("nvme") else "ata/scsi")
    return (f"{vendor} {model}".strip(), size, transport, removable)


def human(size):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit}" if unit != "bytes" else f"{size} bytes"
        size /= 1024


def check(device, image_size, args):
    name = whole_disk_name(device, args.sysfs)
    uses = in_use([name] + partitions_of(name, args.sysfs), args.procfs)
    if uses:
        raise Refused("in use, unmount it first (umount, not eject):\n  " + "\n  ".join(uses))
    model, size, transport, removable = describe(name, args.sysfs)
    if not (removable or transport == "usb") and not args.force:
        raise Refused(f"/dev/{name} ({model}, {human(size)}, {transport}) is not removable: it looks like a "
                      f"built-in disk. If you really mean it, add --force (make usb DEV=... FORCE=1)")
    if size and size < image_size:
        raise Refused(f"/dev/{name} holds {human(size)}, the image needs {human(image_size)}")
    return name, model, size, transport


def confirm(name, model, size, transport, image, args):
    print(f"About to write {image} to /dev/{name}: {model}, {human(size)}, {transport}.")
    print(f"EVERYTHING on /dev/{name} will be lost.")
    if args.yes:
        return
    answer = input(f"Type '{name}' to go on, anything else to stop: ").strip()
    if answer != name:
        raise Refused("not confirmed; nothing was written")


def write_and_verify(image, target):
    with open(image, "rb") as source, open(target, "r+b" if os.path.exists(target) else "wb") as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    with open(image, "rb") as source, open(target, "rb") as back:
        offset = 0
        while chunk := source.read(CHUNK):
            if back.read(len(chunk)) != chunk:
                raise Refused(f"read-back differs near byte {offset}: the stick may be failing; write it again")
            offset += len(chunk)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="usbwrite.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("device", help="the whole stick, e.g. /dev/sdb (not /dev/sdb1)")
    ap.add_argument("--image", default="build/bareflow.img", help="the image to write (default: build/bareflow.img)")
    ap.add_argument("--force", action="store_true", help="allow a device that is not removable or on USB")
    ap.add_argument("--yes", action="store_true", help="do not ask (the checks still run)")
    ap.add_argument("--sysfs", default="/sys", help=argparse.SUPPRESS)
    ap.add_argument("--procfs", default="/proc", help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)  # tests: write here instead of the device node
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if not os.path.isfile(args.image):
            raise Refused(f"no image at {args.image} (run: make image)")
        image_size = os.path.getsize(args.image)
        name, model, size, transport = check(args.device, image_size, args)
        confirm(name, model, size, transport, args.image, args)
        target = args.target or f"/dev/{name}"
        write_and_verify(args.image, target)
    except Refused as e:
        print(f"usbwrite.py: refused: {e}", file=sys.stderr)
        return 2
    except (OSError, EOFError) as e:
        print(f"usbwrite.py: error: {e}", file=sys.stderr)
        return 1
    print(f"usbwrite.py: wrote and verified {human(image_size)} on /dev/{name}; it can be unplugged.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
