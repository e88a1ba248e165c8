"""Win32_Volume on Linux: mounted filesystems, plus configured file-backed images.

Owns ``VolumeProvider`` with its long-running methods ``Format``, ``Defrag``
and ``DefragAnalysis``, and ``configured_images()`` (the images the methods
may touch). Imports model, errors and the sibling built-in modules; never the
repository, the manager or socket.

Rule 1 (safety): Format and Defrag act ONLY on regular files listed in the
        configuration (``OPENWMI_VOLUME_IMAGES``, ``os.pathsep``-separated, or
        ``[volumes] images = [...]`` in the providers config file, or the
        ``images`` given to the provider) and never on a mounted one. Any other
        volume gets Access Denied (Format 3, Defrag 1): a system volume is never
        formatted.
Rule 2: one Format/Defrag per image at a time (Format → 7 "Volume lock
        failed", Defrag → 8 "Defrag Engine Is Already Running").
Rule 3: progress goes through ``ctx.progress`` (delivered with
        WBEM_FLAG_SEND_STATUS); a cancelled call runs to completion (the
        engine detaches the client, the method is never told — spec §10.1).

Differences from Windows (also in docs/providers.md):

* ``DeviceID`` is the mount point for mounted filesystems and the image's
  real path for configured images (Windows: ``\\\\?\\Volume{GUID}\\``);
  ``DriveLetter`` is NULL; ``Name`` is the mount point or the image path.
* ``FileSystem`` values are Linux type names (``ext4``, ``xfs``) or
  ``FAT``/``FAT32``/``NTFS`` for images; an unformatted image has NULL.
* ``Format``: ``EXT4`` runs ``mkfs.ext4``; ``FAT``/``FAT32`` run
  ``mkfs.vfat`` when installed, else openwmi writes the FAT structures itself;
  ``NTFS`` (the WMI default) needs ``mkfs.ntfs``, else 1 (Unsupported file
  system). A full (non-quick) format first zeroes the whole image, reporting
  progress; ``EnableCompression`` is ignored (as documented on Windows).
* ``Defrag`` on an ext2/3/4 image runs ``e2fsck -f -y -D`` (directory
  optimisation and checking; Linux has no offline extent defragmenter),
  reporting e2fsck's progress; other file systems → 2 (Not Supported).
  Below 15 % free space it returns 4 unless ``Force``. ``DefragAnalysis``
  reports sizes and file counts from the superblock and never recommends a
  defragmentation.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ...errors import NotFoundError, NotSupportedError
from ...model import CIMInstance, ObjectPath
from .._protocol import is_cancelled, report_progress
from ._common import computer_name, key_of
from ._disk import Mount, drive_type, mounts
from ._fat import FatError, FsInfo, sniff, write_fat

__all__ = ["VolumeProvider", "configured_images"]

ENV_IMAGES = "OPENWMI_VOLUME_IMAGES"
_CHUNK = 1 << 20

# Format return values (spec §10.1)
F_OK, F_UNSUPPORTED_FS, F_ACCESS_DENIED = 0, 1, 3
F_LOCK_FAILED, F_IO_ERROR, F_BAD_LABEL = 7, 9, 10
F_CLUSTER_TOO_SMALL, F_CLUSTER_TOO_LARGE, F_UNKNOWN = 15, 16, 18
# Defrag return values
D_OK, D_ACCESS_DENIED, D_NOT_SUPPORTED, D_NO_SPACE = 0, 1, 2, 4
D_BUSY, D_NO_ENGINE, D_ENGINE_ERROR, D_UNKNOWN = 8, 9, 10, 11

_FAT_BAD = set('*?./\\|,;:+=[]<>"')
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

StepHook = Callable[[str, int], None]


def configured_images(extra: Sequence[str] = ()) -> list[str]:
    """Real paths of the configured volume images that exist as regular files."""
    paths = [
        *extra,
        *(p for p in os.environ.get(ENV_IMAGES, "").split(os.pathsep) if p),
    ]
    out: list[str] = []
    for p in paths:
        real = os.path.realpath(os.path.expanduser(p))
        if os.path.isfile(real) and real not in out:
            out.append(real)
    return out


def _image_lock(image: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(image, threading.Lock())


def _mounted_backing_files() -> set[str]:
    """Files behind loop devices (a mounted or attached image is busy)."""
    out: set[str] = set()
    with contextlib.suppress(OSError):
        for dev in os.listdir("/sys/block"):
            if dev.startswith("loop"):
                try:
                    with open(f"/sys/block/{dev}/loop/backing_file") as f:
                        out.add(os.path.realpath(f.read().strip()))
                except OSError:
                    continue
    return out


class VolumeProvider:
    """``Win32_Volume`` with Format / Defrag / DefragAnalysis.

    Args:
        images: image paths allowed besides the configuration (tests, embedders).
        step_hook: called as ``step_hook(method, percent)`` at each progress
            step, on the method's thread — a seam for tests to hold a
            long-running method at a known point (never needed in production).
    """

    classname = "Win32_Volume"

    def __init__(
        self,
        images: Sequence[str] = (),
        *,
        step_hook: StepHook | None = None,
    ) -> None:
        self._images = list(images)
        self._step_hook = step_hook

    def images(self) -> list[str]:
        return configured_images(self._images)

    # --- instances ---------------------------------------------------------------
    def _mounted(self, m: Mount) -> dict[str, Any]:
        values: dict[str, Any] = {
            "DeviceID": m.mountpoint,
            "Name": m.mountpoint,
            "Caption": m.mountpoint,
            "DriveLetter": None,
            "DriveType": drive_type(m),
            "FileSystem": m.fstype,
            "Automount": True,
            "BootVolume": m.mountpoint in ("/", "/boot"),
            "SystemVolume": m.mountpoint == "/",
            "Compressed": False,
            "IndexingEnabled": False,
            "PageFilePresent": False,
            "Access": 1 if m.read_only else 3,
            "CreationClassName": "Win32_Volume",
            "SystemCreationClassName": "Win32_ComputerSystem",
            "SystemName": computer_name(),
        }
        try:
            st = os.statvfs(m.mountpoint)
        except OSError:
            values["Status"] = "No Contact"
            return values
        values.update(
            Capacity=st.f_blocks * st.f_frsize,
            FreeSpace=st.f_bavail * st.f_frsize,
            BlockSize=st.f_bsize,
            NumberOfBlocks=st.f_blocks,
            MaximumFileNameLength=st.f_namemax,
            Status="OK",
        )
        return values

    def _image(self, image: str) -> dict[str, Any]:
        size = os.path.getsize(image)
        with open(image, "rb") as f:
            info = sniff(f, size)
        return {
            "DeviceID": image,
            "Name": image,
            "Caption": image,
            "Description": "file-backed volume image",
            "DriveLetter": None,
            "DriveType": 3,
            "FileSystem": info.filesystem,
            "Label": info.label,
            "SerialNumber": info.serial,
            "Capacity": info.capacity if info.capacity is not None else size,
            "FreeSpace": info.free,
            "Automount": False,
            "BootVolume": False,
            "SystemVolume": False,
            "Compressed": False,
            "Access": 3,
            "CreationClassName": "Win32_Volume",
            "SystemCreationClassName": "Win32_ComputerSystem",
            "SystemName": computer_name(),
            "Status": "OK",
        }

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        for m in mounts():
            if is_cancelled(ctx):
                return
            yield self._mounted(m)
        for image in self.images():
            yield self._image(image)

    def get_instance(self, ctx: Any, path: ObjectPath) -> dict[str, Any]:
        wanted = str(key_of(path, "DeviceID"))
        if os.path.realpath(wanted) in self.images():
            return self._image(os.path.realpath(wanted))
        for m in mounts():
            if m.mountpoint == wanted:
                return self._mounted(m)
        raise NotFoundError(f"{path.relpath}: no such volume")

    # --- methods -----------------------------------------------------------------
    def invoke_method(
        self, ctx: Any, path: ObjectPath, method: str, in_params: dict[str, Any]
    ) -> dict[str, Any]:
        wanted = str(key_of(path, "DeviceID"))
        image = os.path.realpath(wanted)
        allowed = image in self.images() and image not in _mounted_backing_files()
        if not allowed:
            self.get_instance(ctx, path)  # NOT_FOUND for an unknown volume
        name = method.lower()
        if name == "format":
            if not allowed:
                return {"ReturnValue": F_ACCESS_DENIED}
            return {
                "ReturnValue": self._locked(
                    image, F_LOCK_FAILED, lambda: self._format(ctx, image, in_params)
                )
            }
        if name in ("defrag", "defraganalysis"):
            if not allowed:
                return {"ReturnValue": D_ACCESS_DENIED}
            out: dict[str, Any] = {}

            def run() -> int:
                if name == "defrag":
                    return self._defrag(ctx, image, bool(in_params.get("Force")), out)
                return self._analysis(image, out)

            code = self._locked(image, D_BUSY, run)
            return {"ReturnValue": code, **out}
        raise NotSupportedError(f"Win32_Volume.{method} is not implemented on Linux")

    def _locked(self, image: str, busy: int, fn: Callable[[], int]) -> int:
        lock = _image_lock(image)
        if not lock.acquire(blocking=False):
            return busy
        try:
            return fn()
        finally:
            lock.release()

    def _step(self, ctx: Any, method: str, percent: int, message: str) -> None:
        report_progress(ctx, percent, message)
        if self._step_hook is not None:
            self._step_hook(method, percent)

    # Format -----------------------------------------------------------------------
    def _format(self, ctx: Any, image: str, params: dict[str, Any]) -> int:
        fs = str(params.get("FileSystem") or "NTFS").upper()
        quick = bool(params.get("QuickFormat"))
        cluster = params.get("ClusterSize") or 4096
        label = params.get("Label") or ""
        if fs not in ("NTFS", "FAT", "FAT32", "EXT4"):
            return F_UNSUPPORTED_FS
        max_label = {"NTFS": 32, "EXT4": 16}.get(fs, 11)
        if len(label) > max_label or (fs.startswith("FAT") and _FAT_BAD & set(label)):
            return F_BAD_LABEL
        if cluster < 512:
            return F_CLUSTER_TOO_SMALL
        if cluster > 65536 or (fs == "EXT4" and cluster > 65536):
            return F_CLUSTER_TOO_LARGE
        if cluster & (cluster - 1):
            return F_UNKNOWN
        tool = {
            "NTFS": shutil.which("mkfs.ntfs"),
            "EXT4": shutil.which("mkfs.ext4"),
        }.get(fs, shutil.which("mkfs.vfat"))
        if fs in ("NTFS", "EXT4") and tool is None:
            return F_UNSUPPORTED_FS
        size = os.path.getsize(image)
        self._step(ctx, "Format", 0, f"formatting {image} as {fs}")
        try:
            if not quick:
                self._zero(ctx, image, size)
            self._step(ctx, "Format", 90, "writing file system structures")
            code = self._make_fs(image, size, fs, tool, cluster, label)
        except OSError:
            return F_IO_ERROR
        if code == F_OK:
            self._step(ctx, "Format", 100, "format complete")
        return code

    def _zero(self, ctx: Any, image: str, size: int) -> None:
        zero = bytes(_CHUNK)
        done = 0
        with open(image, "r+b") as f:
            while done < size:
                n = min(_CHUNK, size - done)
                f.write(zero[:n])
                done += n
                self._step(ctx, "Format", done * 90 // max(size, 1), "zeroing")
            f.flush()
            os.fsync(f.fileno())

    def _make_fs(
        self, image: str, size: int, fs: str, tool: str | None, cluster: int, label: str
    ) -> int:
        if fs in ("FAT", "FAT32") and tool is None:
            try:
                with open(image, "r+b") as f:
                    write_fat(
                        f, size, fat32=fs == "FAT32", cluster_size=cluster, label=label
                    )
            except FatError as exc:
                return exc.code
            return F_OK
        assert tool is not None
        if fs == "EXT4":
            argv = [tool, "-F", "-q", "-b", str(max(1024, cluster))]
            if label:
                argv += ["-L", label]
        elif fs == "NTFS":
            argv = [tool, "-F", "-Q", "-c", str(cluster)]
            if label:
                argv += ["-L", label]
        else:
            argv = [tool, "-F", "32" if fs == "FAT32" else "16", "-S", "512"]
            argv += ["-s", str(max(1, cluster // 512))]
            if label:
                argv += ["-n", label.upper()]
        argv.append(image)
        result = subprocess.run(argv, capture_output=True, check=False, timeout=3600)
        return F_OK if result.returncode == 0 else F_IO_ERROR

    # Defrag -----------------------------------------------------------------------
    def _info(self, image: str) -> FsInfo:
        size = os.path.getsize(image)
        with open(image, "rb") as f:
            return sniff(f, size)

    def _analysis_instance(self, info: FsInfo) -> CIMInstance:
        used = (
            (info.capacity or 0) - (info.free or 0) if info.free is not None else None
        )
        return CIMInstance(
            "Win32_DefragAnalysis",
            {
                "VolumeSize": info.capacity,
                "FreeSpace": info.free,
                "UsedSpace": used,
                "TotalFiles": info.files,
                "TotalFragmentedFiles": 0,
                "FilePercentFragmentation": 0,
            },
        )

    def _analysis(self, image: str, out: dict[str, Any]) -> int:
        info = self._info(image)
        if info.filesystem is None or not info.filesystem.startswith("ext"):
            return D_NOT_SUPPORTED
        out["DefragRecommended"] = False
        out["DefragAnalysis"] = self._analysis_instance(info)
        return D_OK

    def _defrag(self, ctx: Any, image: str, force: bool, out: dict[str, Any]) -> int:
        info = self._info(image)
        if info.filesystem is None or not info.filesystem.startswith("ext"):
            return D_NOT_SUPPORTED
        if not force and info.capacity and (info.free or 0) * 100 < info.capacity * 15:
            return D_NO_SPACE
        e2fsck = shutil.which("e2fsck")
        if e2fsck is None:
            return D_NO_ENGINE
        self._step(ctx, "Defrag", 0, f"optimising {image}")
        read_fd, write_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                [e2fsck, "-f", "-y", "-D", "-C", str(write_fd), image],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(write_fd,),
            )
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return D_NO_ENGINE
        os.close(write_fd)
        last = 0
        with os.fdopen(read_fd, "rb") as progress:
            for line in progress:
                parts = line.split()
                if len(parts) < 3 or not all(p.isdigit() for p in parts[:3]):
                    continue
                phase, cur, total = (int(p) for p in parts[:3])
                pct = min(99, ((phase - 1) * 100 + cur * 100 // max(total, 1)) // 5)
                if pct > last:
                    last = pct
                    self._step(ctx, "Defrag", pct, f"pass {phase}")
        rc = proc.wait()
        if rc & ~3:  # 0 clean, 1 fixed, 2 fixed (reboot): anything else failed
            return D_ENGINE_ERROR
        self._step(ctx, "Defrag", 100, "defragmentation complete")
        out["DefragAnalysis"] = self._analysis_instance(self._info(image))
        return D_OK
