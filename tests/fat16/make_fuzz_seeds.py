#!/usr/bin/env python3
"""Writes the seed corpus for the FAT16 fuzzer (tests/fat16/fat16_fuzz.cpp).

Each seed is the first 96 KiB of a small FAT16 disk made by mkfs.fat and
filled by mcopy (files, a subdirectory, long names): the metadata and the
first data clusters, which the fuzzer lays over a zeroed 2.2 MiB disk.
Usage: make_fuzz_seeds.py CORPUS_DIR
"""
import os
import subprocess
import sys
import tempfile

SEED_BYTES = 96 * 1024
DISK_KIB = 2200


def make_seed(tmp, name, fats, root_entries, partitioned):
    image = os.path.join(tmp, name + ".img")
    subprocess.run(["mkfs.fat", "-F", "16", "-C", "-s", "1", "-f", str(fats), "-r", str(root_entries),
                    "-n", "FUZZ", image, str(DISK_KIB)], check=True, stdout=subprocess.DEVNULL)
    src = os.path.join(tmp, "src")
    os.makedirs(os.path.join(src, "Sub Dir"), exist_ok=True)
    with open(os.path.join(src, "HELLO.TXT"), "w") as f:
        f.write("hello\n")
    with open(os.path.join(src, "A long file name.data"), "wb") as f:
        f.write(bytes(range(256)) * 9)
    with open(os.path.join(src, "Sub Dir", "inner.txt"), "w") as f:
        f.write("inner " * 200)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    subprocess.run(["mcopy", "-s", "-i", image, os.path.join(src, "HELLO.TXT"),
                    os.path.join(src, "A long file name.data"), os.path.join(src, "Sub Dir"), "::/"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    with open(image, "rb") as f:
        data = f.read(SEED_BYTES)
    if partitioned:  # an MBR with one type-0x06 partition at LBA 1
        mbr = bytearray(512)
        entry = bytes([0x80, 0, 0, 0, 0x06, 0, 0, 0]) + (1).to_bytes(4, "little") \
            + (DISK_KIB * 2).to_bytes(4, "little")
        mbr[446:462] = entry
        mbr[510:512] = b"\x55\xaa"
        data = bytes(mbr) + data[:SEED_BYTES - 512]
    return data


def main():
    corpus = sys.argv[1]
    os.makedirs(corpus, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, fats, root, part in (("two-fats", 2, 512, False), ("one-fat", 1, 64, False),
                                       ("partitioned", 2, 128, True)):
            with open(os.path.join(corpus, "seed-" + name), "wb") as f:
                f.write(make_seed(tmp, name, fats, root, part))


if __name__ == "__main__":
    main()
