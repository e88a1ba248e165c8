"""Win32_Volume Format / Defrag on a small file-backed image made by the test:
real work, progress with WBEM_FLAG_SEND_STATUS, a mid-call cancel that the
format survives, and the safety rule (never a system volume)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

import openwmi
from openwmi.constants import WBEM_FLAG_SEND_STATUS
from openwmi.errors import HResult, NotFoundError
from openwmi.providers import install_builtin
from openwmi.providers.builtin import VolumeProvider
from openwmi.providers.builtin._fat import FatError, sniff, write_fat
from openwmi.testing import RecordingSink, assert_call_invariants

SIZE = 8 << 20
HAS_MKFS_EXT4 = shutil.which("mkfs.ext4") is not None
needs_ext4 = pytest.mark.skipif(not HAS_MKFS_EXT4, reason="mkfs.ext4 is not installed")


Vol = tuple[openwmi.Services, str, "Holder"]


class Holder:
    """A step hook that holds the method at its first step past ``at`` percent."""

    def __init__(self, at: int = 1) -> None:
        self.at = at
        self.reached = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        self.steps: list[tuple[str, int]] = []

    def __call__(self, method: str, percent: int) -> None:
        self.steps.append((method, percent))
        if percent >= self.at and not self.reached.is_set():
            self.reached.set()
            assert self.release.wait(30), "the test never released the method"
        if percent == 100:
            self.done.set()


@pytest.fixture
def image(tmp_path: Path) -> str:
    path = tmp_path / "volume.img"
    with open(path, "wb") as f:
        f.truncate(SIZE)
    return str(path)


@pytest.fixture
def vol(svc: openwmi.Services, image: str) -> Vol:
    holder = Holder(at=1000)  # never holds unless a test lowers it
    install_builtin(
        svc, overrides={"Win32_Volume": VolumeProvider([image], step_hook=holder)}
    )
    return svc, f'Win32_Volume.DeviceID="{os.path.realpath(image)}"', holder


def test_image_listed_as_volume(vol: Vol) -> None:
    svc, path, _ = vol
    ids = [v.DeviceID for v in svc.create_instance_enum("Win32_Volume")]
    assert os.path.realpath(path.split('"')[1]) in ids
    inst = svc.get_object(path)
    assert inst.FileSystem is None  # unformatted
    assert inst.Capacity == SIZE
    assert inst.SystemVolume is False


@needs_ext4
def test_format_ext4_then_defrag(vol: Vol) -> None:
    svc, path, holder = vol
    out = svc.exec_method(
        path, "Format", {"FileSystem": "EXT4", "QuickFormat": True, "Label": "data"}
    )
    assert out.ReturnValue == 0
    inst = svc.get_object(path)
    assert inst.FileSystem == "ext4"
    assert inst.Label == "data"
    assert 0 < inst.FreeSpace < inst.Capacity <= SIZE
    analysis = svc.exec_method(path, "DefragAnalysis")
    assert analysis.ReturnValue == 0
    assert analysis.DefragRecommended is False
    assert analysis.DefragAnalysis.VolumeSize == inst.Capacity
    out = svc.exec_method(path, "Defrag", {"Force": False})
    assert out.ReturnValue == 0
    assert out.DefragAnalysis.FreeSpace > 0
    assert ("Defrag", 100) in holder.steps


def test_format_fat_writes_a_real_filesystem(vol: Vol) -> None:
    svc, path, _ = vol
    out = svc.exec_method(
        path, "Format", {"FileSystem": "FAT", "QuickFormat": True, "Label": "OPENWMI"}
    )
    assert out.ReturnValue == 0
    inst = svc.get_object(path)
    assert inst.FileSystem == "FAT"
    assert inst.Label == "OPENWMI"
    assert (
        svc.exec_method(path, "Defrag", {"Force": True}).ReturnValue == 2
    )  # not supported on FAT


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({"FileSystem": "XFS"}, 1, id="unsupported-fs"),
        pytest.param(
            {"FileSystem": "FAT", "Label": "WAY TOO LONG LABEL"},
            10,
            id="label-too-long",
        ),
        pytest.param({"FileSystem": "FAT", "Label": "A*B"}, 10, id="label-bad-char"),
        pytest.param(
            {"FileSystem": "FAT", "ClusterSize": 256}, 15, id="cluster-too-small"
        ),
        pytest.param(
            {"FileSystem": "FAT", "ClusterSize": 1 << 20}, 16, id="cluster-too-large"
        ),
    ],
)
def test_format_return_codes(vol: Vol, params: dict[str, Any], code: int) -> None:
    svc, path, _ = vol
    assert (
        svc.exec_method(path, "Format", {"QuickFormat": True, **params}).ReturnValue
        == code
    )


def test_fat32_needs_a_bigger_volume(tmp_path: Path) -> None:
    img = tmp_path / "small.img"
    with open(img, "w+b") as f:
        f.truncate(SIZE)
        with pytest.raises(FatError) as exc:
            write_fat(f, SIZE, fat32=True, cluster_size=4096, label="")
        assert exc.value.code == 12  # Volume is too small
        assert write_fat(f, SIZE, fat32=False, cluster_size=4096, label="x") in (
            "FAT12",
            "FAT16",
        )
        assert sniff(f, SIZE).filesystem == "FAT"
    big = tmp_path / "big.img"
    with open(big, "w+b") as f:
        f.truncate(300 << 20)  # sparse
        assert (
            write_fat(f, 300 << 20, fat32=True, cluster_size=4096, label="BIG")
            == "FAT32"
        )
        info = sniff(f, 300 << 20)
        assert (info.filesystem, info.label) == ("FAT32", "BIG")


def test_system_volume_is_never_formatted(vol: Vol) -> None:
    svc, _, _ = vol
    root = 'Win32_Volume.DeviceID="/"'
    before = os.statvfs("/").f_blocks
    assert (
        svc.exec_method(
            root, "Format", {"FileSystem": "EXT4", "QuickFormat": True}
        ).ReturnValue
        == 3
    )
    assert svc.exec_method(root, "Defrag", {"Force": True}).ReturnValue == 1
    assert os.statvfs("/").f_blocks == before
    with pytest.raises(NotFoundError):
        svc.exec_method('Win32_Volume.DeviceID="/no/such/volume"', "Format", {})


def test_unlisted_image_is_refused(vol: Vol, tmp_path: Path) -> None:
    svc, _, _ = vol
    other = tmp_path / "other.img"
    other.write_bytes(bytes(4096))
    with pytest.raises(NotFoundError):  # not configured: not a volume at all
        svc.exec_method(
            f'Win32_Volume.DeviceID="{other}"', "Format", {"FileSystem": "FAT"}
        )
    assert other.read_bytes() == bytes(4096)


def test_format_async_reports_progress(vol: Vol) -> None:
    """A full format zeroes the image chunk by chunk, reporting progress."""
    svc, path, _ = vol
    sink = RecordingSink()
    svc.exec_method_async(
        path,
        "Format",
        {"FileSystem": "FAT", "QuickFormat": False},
        sink,
        WBEM_FLAG_SEND_STATUS,
    )
    engine = svc._shared.engine()  # the invariant checker needs it
    assert assert_call_invariants(sink, engine) == HResult.WBEM_S_NO_ERROR
    (out,) = sink.objects
    assert out.ReturnValue == 0
    percents = [(hr & 0xFFFF) for hr, _ in sink.progress]
    assert len(percents) >= 8  # one per MiB zeroed, plus start and end
    assert percents == sorted(percents)
    assert percents[-1] == 100
    assert all(hr >> 16 == 100 for hr, _ in sink.progress)


def test_no_progress_without_send_status(vol: Vol) -> None:
    svc, path, _ = vol
    sink = RecordingSink()
    svc.exec_method_async(
        path, "Format", {"FileSystem": "FAT", "QuickFormat": False}, sink
    )
    assert sink.wait_final() == HResult.WBEM_S_NO_ERROR
    assert sink.progress == []


def test_cancelled_format_runs_to_completion(vol: Vol) -> None:
    """spec §10.1: cancel → the client gets WBEM_E_CALL_CANCELLED; the provider
    is not told and the format completes."""
    svc, path, holder = vol
    holder.at = 1
    sink = RecordingSink()
    svc.exec_method_async(
        path,
        "Format",
        {"FileSystem": "FAT", "QuickFormat": False, "Label": "DONE"},
        sink,
        WBEM_FLAG_SEND_STATUS,
    )
    assert holder.reached.wait(20)
    svc.cancel_async_call(sink)
    assert sink.wait_final() == HResult.WBEM_E_CALL_CANCELLED
    holder.release.set()
    assert holder.done.wait(20)  # the format went on to 100 %
    engine = svc._shared.engine()
    assert engine.wait_idle(20)
    assert sink.objects == []  # late out-parameters dropped
    assert_call_invariants(sink, engine)
    inst = svc.get_object(path)
    assert (inst.FileSystem, inst.Label) == ("FAT", "DONE")


def test_one_operation_per_image(vol: Vol) -> None:
    """Rule 2: while a Format holds the image, Format → 7 and Defrag → 8."""
    svc, path, holder = vol
    holder.at = 1
    sink = RecordingSink()
    svc.exec_method_async(
        path, "Format", {"FileSystem": "FAT", "QuickFormat": False}, sink
    )
    assert holder.reached.wait(20)
    try:
        assert svc.exec_method(path, "Format", {"FileSystem": "FAT"}).ReturnValue == 7
        assert svc.exec_method(path, "Defrag", {"Force": True}).ReturnValue == 8
    finally:
        holder.release.set()
    assert sink.wait_final() == HResult.WBEM_S_NO_ERROR
