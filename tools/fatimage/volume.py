"""An existing FAT16 volume in a disk image, opened for reading and writing.

tools/mkimage.py formats a volume from nothing (fat16.py); this module edits
one that already exists, whoever made it: mkimage.py, mkfs.fat, mcopy, the
kernel, Linux or Windows. tools/flowimg.py uses it to swap modules with no
rebuild. Specification references are to Microsoft's "FAT: General Overview
of On-Disk Format" (fatgen103, v1.03); the rules are those of the kernel's
fs/fat16 driver (docs/fat16.md) so both see the same volume:

- Finding it: sector 0 is a partition table if it ends in 55AA and every
  status byte is 0x00 or 0x80; the first entry of type 0x04, 0x06 or 0x0E is
  the volume. Otherwise sector 0 itself may be a partitionless volume.
- Power-loss order, as the kernel's: a new chain's data, then its FAT
  entries (every copy, first FAT first), then the directory entry that
  publishes it; a replaced file's entry is rewritten to the new chain in one
  sector write before the old chain is freed; a delete marks the entries
  free before freeing the chain. A cut leaves at worst lost clusters.
- Clean-shutdown bit (FAT[1] bit 15, fatgen103 section 4): cleared in every
  FAT copy before the first write, set again once everything is on disk.
  A volume that was already dirty is left dirty, so fsck.fat still says so.
"""
import errno
import fcntl
import os
import struct

from .dirent import (ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_VOLUME_ID, ENTRY_SIZE, FREE_MARK,
                     fat_timestamp, pack_short_entry, parse_directory)
from .errors import ImageError
from .fat16 import short_name

SECTOR = 512
FAT16_PARTITION_TYPES = (0x04, 0x06, 0x0E)
MIN_CLUSTERS = 4085
MAX_CLUSTERS = 65524
EOC = 0xFFFF                 # written end of chain
EOC_MIN = 0xFFF8             # read: anything from here on ends a chain
BAD_CLUSTER = 0xFFF7
CLEAN_BIT = 0x8000
MAX_DIRECTORY_ENTRIES = 65536


class NotFoundError(ImageError):
    """A path names nothing."""


class NoSpaceError(ImageError):
    """The volume or a directory is full."""


class CorruptError(ImageError):
    """The volume contradicts itself (a bad chain, a bad BPB)."""


class Bpb:
    """The boot sector fields we use (fatgen103 section 3.1 and 3.2)."""

    def __init__(self, sector):
        (self.jump, self.bytes_per_sector, self.sectors_per_cluster, self.reserved_sectors, self.fat_count,
         self.root_entries, total16, self.media, self.fat_sectors, _spt, _heads, self.hidden_sectors,
         total32) = struct.unpack_from("<3s8xHBHBHHBHHHII", sector)
        self.total_sectors = total16 or total32
        self.signature = sector[510:512]
        self.label = sector[43:54] if sector[38] == 0x29 else b"NO NAME    "

    def looks_like_boot_sector(self):
        return self.jump[0] in (0xEB, 0xE9) and (self.signature == b"\x55\xAA" or self.bytes_per_sector == SECTOR)

    def validate(self, where):
        """FatFs's checks, then the FAT type by cluster count (fatgen103 3.5)."""
        def bad(what):
            return CorruptError(f"{where}: the boot sector is not a valid FAT boot sector ({what})")
        if self.signature != b"\x55\xAA":
            raise bad("no 55AA signature")
        if self.jump[0] not in (0xEB, 0xE9):
            raise bad(f"starts with {self.jump[0]:#04x}, not a jump")
        if self.bytes_per_sector != SECTOR:
            raise bad(f"{self.bytes_per_sector} bytes per sector; only 512 is supported")
        spc = self.sectors_per_cluster
        if spc == 0 or spc & (spc - 1):
            raise bad(f"{spc} sectors per cluster is not a power of two")
        if self.reserved_sectors < 1:
            raise bad("no reserved sectors")
        if self.fat_count not in (1, 2):
            raise bad(f"{self.fat_count} FATs; 1 or 2 expected")
        if self.root_entries == 0 or self.fat_sectors == 0:
            raise ImageError(f"{where}: the volume is FAT32 (no fixed root directory and no 16-bit FAT "
                             "size in the BPB), not FAT16; only FAT16 is supported")
        if self.root_entries % 16:
            raise bad(f"a root directory of {self.root_entries} entries, not a multiple of 16")
        self.root_sectors = self.root_entries * ENTRY_SIZE // SECTOR
        self.fat_offset = self.reserved_sectors
        self.root_offset = self.reserved_sectors + self.fat_count * self.fat_sectors
        self.first_data_sector = self.root_offset + self.root_sectors
        if self.first_data_sector >= self.total_sectors:
            raise bad(f"its {self.first_data_sector} system sectors do not fit in {self.total_sectors}")
        self.clusters = (self.total_sectors - self.first_data_sector) // spc
        if self.clusters < MIN_CLUSTERS:
            raise ImageError(f"{where}: the volume is FAT12 ({self.clusters} clusters), not FAT16; "
                             "only FAT16 is supported")
        if self.clusters > MAX_CLUSTERS:
            raise ImageError(f"{where}: the volume is FAT32 ({self.clusters} clusters), not FAT16; "
                             "only FAT16 is supported")
        if self.fat_sectors * SECTOR // 2 < self.clusters + 2:
            raise bad(f"a FAT of {self.fat_sectors} sectors cannot hold {self.clusters} clusters")
        self.cluster_bytes = spc * SECTOR


