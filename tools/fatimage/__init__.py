"""Disk-image building blocks for tools/mkimage.py.

boot.py   the boot side: MBR assembly, stage2 header patching, KernelHeader
          filling, and the disk layout (boot/layout.inc in Python terms)
fat16.py  a self-contained FAT16 formatter (fatgen103)
errors.py ImageError, the only exception these modules raise on bad input

volume.py    opens an existing volume and edits it (tools/flowimg.py)
dirent.py    directory entries and VFAT long names, read as the kernel reads them
snapshot.py  the JIT snapshot header (docs/snapshot-format.md), for listings
They share short_name() and ImageError with the formatter.
"""
from .boot import DiskLayout, build_mbr, patch_stage2, prepare_kernel  # noqa: F401
from .errors import ImageError  # noqa: F401
from .fat16 import Fat16Volume, Geometry, short_name  # noqa: F401
