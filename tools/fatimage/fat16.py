"""A FAT16 formatter that writes a complete, populated volume by itself.

Follows Microsoft's "FAT: General Overview of On-Disk Format" (fatgen103,
version 1.03): BPB layout (section 3), FAT size computation (section 3.5),
cluster-count rule for telling FAT12/16/32 apart (section 3.5), directory
entries (section 6). Only 8.3 names are written; no long-name entries, so
every reader, including the kernel's fs/fat16, sees the same names.

The volume is built in memory as a map from sector offset to bytes, so a
64 MiB partition costs only its metadata and file data, and the caller writes
the pieces into the disk image at the partition's offset.
"""
import struct
import time

from .errors import ImageError

SECTOR = 512
RESERVED_SECTORS = 1      # just the boot sector (no FSInfo on FAT16)
NUM_FATS = 2              # two copies, as every DOS-era tool expects
ROOT_ENTRIES = 512        # fixed-size root directory: 32 sectors
MEDIA_FIXED_DISK = 0xF8
MIN_CLUSTERS = 4085       # fewer clusters and a reader must assume FAT12
MAX_CLUSTERS = 65524      # more and it must assume FAT32 (fatgen103 3.5)
END_OF_CHAIN = 0xFFFF

ATTR_DIRECTORY = 0x10
ATTR_VOLUME_ID = 0x08
ATTR_ARCHIVE = 0x20

# Characters allowed in a short name besides A-Z and 0-9 (fatgen103 6.1).
_NAME_EXTRA = set("$%'-_@~`!(){}^#&")


def short_name(component):
    """'readme.txt' -> b'README  TXT'. Raises ImageError if it is not 8.3."""
    upper = component.upper()
    if upper in (".", ".."):
        raise ImageError(f"'{component}' cannot be used as a file name")
    base, dot, ext = upper.partition(".")
    problems = []
    if not base or len(base) > 8:
        problems.append("the name before the dot needs 1 to 8 characters")
    if "." in ext or len(ext) > 3 or (dot and not ext):
        problems.append("the extension needs 1 to 3 characters after a single dot")
    bad = sorted({c for c in base + ext if not (c.isascii() and c.isalnum()) and c not in _NAME_EXTRA})
    if bad:
        problems.append("characters not allowed in a short name: " + " ".join(repr(c) for c in bad))
    if problems:
        raise ImageError(f"'{component}' is not an 8.3 FAT name ({'; '.join(problems)})")
    return (base.ljust(8) + ext.ljust(3)).encode("ascii")


