#!/usr/bin/env python3
"""Prints a blob of x86 machine code (JIT output) through GNU objdump.

    tools/disasm.py FILE [--base ADDRESS] [--offset N] [--length N]
    make disasm FILE=blob.bin

The bytes are 32-bit code, decoded with `objdump -D -b binary -m i386 -M intel`;
--base makes the printed addresses (and branch targets) match where the code
ran, e.g. the code pool address from a JIT log.
"""
import argparse
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="raw code bytes")
    ap.add_argument("--base", default="0", help="address of the first byte (default 0)")
    ap.add_argument("--offset", type=lambda s: int(s, 0), default=0, help="skip this many bytes")
    ap.add_argument("--length", type=lambda s: int(s, 0), default=None, help="decode only this many bytes")
    args = ap.parse_args()
    try:
        data = open(args.file, "rb").read()
    except OSError as e:
        print(f"disasm: {e}", file=sys.stderr)
        return 1
    end = len(data) if args.length is None else args.offset + args.length
    data = data[args.offset:end]
    if not data:
        print("disasm: no bytes to decode", file=sys.stderr)
        return 1
    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as tmp:
        tmp.write(data)
    try:
        cmd = ["objdump", "-D", "-b", "binary", "-m", "i386", "-M", "intel",
               f"--adjust-vma={int(args.base, 0)}", tmp.name]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        os.unlink(tmp.name)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr, end="")
        return proc.returncode
    # Drop objdump's file banner; keep the instruction listing.
    lines = proc.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Disassembly of section")), -1)
    print(f"{args.file}: {len(data)} bytes")
    print("\n".join(lines[start + 1:]).strip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
