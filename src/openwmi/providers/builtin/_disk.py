"""Win32_LogicalDisk on Linux: the mount table (/proc/self/mounts) and ``os.statvfs``.

Owns ``Mount`` / ``mounts()`` (the mounted filesystems that are storage, not
kernel pseudo filesystems), the WMI ``DriveType`` rules, and
``LogicalDiskProvider``. Imports model, errors and the sibling built-in
modules; never the repository, the manager or socket.

Differences from Windows (also in docs/providers.md):

* There are no drive letters: ``DeviceID``, ``Name`` and ``Caption`` are the
  mount point (``/``, ``/home``); ``Win32_LogicalDisk.DeviceID="/"``.
* ``DriveType``: 2 removable (the block device's ``removable`` flag), 3 local
  disk, 4 network (nfs, cifs, sshfs …, ``ProviderName`` is the source), 5
  optical (iso9660, udf), 6 RAM disk (tmpfs, ramfs). Kernel pseudo
  filesystems (proc, sysfs, cgroup …) and mounts below /proc, /sys and /dev
  (except /dev/shm) are not listed.
* ``FreeSpace`` is ``f_bavail x f_frsize`` (what ``df`` calls Avail, i.e. not
  counting blocks reserved for root); ``Size`` is ``f_blocks x f_frsize``.
* ``FileSystem`` is the Linux type name (``ext4``, ``xfs``, ``tmpfs``);
  ``VolumeName`` is the filesystem label and ``VolumeSerialNumber`` the
  filesystem UUID when udev publishes them in /dev/disk/by-label|by-uuid.
* The object manager is not told about mounts: each call reads the table.
  ``Win32_LogicalDiskToPartition`` is not provided (no partition classes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import NotFoundError
from ...model import ObjectPath
from .._protocol import is_cancelled
from ._common import computer_name, key_of

__all__ = ["LogicalDiskProvider", "Mount", "drive_type", "mounts"]

PSEUDO_FS = frozenset(
    {
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "securityfs",
        "debugfs",
        "tracefs",
        "pstore",
        "bpf",
        "mqueue",
        "hugetlbfs",
        "configfs",
        "fusectl",
        "autofs",
        "binfmt_misc",
        "nsfs",
        "rpc_pipefs",
        "selinuxfs",
        "efivarfs",
        "nfsd",
        "fuse.gvfsd-fuse",
        "fuse.portal",
    }
)
NETWORK_FS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "sshfs",
        "fuse.sshfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "davfs",
        "fuse.rclone",
    }
)
OPTICAL_FS = frozenset({"iso9660", "udf"})
RAM_FS = frozenset({"tmpfs", "ramfs"})
_HIDDEN_PREFIXES = ("/proc/", "/sys/", "/dev/")

DRIVE_DESCRIPTION = {
    0: "Unknown",
    2: "Removable Disk",
    3: "Local Fixed Disk",
    4: "Network Connection",
    5: "CD-ROM Disc",
    6: "RAM Disk",
}


@dataclass(frozen=True, slots=True)
class Mount:
    """One mounted filesystem."""

    source: str
    mountpoint: str
    fstype: str
    options: tuple[str, ...]

    @property
    def read_only(self) -> bool:
        return "ro" in self.options


def _unescape(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as octal (\040)
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _visible(mountpoint: str, fstype: str) -> bool:
    if fstype in PSEUDO_FS:
        return False
    if mountpoint in ("/proc", "/sys", "/dev"):
        return False
    return mountpoint == "/dev/shm" or not mountpoint.startswith(_HIDDEN_PREFIXES)


def mounts(table: str = "/proc/self/mounts") -> list[Mount]:
    """The storage filesystems, one per mount point (the last mount wins)."""
    try:
        with open(table, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    by_point: dict[str, Mount] = {}
    for line in lines:
        parts = line.split()
        if len(parts) < 4:
            continue
        point, fstype = _unescape(parts[1]), parts[2]
        if not _visible(point, fstype):
            continue
        by_point.pop(point, None)  # keep mount order, last mount wins
        by_point[point] = Mount(
            _unescape(parts[0]), point, fstype, tuple(parts[3].split(","))
        )
    return list(by_point.values())


def _removable(source: str) -> bool:
    if not source.startswith("/dev/"):
        return False
    dev = os.path.basename(os.path.realpath(source))
    for name in (dev, dev.rstrip("0123456789").removesuffix("p")):
        flag = f"/sys/class/block/{name}/removable"
        try:
            with open(flag) as f:
                return f.read().strip() == "1"
        except OSError:
            continue
    return False


def drive_type(m: Mount) -> int:
    """WMI DriveType for a mount (see the module docstring)."""
    if m.fstype in NETWORK_FS or m.source.startswith("//"):
        return 4
    if m.fstype in OPTICAL_FS:
        return 5
    if m.fstype in RAM_FS:
        return 6
    if _removable(m.source):
        return 2
    return 3


def _by_link(directory: str) -> dict[str, str]:
    """/dev/disk/by-<x>: resolved device → link name."""
    out: dict[str, str] = {}
    try:
        names = os.listdir(directory)
    except OSError:
        return out
    for name in names:
        out[os.path.realpath(os.path.join(directory, name))] = _unescape(
            name.replace("\\x", "\\")
        )
    return out


class LogicalDiskProvider:
    """``Win32_LogicalDisk``: one instance per mounted storage filesystem."""

    classname = "Win32_LogicalDisk"

    def _values(
        self, m: Mount, labels: dict[str, str], uuids: dict[str, str]
    ) -> dict[str, Any]:
        dtype = drive_type(m)
        values: dict[str, Any] = {
            "DeviceID": m.mountpoint,
            "Name": m.mountpoint,
            "Caption": m.mountpoint,
            "Description": DRIVE_DESCRIPTION.get(dtype, "Unknown"),
            "DriveType": dtype,
            "FileSystem": m.fstype,
            "ProviderName": m.source if dtype == 4 else None,
            "MediaType": {2: 11, 3: 12}.get(dtype, 0),
            "Access": 1 if m.read_only else 3,
            "Compressed": False,
            "CreationClassName": "Win32_LogicalDisk",
            "SystemCreationClassName": "Win32_ComputerSystem",
            "SystemName": computer_name(),
        }
        dev = os.path.realpath(m.source) if m.source.startswith("/") else None
        if dev is not None:
            values["VolumeName"] = labels.get(dev)
            values["VolumeSerialNumber"] = uuids.get(dev)
        try:
            st = os.statvfs(m.mountpoint)
        except OSError:
            values["Status"] = "No Contact"
            return values
        values.update(
            Size=st.f_blocks * st.f_frsize,
            FreeSpace=st.f_bavail * st.f_frsize,
            BlockSize=st.f_bsize,
            NumberOfBlocks=st.f_blocks,
            MaximumComponentLength=st.f_namemax,
            Status="OK",
        )
        return values

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        labels, uuids = _by_link("/dev/disk/by-label"), _by_link("/dev/disk/by-uuid")
        for m in mounts():
            if is_cancelled(ctx):
                return
            yield self._values(m, labels, uuids)

    def get_instance(self, ctx: Any, path: ObjectPath) -> dict[str, Any]:
        wanted = str(key_of(path, "DeviceID"))
        for m in mounts():
            if m.mountpoint == wanted:
                return self._values(
                    m, _by_link("/dev/disk/by-label"), _by_link("/dev/disk/by-uuid")
                )
        raise NotFoundError(f"{path.relpath}: nothing is mounted at {wanted!r}")
