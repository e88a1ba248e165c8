"""A minimal FAT12/FAT16/FAT32 formatter and a filesystem sniffer for volume images.

Owns ``write_fat`` (lays down a valid, empty FAT filesystem — boot sector,
FSInfo and backup boot sector for FAT32, two FATs, an empty root directory
with the volume label — used by ``Win32_Volume.Format`` when ``mkfs.vfat`` is
not installed) and ``sniff`` (file system type, label, serial, size and free
space of an image from its on-disk header). Pure stdlib; imports nothing from
openwmi.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["FatError", "FsInfo", "sniff", "write_fat"]

SECTOR = 512
_FAT12_MAX, _FAT16_MAX, _FAT32_MIN = 4084, 65524, 65525
_FAT32_MAX = 0x0FFFFFF5


class FatError(Exception):
    """Carries the Win32_Volume.Format return value (12 too small, 13 too large…)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _layout(total: int, spc: int, fat32: bool) -> tuple[int, int, int, int]:
    """(reserved, root_sectors, fat_sectors, clusters) for ``total`` sectors."""
    reserved = 32 if fat32 else 1
    root_sectors = 0 if fat32 else 32  # 512 root entries
    fat_sectors = 1
    for _ in range(32):
        data = total - reserved - root_sectors - 2 * fat_sectors
        clusters = max(0, data // spc)
        if fat32:
            need = (clusters + 2) * 4
        elif clusters <= _FAT12_MAX:
            need = (clusters + 2) * 3 // 2 + 1
        else:
            need = (clusters + 2) * 2
        new = -(-need // SECTOR)
        if new == fat_sectors:
            break
        fat_sectors = new
    return reserved, root_sectors, fat_sectors, clusters


def write_fat(
    f: BinaryIO, size: int, *, fat32: bool, cluster_size: int, label: str
) -> str:
    """Format the first ``size`` bytes of ``f``; returns "FAT12"/"FAT16"/"FAT32".

    Raises:
        FatError: 12 volume too small, 13 too large, 15/16 cluster size too
            small/large (the Win32_Volume.Format return values).
    """
    if cluster_size < SECTOR:
        raise FatError(15, f"cluster size {cluster_size} is below {SECTOR}")
    if cluster_size > 65536 or cluster_size & (cluster_size - 1):
        raise FatError(16, f"cluster size {cluster_size} is not a power of two ≤ 64K")
    spc = cluster_size // SECTOR
    total = size // SECTOR
    reserved, root_sectors, fat_sectors, clusters = _layout(total, spc, fat32)
    if fat32:
        if clusters < _FAT32_MIN:
            raise FatError(
                12, f"FAT32 needs {_FAT32_MIN} clusters; this volume has {clusters}"
            )
        if clusters > _FAT32_MAX:
            raise FatError(13, "too many clusters for FAT32")
        kind = "FAT32"
    elif clusters < 16:
        raise FatError(12, f"the volume has only {clusters} clusters")
    elif clusters > _FAT16_MAX:
        raise FatError(13, "too many clusters for FAT16; use FAT32")
    else:
        kind = "FAT12" if clusters <= _FAT12_MAX else "FAT16"
    serial = uuid.uuid4().int & 0xFFFFFFFF
    vol_label = (label or "NO NAME").upper().ljust(11)[:11].encode("ascii")
    total16 = total if total < 0x10000 and not fat32 else 0
    bpb = struct.pack(
        "<3s8sHBHBHHBHHHII",
        b"\xeb\x58\x90" if fat32 else b"\xeb\x3c\x90",
        b"OPENWMI ",
        SECTOR,
        spc,
        reserved,
        2,
        0 if fat32 else 512,
        total16,
        0xF8,
        0 if fat32 else fat_sectors,
        32,
        64,
        0,
        0 if total16 else total,
    )
    if fat32:
        ext = struct.pack(
            "<IHHIHH12sBBBI11s8s",
            fat_sectors,
            0,
            0,
            2,
            1,
            6,
            b"",
            0x80,
            0,
            0x29,
            serial,
            vol_label,
            b"FAT32   ",
        )
    else:
        ext = struct.pack(
            "<BBBI11s8s", 0x80, 0, 0x29, serial, vol_label, kind.encode().ljust(8)
        )
    boot = bytearray(SECTOR)
    boot[: len(bpb) + len(ext)] = bpb + ext
    boot[510:512] = b"\x55\xaa"
    # zero the system area (reserved + FATs + root directory / root cluster)
    system = reserved + 2 * fat_sectors + (root_sectors if not fat32 else spc)
    f.seek(0)
    zero = bytes(SECTOR * 64)
    left = system * SECTOR
    while left > 0:
        n = min(left, len(zero))
        f.write(zero[:n])
        left -= n
    f.seek(0)
    f.write(boot)
    if fat32:
        info = bytearray(SECTOR)
        struct.pack_into("<I", info, 0, 0x41615252)
        struct.pack_into("<III", info, 484, 0x61417272, clusters - 1, 3)
        struct.pack_into("<I", info, 508, 0xAA550000)
        f.seek(SECTOR)
        f.write(info)
        f.seek(6 * SECTOR)
        f.write(boot)
        f.write(info)
        first = struct.pack("<III", 0x0FFFFFF8, 0x0FFFFFFF, 0x0FFFFFFF)
    elif kind == "FAT16":
        first = struct.pack("<HH", 0xFFF8, 0xFFFF)
    else:
        first = b"\xf8\xff\xff"
    for i in range(2):
        f.seek((reserved + i * fat_sectors) * SECTOR)
        f.write(first)
    # the label as the first root directory entry (attribute 0x08)
    root = reserved + 2 * fat_sectors
    f.seek(root * SECTOR)
    f.write(vol_label + b"\x08" + bytes(20))
    f.flush()
    return kind


@dataclass(frozen=True, slots=True)
class FsInfo:
    """What an image's header says."""

    filesystem: str | None
    label: str | None = None
    serial: int | None = None
    capacity: int | None = None
    free: int | None = None
    files: int | None = None


def sniff(f: BinaryIO, size: int) -> FsInfo:
    """Recognise ext2/3/4, FAT12/16/32 and NTFS from the image header."""
    f.seek(0)
    head = f.read(4096)
    if len(head) >= 2048 and head[1024 + 56 : 1024 + 58] == b"\x53\xef":
        sb = head[1024:2048]
        inodes, blocks_lo, _, free_lo, free_inodes, _, log_block = struct.unpack_from(
            "<IIIIIII", sb, 0
        )
        incompat = struct.unpack_from("<I", sb, 96)[0]
        block = 1024 << log_block
        blocks, free = blocks_lo, free_lo
        if incompat & 0x80:  # 64bit
            blocks |= struct.unpack_from("<I", sb, 0x150)[0] << 32
            free |= struct.unpack_from("<I", sb, 0x158)[0] << 32
        has_journal = bool(struct.unpack_from("<I", sb, 92)[0] & 0x4)
        kind = "ext4" if incompat & 0x40 else "ext3" if has_journal else "ext2"
        label = sb[120:136].split(b"\0", 1)[0].decode("utf-8", "replace")
        return FsInfo(
            kind,
            label or None,
            struct.unpack_from("<I", sb, 104)[0],
            blocks * block,
            free * block,
            inodes - free_inodes,
        )
    if len(head) >= SECTOR and head[510:512] == b"\x55\xaa":
        if head[3:11] == b"NTFS    ":
            return FsInfo("NTFS", None, struct.unpack_from("<I", head, 72)[0], size)
        if head[82:87] == b"FAT32":
            serial, label = struct.unpack_from("<I11s", head, 67)
            return FsInfo("FAT32", _fat_label(label), serial, size)
        if head[54:59] in (b"FAT12", b"FAT16"):
            serial, label = struct.unpack_from("<I11s", head, 39)
            return FsInfo("FAT", _fat_label(label), serial, size)
    return FsInfo(None, capacity=size)


def _fat_label(raw: bytes) -> str | None:
    text = raw.decode("ascii", "replace").strip()
    return None if text in ("", "NO NAME") else text