def locate_volume(sector0, image_sectors, where):
    """(first sector, sector count, description) of the FAT16 volume."""
    if len(sector0) < SECTOR:
        raise ImageError(f"{where}: {len(sector0)} bytes is too small to be a disk image")
    statuses = [sector0[446 + 16 * i] for i in range(4)]
    if sector0[510:512] == b"\x55\xAA" and all(s in (0x00, 0x80) for s in statuses):
        types = []
        for i in range(4):
            ptype, lba, count = struct.unpack_from("<4xB3xII", sector0, 446 + 16 * i)
            if ptype in FAT16_PARTITION_TYPES and count:
                if lba == 0 or lba >= image_sectors:
                    raise ImageError(f"{where}: partition {i + 1} starts at LBA {lba}, outside the "
                                     f"{image_sectors}-sector image")
                return lba, count, f"partition {i + 1} (type {ptype:#04x}) at LBA {lba}"
            if ptype:
                types.append(f"{ptype:#04x}")
        if types:
            raise ImageError(f"{where}: no FAT16 partition (type 0x04, 0x06 or 0x0E) in the partition table; "
                             f"it has type(s) {', '.join(types)}")
    if Bpb(sector0).looks_like_boot_sector():
        return 0, image_sectors, "partitionless volume"
    raise ImageError(f"{where}: not a FAT16 disk image (no partition table with a FAT16 partition, "
                     "and sector 0 is not a FAT boot sector)")


