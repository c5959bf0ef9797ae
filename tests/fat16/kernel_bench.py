#!/usr/bin/env python3
"""Kernel FAT16 read rate: boots a copy of the image with a 4 MiB file on it and
runs `fsread` at the shell (ATA PIO + driver), under KVM when KVM runs the
kernel here, else under TCG (the accelerator is recorded with the figure).
Merges the result into the JSON file given (make bench-fat16 writes the host
figures there first).

Usage: kernel_bench.py BUILD_DIR OUTPUT.json
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))

FILE_BYTES = 4 * 1024 * 1024


def partition_offset(image):
    with open(image, "rb") as f:
        mbr = f.read(512)
    for i in range(4):
        entry = mbr[446 + 16 * i: 462 + 16 * i]
        if entry[4] in (0x04, 0x06, 0x0E):
            return int.from_bytes(entry[8:12], "little") * 512
    raise SystemExit("kernel_bench: no FAT16 partition in the image")


def run(accel, image):
    from harness import Qemu
    with Qemu(image, accel=accel, timeout=120) as vm:
        vm.wait_prompt(timeout=40)
        rates = []
        for _ in range(3):
            out = vm.command("fsread BIG4M.BIN", timeout=60)
            m = re.search(r"fsread: (\d+) bytes in (\d+) us", out)
            if not m or int(m.group(1)) != FILE_BYTES:
                raise RuntimeError(f"unexpected fsread output: {out!r}")
            rates.append(FILE_BYTES / (int(m.group(2)) / 1e6) / 1e6)
        vm.send_line("poweroff")
        vm.wait_exit(timeout=20)
        return max(rates)


def main():
    os.environ["BAREFLOW_BUILD"] = os.path.abspath(sys.argv[1])
    out_path = sys.argv[2]
    from harness import kvm_usable, make_image_copy
    image = make_image_copy()
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "BIG4M.BIN")
        with open(big, "wb") as f:
            f.write(os.urandom(FILE_BYTES))
        env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
        subprocess.run(["mcopy", "-i", f"{image}@@{partition_offset(image)}", big, "::/BIG4M.BIN"], check=True,
                       env=env)
    result = {"kernel_read_file_bytes": FILE_BYTES}
    tried = []
    for accel in (["kvm"] if kvm_usable() else []) + ["tcg"]:
        try:
            result["kernel_read_mb_s"] = round(run(accel, image), 3)
            result["kernel_accel"] = accel
            break
        except (AssertionError, RuntimeError) as exc:
            tried.append(f"{accel}: {str(exc).splitlines()[0]}")
    if tried:
        result["kernel_notes"] = tried
    figures = {}
    if os.path.exists(out_path):
        with open(out_path) as f:
            figures = json.load(f)
    figures.update(result)
    with open(out_path, "w") as f:
        json.dump(figures, f, indent=2)
        f.write("\n")
    print(f"fat16 kernel: {result.get('kernel_read_mb_s', 'n/a')} MB/s reading 4 MiB "
          f"({result.get('kernel_accel', 'no accelerator ran the kernel')})")


if __name__ == "__main__":
    main()