def fat_timestamp(epoch):
    """(time, date) words for a POSIX time, as FAT stores them (local-free: UTC)."""
    t = time.gmtime(max(epoch, 315532800))  # FAT dates start in 1980
    year = min(t.tm_year, 2107)
    date = ((year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    clock = (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2)
    return clock, date


def _dir_entry(name11, attr, cluster, size, epoch):
    clock, date = fat_timestamp(epoch)
    # DIR_Name, Attr, NTRes, CrtTimeTenth, CrtTime, CrtDate, LstAccDate,
    # FstClusHI, WrtTime, WrtDate, FstClusLO, FileSize (fatgen103 section 6).
    return struct.pack("<11sBBBHHHHHHHI", name11, attr, 0, 0, clock, date, date,
                       0, clock, date, cluster, size)


class _Node:
    def __init__(self, name11, is_dir, data=b"", epoch=0):
        self.name11 = name11
        self.is_dir = is_dir
        self.data = data
        self.epoch = epoch
        self.children = {}      # name11 -> _Node, in insertion order
        self.cluster = 0


class Geometry:
    """Where everything lives in a FAT16 volume of `sectors` sectors."""

    def __init__(self, sectors, sectors_per_cluster=None):
        self.total_sectors = sectors
        self.root_dir_sectors = (ROOT_ENTRIES * 32 + SECTOR - 1) // SECTOR
        spc = sectors_per_cluster or self._recommended_cluster_size(sectors)
        while True:
            # fatgen103 3.5: FATSz = ceil((DskSize - (Rsvd + RootDirSectors)) / (256 * SecPerClus + NumFATs))
            tmp1 = sectors - (RESERVED_SECTORS + self.root_dir_sectors)
            tmp2 = 256 * spc + NUM_FATS
            self.fat_sectors = (tmp1 + tmp2 - 1) // tmp2
            self.first_data_sector = RESERVED_SECTORS + NUM_FATS * self.fat_sectors + self.root_dir_sectors
            self.clusters = (sectors - self.first_data_sector) // spc
            if self.clusters < MIN_CLUSTERS and spc > 1 and sectors_per_cluster is None:
                spc //= 2           # a small volume: smaller clusters keep it FAT16
                continue
            break
        self.sectors_per_cluster = spc
        if self.clusters < MIN_CLUSTERS:
            raise ImageError(f"a FAT16 partition of {sectors} sectors has only {self.clusters} clusters; "
                             f"FAT16 needs at least {MIN_CLUSTERS} (make the image larger with --size)")
        if self.clusters > MAX_CLUSTERS:
            raise ImageError(f"a FAT16 partition of {sectors} sectors would have {self.clusters} clusters; "
                             f"FAT16 allows at most {MAX_CLUSTERS} (2 GiB); make the image smaller")
        self.fat_offset = RESERVED_SECTORS
        self.root_offset = RESERVED_SECTORS + NUM_FATS * self.fat_sectors
        self.cluster_bytes = spc * SECTOR

    @staticmethod
    def _recommended_cluster_size(sectors):
        # fatgen103's DskTableFAT16, extended down to 1 sector for small disks.
        for limit, spc in ((32680, 2), (262144, 4), (524288, 8), (1048576, 16), (2097152, 32)):
            if sectors <= limit:
                return spc
        return 64

    def cluster_sector(self, cluster):
        return self.first_data_sector + (cluster - 2) * self.sectors_per_cluster


class Fat16Volume:
    """Collects files and directories, then lays them out as a FAT16 volume."""

    def __init__(self, sectors, hidden_sectors, label="BAREFLOW", volume_id=0, epoch=0):
        self.geometry = Geometry(sectors)
        self.hidden_sectors = hidden_sectors
        self.label = self._check_label(label)
        self.volume_id = volume_id & 0xFFFFFFFF
        self.epoch = epoch
        self.root = _Node(b"", True, epoch=epoch)

    @staticmethod
    def _check_label(label):
        upper = label.upper()
        if not 1 <= len(upper) <= 11 or any(not (c.isascii() and (c.isalnum() or c in _NAME_EXTRA or c == " "))
                                            for c in upper):
            raise ImageError(f"volume label '{label}' must be 1 to 11 letters, digits or FAT punctuation")
        return upper.ljust(11).encode("ascii")

    def _walk(self, parts, create):
        node = self.root
        for i, part in enumerate(parts):
            name11 = short_name(part)
            child = node.children.get(name11)
            if child is None:
                if not create:
                    return None
                child = node.children[name11] = _Node(name11, True, epoch=self.epoch)
            if not child.is_dir:
                raise ImageError(f"'/{'/'.join(parts[:i + 1])}' is a file, not a directory")
            node = child
        return node

    @staticmethod
    def split_path(path):
        parts = [p for p in path.replace("\\", "/").split("/") if p]
        if not parts:
            raise ImageError(f"image path '{path}' names no file")
        return parts

    def add_directory(self, path):
        self._walk(self.split_path(path), create=True)

    def add_file(self, path, data, epoch=None):
        parts = self.split_path(path)
        parent = self._walk(parts[:-1], create=True)
        name11 = short_name(parts[-1])
        if name11 in parent.children:
            raise ImageError(f"image path '{path}' is given twice")
        parent.children[name11] = _Node(name11, False, bytes(data), self.epoch if epoch is None else epoch)

    # --- layout ---------------------------------------------------------------

    def _allocate(self, node, fat, next_cluster):
        """Give `node` (and its subtree) clusters; returns the next free one."""
        for child in node.children.values():
            size = (len(child.children) + 2) * 32 if child.is_dir else len(child.data)
            count = max(1, -(-size // self.geometry.cluster_bytes)) if (child.is_dir or size) else 0
            if count:
                if next_cluster + count - 2 > self.geometry.clusters:
                    raise ImageError(f"the files do not fit in the {self.geometry.clusters * self.geometry.cluster_bytes} "
                                     "bytes of the FAT16 partition (make the image larger with --size)")
                child.cluster = next_cluster
                for c in range(next_cluster, next_cluster + count):
                    fat[c] = c + 1 if c + 1 < next_cluster + count else END_OF_CHAIN
                next_cluster += count
            if child.is_dir:
                next_cluster = self._allocate(child, fat, next_cluster)
        return next_cluster

    def _directory_bytes(self, node, parent_cluster):
        entries = []
        if node is not self.root:
            entries.append(_dir_entry(b".          ", ATTR_DIRECTORY, node.cluster, 0, node.epoch))
            entries.append(_dir_entry(b"..         ", ATTR_DIRECTORY, parent_cluster, 0, node.epoch))
        else:
            entries.append(_dir_entry(self.label, ATTR_VOLUME_ID, 0, 0, self.epoch))
        for child in node.children.values():
            attr = ATTR_DIRECTORY if child.is_dir else ATTR_ARCHIVE
            entries.append(_dir_entry(child.name11, attr, child.cluster,
                                      0 if child.is_dir else len(child.data), child.epoch))
        return b"".join(entries)

    def boot_sector(self):
        g = self.geometry
        total16 = g.total_sectors if g.total_sectors < 0x10000 else 0
        total32 = 0 if total16 else g.total_sectors
        bpb = struct.pack("<3s8sHBHBHHBHHHII", b"\xEB\x3C\x90", b"BAREFLOW", SECTOR, g.sectors_per_cluster,
                          RESERVED_SECTORS, NUM_FATS, ROOT_ENTRIES, total16, MEDIA_FIXED_DISK,
                          g.fat_sectors, 63, 255, self.hidden_sectors, total32)
        # Extended BPB for FAT12/16 (fatgen103 section 3.2, offset 36).
        ebpb = struct.pack("<BBBI11s8s", 0x80, 0, 0x29, self.volume_id, self.label, b"FAT16   ")
        # Boot code: this volume is data only. INT 18h asks the BIOS for the
        # next boot device; hlt in a loop if that returns.
        code = b"\xCD\x18" + b"\xF4\xEB\xFD"
        sector = bytearray(SECTOR)
        sector[:62] = bpb + ebpb
        sector[62:62 + len(code)] = code
        sector[510:512] = b"\x55\xAA"
        return bytes(sector)

    def build(self):
        """Returns {sector offset within the volume: bytes} covering every
        non-zero sector of the volume; all other sectors are zero."""
        g = self.geometry
        fat = {0: 0xFF00 | MEDIA_FIXED_DISK, 1: 0xFFFF}   # FAT[1]: clean, no errors
        self._allocate(self.root, fat, 2)
        if len(self.root.children) + 1 > ROOT_ENTRIES:
            raise ImageError(f"the root directory holds at most {ROOT_ENTRIES - 1} entries")

        fat_table = bytearray(g.fat_sectors * SECTOR)
        for cluster, value in fat.items():
            struct.pack_into("<H", fat_table, cluster * 2, value)
        pieces = {0: self.boot_sector()}
        for i in range(NUM_FATS):
            pieces[g.fat_offset + i * g.fat_sectors] = bytes(fat_table)
        pieces[g.root_offset] = self._directory_bytes(self.root, 0)

        def place(node, parent_cluster):
            for child in node.children.values():
                if child.is_dir:
                    pieces[g.cluster_sector(child.cluster)] = self._directory_bytes(child, parent_cluster)
                    place(child, child.cluster)
                elif child.data:
                    pieces[g.cluster_sector(child.cluster)] = child.data
        place(self.root, 0)
        return pieces