class Volume:
    """A FAT16 volume inside an image file. Use as a context manager; close()
    finishes the writes and sets the clean-shutdown bit again."""

    def __init__(self, path, writable=False):
        self.path = path
        self.writable = writable
        try:
            self.fd = os.open(path, os.O_RDWR if writable else os.O_RDONLY)
        except OSError as e:
            raise ImageError(f"cannot open image '{path}': {e.strerror}") from None
        try:
            self._mount()
        except BaseException:
            os.close(self.fd)
            raise

    def _mount(self):
        if not os.path.isfile(self.path) and not os.path.isfile(os.path.realpath(self.path)):
            raise ImageError(f"'{self.path}' is not an image file (for a real disk, mount its FAT16 partition "
                             "and copy the module; see docs/swapping-modules.md)")
        if self.writable:
            try:
                # QEMU locks the images it runs; so does a second flowimg.
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                if e.errno in (errno.EACCES, errno.EAGAIN):
                    raise ImageError(f"'{self.path}' is in use (is QEMU running on it?)") from None
                raise
        size = os.fstat(self.fd).st_size
        if size < SECTOR:
            raise ImageError(f"{self.path}: {size} bytes is too small to be a disk image")
        image_sectors = size // SECTOR
        self.base_sector, span, self.where = locate_volume(self._pread(0, SECTOR), image_sectors, self.path)
        self.bpb = Bpb(self._pread(self.base_sector * SECTOR, SECTOR))
        self.bpb.validate(f"{self.path}: {self.where}")
        if self.bpb.total_sectors > span or self.base_sector + self.bpb.total_sectors > image_sectors:
            raise ImageError(f"{self.path}: {self.where}: the volume claims {self.bpb.total_sectors} sectors, "
                             f"more than the {min(span, image_sectors - self.base_sector)} there are "
                             "(a truncated image?)")
        b = self.bpb
        raw = self._pread(self._offset(b.fat_offset), b.fat_sectors * SECTOR)
        self.fat = list(struct.unpack(f"<{(b.clusters + 2)}H", raw[:(b.clusters + 2) * 2]))
        self._fat_raw = bytearray(raw)
        self._dirty_fat_sectors = set()
        self.was_clean = bool(self.fat[1] & CLEAN_BIT)
        self._marked_dirty = False

    # --- raw I/O --------------------------------------------------------------

    def _offset(self, sector):
        return (self.base_sector + sector) * SECTOR

    def _pread(self, offset, length):
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise CorruptError(f"{self.path}: the image ends inside the volume (at byte {offset + len(data)})")
        return data

    def _pwrite(self, offset, data):
        if not self._marked_dirty:
            self._mark_dirty()
        os.pwrite(self.fd, data, offset)

    def _barrier(self):
        """Everything written so far reaches the disk before anything after."""
        os.fsync(self.fd)

    def cluster_offset(self, cluster):
        return self._offset(self.bpb.first_data_sector + (cluster - 2) * self.bpb.sectors_per_cluster)

    # --- the FAT --------------------------------------------------------------

    def _set_fat(self, cluster, value):
        if not self._marked_dirty:
            self._mark_dirty()
        self.fat[cluster] = value
        struct.pack_into("<H", self._fat_raw, cluster * 2, value)
        self._dirty_fat_sectors.add(cluster * 2 // SECTOR)

    def _flush_fat(self):
        """Changed FAT sectors to every copy, first FAT first, then a barrier."""
        b = self.bpb
        for copy in range(b.fat_count):
            for s in sorted(self._dirty_fat_sectors):
                os.pwrite(self.fd, bytes(self._fat_raw[s * SECTOR:(s + 1) * SECTOR]),
                          self._offset(b.fat_offset + copy * b.fat_sectors + s))
        self._dirty_fat_sectors.clear()
        self._barrier()

    def _mark_dirty(self):
        if not self.writable:
            raise AssertionError("write to a volume opened read-only")
        self._marked_dirty = True
        if self.was_clean:
            self._set_fat(1, self.fat[1] & ~CLEAN_BIT)
            self._flush_fat()

    def _valid_link(self, value):
        return 2 <= value <= self.bpb.clusters + 1

    def chain(self, first, what):
        """The clusters of a chain, checked: every link in range, no loop."""
        if first == 0:
            return []
        if not self._valid_link(first):
            raise CorruptError(f"{what}: starts at cluster {first}, outside the volume")
        clusters, seen, cluster = [], set(), first
        while True:
            if cluster in seen:
                raise CorruptError(f"{what}: its cluster chain loops (cluster {cluster})")
            seen.add(cluster)
            clusters.append(cluster)
            value = self.fat[cluster]
            if value >= EOC_MIN:
                return clusters
            if not self._valid_link(value):
                state = "free" if value == 0 else "bad" if value == BAD_CLUSTER else "out of range"
                raise CorruptError(f"{what}: cluster {cluster} links to a {state} cluster ({value:#06x})")
            cluster = value

    def free_clusters(self):
        return [c for c in range(2, self.bpb.clusters + 2) if self.fat[c] == 0]

    def free_bytes(self):
        return len(self.free_clusters()) * self.bpb.cluster_bytes

    def _allocate(self, count, what):
        free = self.free_clusters()
        if len(free) < count:
            raise NoSpaceError(f"the disk is full: {what} needs {count * self.bpb.cluster_bytes} bytes, "
                               f"{len(free) * self.bpb.cluster_bytes} are free")
        return free[:count]

    def _publish_chain(self, clusters):
        for i, cluster in enumerate(clusters):
            self._set_fat(cluster, clusters[i + 1] if i + 1 < len(clusters) else EOC)
        self._flush_fat()

    def _free_chain(self, clusters):
        for cluster in clusters:
            self._set_fat(cluster, 0)
        self._flush_fat()

    # --- directories ----------------------------------------------------------

    def _directory(self, cluster, what):
        """(bytes, slot offsets, clusters) of the root (cluster 0) or a subdirectory."""
        b = self.bpb
        if cluster == 0:
            start = self._offset(b.root_offset)
            data = self._pread(start, b.root_sectors * SECTOR)
            return data, [start + i * ENTRY_SIZE for i in range(b.root_entries)], []
        clusters = self.chain(cluster, what)
        if len(clusters) * b.cluster_bytes // ENTRY_SIZE > MAX_DIRECTORY_ENTRIES:
            raise CorruptError(f"{what}: a directory of more than {MAX_DIRECTORY_ENTRIES} entries")
        data, slots = bytearray(), []
        per_cluster = b.cluster_bytes // ENTRY_SIZE
        for c in clusters:
            start = self.cluster_offset(c)
            data += self._pread(start, b.cluster_bytes)
            slots.extend(start + i * ENTRY_SIZE for i in range(per_cluster))
        return bytes(data), slots, clusters

    def entries(self, cluster, what="/"):
        """The live entries of a directory, volume label and dot entries excluded."""
        data, slots, _ = self._directory(cluster, what)
        found, _, _ = parse_directory(data, slots)
        return [e for e in found if not (e.attr & ATTR_VOLUME_ID and not e.is_dir) and not e.is_dot]

    @staticmethod
    def split(path):
        parts = [p for p in path.replace("\\", "/").split("/") if p and p != "."]
        if ".." in parts:
            raise ImageError(f"'{path}': '..' is not supported in image paths")
        return parts

    def find(self, path):
        """The entry `path` names; None for the root."""
        parts = self.split(path)
        cluster, entry = 0, None
        for i, part in enumerate(parts):
            where = "/" + "/".join(parts[:i])
            if entry is not None and not entry.is_dir:
                raise NotFoundError(f"'{where}' is a file, not a directory")
            entry = next((e for e in self.entries(cluster, where) if e.matches(part)), None)
            if entry is None:
                raise NotFoundError(f"'/{'/'.join(parts[:i + 1])}': no such file or directory")
            cluster = entry.cluster
        return entry

    def list(self, path="/"):
        entry = self.find(path)
        if entry is not None and not entry.is_dir:
            return [entry]
        return self.entries(0 if entry is None else entry.cluster, path)

    def read_file(self, path):
        entry = self.find(path)
        if entry is None or entry.is_dir:
            raise ImageError(f"'{path}' is a directory, not a file")
        clusters = self.chain(entry.cluster, path)
        need = -(-entry.size // self.bpb.cluster_bytes)
        if len(clusters) < need:
            raise CorruptError(f"{path}: {entry.size} bytes but a chain of only {len(clusters)} clusters")
        data = bytearray()
        for c in clusters[:need]:
            data += self._pread(self.cluster_offset(c), self.bpb.cluster_bytes)
        return bytes(data[:entry.size])

    # --- changes --------------------------------------------------------------

    def _parent(self, path, create):
        """(cluster, display path, leaf) of the directory that holds `path`."""
        parts = self.split(path)
        if not parts:
            raise ImageError(f"'{path}' names no file")
        cluster = 0
        for i, part in enumerate(parts[:-1]):
            shown = "/" + "/".join(parts[:i + 1])
            entry = next((e for e in self.entries(cluster, shown) if e.matches(part)), None)
            if entry is None:
                if not create:
                    raise NotFoundError(f"'{shown}': no such directory")
                entry = self._make_directory(cluster, part, shown)
            elif not entry.is_dir:
                raise ImageError(f"'{shown}' is a file, not a directory")
            cluster = entry.cluster
        return cluster, "/" + "/".join(parts[:-1]), parts[-1]

    def _missing_directories(self, path):
        parts, cluster = self.split(path)[:-1], 0
        for i, part in enumerate(parts):
            shown = "/" + "/".join(parts[:i + 1])
            entry = next((e for e in self.entries(cluster, shown) if e.matches(part)), None)
            if entry is None:
                return len(parts) - i
            if not entry.is_dir:
                return 0            # _parent reports it
            cluster = entry.cluster
        return 0

    def _has_free_slot(self, cluster, where):
        data, slots, _ = self._directory(cluster, where)
        return bool(parse_directory(data, slots)[1])

    def _free_slot(self, cluster, where):
        """The offset of a free slot in the directory, growing a subdirectory
        by a zeroed cluster (linked only once it is zeroed) when it is full."""
        data, slots, clusters = self._directory(cluster, where)
        _, free, _ = parse_directory(data, slots)
        if free:
            return free[0]
        if cluster == 0:
            raise NoSpaceError(f"the root directory is full ({self.bpb.root_entries} entries)")
        if (len(clusters) + 1) * self.bpb.cluster_bytes // ENTRY_SIZE > MAX_DIRECTORY_ENTRIES:
            raise NoSpaceError(f"the directory '{where}' is full ({MAX_DIRECTORY_ENTRIES} entries)")
        (new,) = self._allocate(1, f"growing the directory '{where}'")
        self._pwrite(self.cluster_offset(new), bytes(self.bpb.cluster_bytes))
        self._barrier()
        self._set_fat(new, EOC)
        self._set_fat(clusters[-1], new)
        self._flush_fat()
        return self.cluster_offset(new)

    def _write_slot(self, offset, packed):
        self._pwrite(offset, packed)
        self._barrier()

    def _make_directory(self, parent, name, shown, epoch=None):
        epoch = self.epoch() if epoch is None else epoch
        name11 = short_name(name)
        growth = 0 if parent == 0 or self._has_free_slot(parent, shown) else 1
        self._allocate(1 + growth, f"the directory '{shown}'")
        slot = self._free_slot(parent, shown)
        (cluster,) = self._allocate(1, f"the directory '{shown}'")
        body = bytearray(self.bpb.cluster_bytes)
        body[0:32] = pack_short_entry(b".          ", ATTR_DIRECTORY, cluster, 0, epoch)
        body[32:64] = pack_short_entry(b"..         ", ATTR_DIRECTORY, parent, 0, epoch)
        self._pwrite(self.cluster_offset(cluster), bytes(body))
        self._barrier()
        self._publish_chain([cluster])
        packed = pack_short_entry(name11, ATTR_DIRECTORY, cluster, 0, epoch)
        self._write_slot(slot, packed)
        return next(e for e in self.entries(parent, shown) if e.name11 == name11)

    def mkdir(self, path):
        parent, shown, leaf = self._parent(path, create=False)
        if any(e.matches(leaf) or e.name11 == short_name(leaf) for e in self.entries(parent, shown)):
            raise ImageError(f"'{path}' already exists")
        self._make_directory(parent, leaf, path)

    def write_file(self, path, data, epoch=None, create_dirs=False):
        """Creates or atomically replaces the file `path` (an 8.3 name).

        Returns True if a file was replaced. The new chain is written and
        published before the entry points to it, so a cut leaves the old
        file or the new one, never neither (at worst lost clusters)."""
        epoch = self.epoch() if epoch is None else epoch
        name11 = short_name(self.split(path)[-1] if self.split(path) else path)
        if create_dirs:
            # Room for the directories to make, the data and a grown
            # directory, checked before the first directory is made.
            missing = self._missing_directories(path)
            if missing:
                count = -(-len(data) // self.bpb.cluster_bytes)
                self._allocate(count + 2 * missing, f"'{path}' ({len(data)} bytes) and its directories")
        parent, shown, leaf = self._parent(path, create=create_dirs)
        old = next((e for e in self.entries(parent, shown) if e.matches(leaf) or e.name11 == name11), None)
        if old is not None and old.is_dir:
            raise ImageError(f"'{path}' is a directory")
        old_chain = self.chain(old.cluster, path) if old is not None else []
        count = -(-len(data) // self.bpb.cluster_bytes)
        slot = old.slots[-1] if old is not None else None
        if slot is None:
            # Check the space for the data and for a grown directory before
            # anything changes on disk, then take the slot.
            growth = 0 if parent == 0 or self._has_free_slot(parent, shown) else 1
            self._allocate(count + growth, f"'{path}' ({len(data)} bytes)")
            slot = self._free_slot(parent, shown)
        clusters = self._allocate(count, f"'{path}' ({len(data)} bytes)" if old is None else
                                  f"'{path}' ({len(data)} bytes, written beside the old copy, which is freed "
                                  "only once the new one is in place)")
        cb = self.bpb.cluster_bytes
        for i, cluster in enumerate(clusters):
            piece = data[i * cb:(i + 1) * cb]
            self._pwrite(self.cluster_offset(cluster), piece + bytes(cb - len(piece)))
        if clusters:
            self._barrier()
            self._publish_chain(clusters)
        first = clusters[0] if clusters else 0
        if old is not None:
            clock, date = fat_timestamp(epoch)
            old.cluster, old.size, old.write_time, old.write_date, old.access_date = first, len(data), clock, \
                date, date
            old.attr |= ATTR_ARCHIVE
            self._write_slot(slot, old.packed())
            if old_chain:
                self._free_chain(old_chain)
        else:
            self._write_slot(slot, pack_short_entry(name11, ATTR_ARCHIVE, first, len(data), epoch))
        return old is not None

    def remove(self, path):
        """Deletes a file: its entries first (short entry's slot first), then its chain."""
        entry = self.find(path)
        if entry is None or entry.is_dir:
            raise ImageError(f"'{path}' is a directory; only files can be removed")
        clusters = self.chain(entry.cluster, path)   # refuse a bad chain before any change
        for offset in [entry.slots[-1]] + entry.slots[:-1]:
            self._pwrite(offset, bytes((FREE_MARK,)))
        self._barrier()
        if clusters:
            self._free_chain(clusters)

    @staticmethod
    def epoch():
        """Entry timestamps: now, or SOURCE_DATE_EPOCH for reproducible images."""
        import time
        return int(os.environ.get("SOURCE_DATE_EPOCH") or time.time())

    def label(self):
        data, slots, _ = self._directory(0, "/")
        found, _, _ = parse_directory(data, slots)
        for e in found:
            if e.attr & ATTR_VOLUME_ID and not e.is_dir and e.attr & 0x3F != 0x0F:
                return e.name11.decode("cp437").rstrip()
        return self.bpb.label.decode("cp437").rstrip()

    def close(self, finished=True):
        """Finishes: every write on disk, then the clean bit back if it was
        set. After a failure part way (finished=False) the bit stays clear,
        so fsck.fat reports the volume as not cleanly unmounted."""
        if self.fd is None:
            return
        try:
            if self._marked_dirty:
                self._barrier()
                if self.was_clean and finished:
                    self._set_fat(1, self.fat[1] | CLEAN_BIT)
                    self._flush_fat()
        finally:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, trace):
        self.close(finished=kind is None or isinstance(value, ImageError))
