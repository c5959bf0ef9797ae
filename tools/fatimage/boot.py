"""The boot side of the disk image: MBR, stage2 and the kernel in the gap.

Mirrors boot/layout.inc and boot/boot_info.inc (tests/tools/test_mkimage.py
checks that the numbers agree):

  LBA 0              MBR: stage1 code, disk signature, partition table, 55AA
  LBA 1..32          stage2, padded to its reserved 16 KiB; checksum word set
  LBA 64..           kernel.bin with image_size and checksum filled in
  LBA P (P >= 2048,  one active FAT16 partition (type 06h) to the end of the
   multiple of 2048) disk, P chosen after the kernel so any kernel size fits
"""
import struct
import zlib

from .errors import ImageError

SECTOR = 512
MBR_CODE_LIMIT = 440          # stage1 code ends where the disk signature starts
MBR_DISK_SIGNATURE = 440
MBR_PARTITIONS = 446
STAGE2_LBA = 1
STAGE2_SECTORS = 32
STAGE2_MAGIC = b"BFS2"
STAGE2_CHECKSUM_OFF = 4
STAGE2_KERNEL_LBA = 8
KERNEL_LBA = 64               # first sector after stage2's area, rounded up
PARTITION_ALIGN = 2048        # 1 MiB: what current partitioning tools use
PARTITION_TYPE_FAT16 = 0x06
KERNEL_LOAD_ADDRESS = 0x100000
KERNEL_HEADER_MAGIC = 0x4E4B4642   # "BFKN"
KERNEL_HEADER_SIZE = 32
KH_IMAGE_SIZE = 12
KH_CHECKSUM = 16


def sectors_for(size):
    return (size + SECTOR - 1) // SECTOR


class DiskLayout:
    """Where each part goes on a disk of `total_sectors` with a kernel of
    `kernel_bytes`."""

    def __init__(self, total_sectors, kernel_bytes):
        self.total_sectors = total_sectors
        self.kernel_lba = KERNEL_LBA
        self.kernel_sectors = sectors_for(kernel_bytes)
        gap_end = self.kernel_lba + self.kernel_sectors
        self.partition_lba = max(PARTITION_ALIGN, -(-gap_end // PARTITION_ALIGN) * PARTITION_ALIGN)
        self.partition_sectors = total_sectors - self.partition_lba
        if self.partition_sectors <= 0:
            raise ImageError(f"an image of {total_sectors * SECTOR} bytes has no room for a partition after "
                             f"the boot area ({self.partition_lba * SECTOR} bytes); make it larger with --size")


def _chs(lba):
    """CHS bytes of an MBR entry for a 255-head, 63-sector geometry; past
    cylinder 1023 the conventional 1023/254/63 ("use LBA") is written."""
    cylinder, rest = divmod(lba, 255 * 63)
    head, sector = divmod(rest, 63)
    if cylinder > 1023:
        cylinder, head, sector = 1023, 254, 62
    return bytes((head, ((sector + 1) & 0x3F) | ((cylinder >> 2) & 0xC0), cylinder & 0xFF))


def build_mbr(stage1, disk_signature, partition_lba, partition_sectors):
    """Sector 0: stage1's code, then the fields stage1 must never cover."""
    if len(stage1) > MBR_CODE_LIMIT:
        raise ImageError(f"stage1 is {len(stage1)} bytes; the MBR code area holds {MBR_CODE_LIMIT} "
                         "(disk signature and partition table follow it)")
    if len(stage1) < 3 or stage1[0] != 0xEB or stage1[2] != 0x90:
        raise ImageError("stage1 does not start with 'jmp short' + 'nop' (EB xx 90): not a BareFlow stage1")
    mbr = bytearray(SECTOR)
    mbr[:len(stage1)] = stage1
    struct.pack_into("<I", mbr, MBR_DISK_SIGNATURE, disk_signature & 0xFFFFFFFF)
    last = partition_lba + partition_sectors - 1
    entry = (bytes((0x80,)) + _chs(partition_lba) + bytes((PARTITION_TYPE_FAT16,)) + _chs(last)
             + struct.pack("<II", partition_lba, partition_sectors))
    mbr[MBR_PARTITIONS:MBR_PARTITIONS + 16] = entry
    mbr[510:512] = b"\x55\xAA"
    return bytes(mbr)


def patch_stage2(stage2, kernel_lba):
    """Stage2 padded to its reserved area, with the kernel's LBA and the
    checksum word that makes the 16-bit sum of all its words zero."""
    limit = STAGE2_SECTORS * SECTOR
    if len(stage2) > limit:
        raise ImageError(f"stage2 is {len(stage2)} bytes; its reserved area holds {limit}")
    if stage2[:4] != STAGE2_MAGIC:
        raise ImageError("stage2 does not start with the magic 'BFS2': not a BareFlow stage2")
    area = bytearray(limit)
    area[:len(stage2)] = stage2
    struct.pack_into("<I", area, STAGE2_KERNEL_LBA, kernel_lba)
    struct.pack_into("<H", area, STAGE2_CHECKSUM_OFF, 0)
    total = sum(struct.unpack(f"<{limit // 2}H", area)) & 0xFFFF
    struct.pack_into("<H", area, STAGE2_CHECKSUM_OFF, (-total) & 0xFFFF)
    return bytes(area)


def pad_pattern(length, seed=0x2545F491):
    """Deterministic non-zero filler (xorshift32): a loader that skips the
    tail of a padded kernel reads zeros there and fails the CRC."""
    out = bytearray(length)
    x = seed
    for i in range(0, length - length % 4, 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        struct.pack_into("<I", out, i, x)
    return bytes(out)


def prepare_kernel(kernel, pad_to=0):
    """Checks kernel.bin's KernelHeader, pads it if asked, and fills
    image_size and the CRC-32 (computed with the checksum field zero).

    Padding goes after .bss (bss_end), so the kernel's zeroed .bss stays
    zero in the file and the filler lands in memory the kernel does not use."""
    if len(kernel) < KERNEL_HEADER_SIZE:
        raise ImageError(f"kernel is {len(kernel)} bytes, shorter than its {KERNEL_HEADER_SIZE}-byte header")
    magic, version, header_size, _, _, entry, bss_end, _ = struct.unpack_from("<8I", kernel)
    if magic != KERNEL_HEADER_MAGIC:
        raise ImageError(f"kernel does not start with a KernelHeader (magic {magic:#010x}, "
                         f"expected {KERNEL_HEADER_MAGIC:#010x} 'BFKN')")
    if version != 1 or not KERNEL_HEADER_SIZE <= header_size <= len(kernel):
        raise ImageError(f"kernel header has version {version} and header_size {header_size}; "
                         f"expected version 1 and a size of at least {KERNEL_HEADER_SIZE}")
    if not KERNEL_LOAD_ADDRESS + header_size <= entry < KERNEL_LOAD_ADDRESS + len(kernel):
        raise ImageError(f"kernel entry {entry:#x} is not inside the loaded image "
                         f"({KERNEL_LOAD_ADDRESS + header_size:#x}..{KERNEL_LOAD_ADDRESS + len(kernel):#x})")
    image = bytearray(kernel)
    if pad_to > len(image):
        zero_until = max(len(image), min(pad_to, bss_end - KERNEL_LOAD_ADDRESS))
        image += bytes(zero_until - len(image))
        image += pad_pattern(pad_to - len(image))
    struct.pack_into("<II", image, KH_IMAGE_SIZE, len(image), 0)
    struct.pack_into("<I", image, KH_CHECKSUM, zlib.crc32(bytes(image)) & 0xFFFFFFFF)
    return bytes(image)
