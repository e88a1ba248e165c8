"""Win32_OperatingSystem, Win32_ComputerSystem, Win32_Processor and their associations.

Owns the providers of the machine-level classes, fed from /etc/os-release,
``os.uname``, /proc/cpuinfo, /sys/class/dmi and psutil. Imports model, errors
and the sibling built-in modules; never the repository, the manager or socket.

Differences from Windows (also in docs/providers.md):

* ``Win32_OperatingSystem`` is a singleton (``Win32_OperatingSystem=@``) as
  on Windows. ``Name`` keeps WMI's ``Caption|SystemDirectory|BootDevice``
  shape: ``Debian GNU/Linux 12 (bookworm)|/|/dev/vda``. ``Version`` and
  ``BuildNumber`` are the kernel release; ``OSType`` is 36 (CIM ``LINUX``);
  ``Manufacturer`` is the distribution's ``NAME``; memory figures are in KB
  as on Windows; ``TotalVirtualMemorySize``/``FreeVirtualMemory`` are RAM +
  swap; ``SystemDirectory``/``WindowsDirectory`` are ``/``; ``OSLanguage``,
  ``SerialNumber``, ``RegisteredUser`` and ``ProductType`` are NULL.
  Methods (Reboot, Shutdown, Win32Shutdown, SetDateTime) are not offered.
* ``Win32_ComputerSystem``: ``Name`` is the short host name (Windows: upper
  case NetBIOS name), ``Domain`` is the DNS domain part or ``WORKGROUP``;
  ``Manufacturer``/``Model`` come from /sys/class/dmi/id (NULL where there is
  no DMI, e.g. in VMs without it); ``UserName`` is the owner of the object
  manager process; ``NumberOfProcessors`` counts physical packages.
* ``Win32_Processor``: one instance per physical package (``DeviceID`` "CPU0",
  "CPU1" …) as on Windows; ``ProcessorId``, ``Family``, ``Revision`` are NULL
  (no CPUID access); clock speeds come from /proc/cpuinfo and cpufreq;
  ``LoadPercentage`` is the load since the previous enumeration.
"""

from __future__ import annotations

import functools
import os
import platform
import pwd
import time
from collections.abc import Iterator
from typing import Any

import psutil

from ...model import ObjectPath
from ._common import (
    BuiltinProvider,
    computer_name,
    dmtf_from_epoch,
    read_text,
    utc_offset_minutes,
)

__all__ = [
    "ComputerSystemProcessorProvider",
    "ComputerSystemProvider",
    "OperatingSystemProvider",
    "ProcessorProvider",
    "SystemOperatingSystemProvider",
    "os_name",
]


@functools.cache
def os_release() -> dict[str, str]:
    """/etc/os-release as a dict (empty if absent)."""
    text = read_text("/etc/os-release") or read_text("/usr/lib/os-release") or ""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and not key.startswith("#"):
            out[key.strip()] = value.strip().strip('"').strip("'")
    return out


@functools.cache
def root_device() -> str:
    """The device mounted on / (from /proc/mounts)."""
    for line in (read_text("/proc/mounts") or "").splitlines():
        parts = line.split()
        if len(parts) > 1 and parts[1] == "/":
            return parts[0]
    return ""


@functools.cache
def os_name() -> str:
    """Win32_OperatingSystem.Name: ``Caption|SystemDirectory|BootDevice``."""
    return f"{caption()}|/|{root_device()}"


def caption() -> str:
    rel = os_release()
    return rel.get("PRETTY_NAME") or f"{platform.system()} {platform.release()}"


def _architecture() -> tuple[str, int]:
    machine = platform.machine()
    bits = 64 if machine.endswith("64") or machine in ("s390x", "ppc64le") else 32
    return machine, bits


class OperatingSystemProvider(BuiltinProvider):
    """``Win32_OperatingSystem`` (singleton)."""

    classname = "Win32_OperatingSystem"

    def instances(self) -> Iterator[dict[str, Any]]:
        vm = psutil.virtual_memory()
        swap = psutil.swap_memory()
        rel = os_release()
        uname = os.uname()
        _, bits = _architecture()
        users = {u.name for u in psutil.users()}
        yield {
            "Name": os_name(),
            "Caption": caption(),
            "Description": rel.get("NAME"),
            "Version": uname.release,
            "BuildNumber": uname.release,
            "BuildType": uname.version,
            "OSType": 36,  # CIM_OperatingSystem.OSType LINUX
            "OtherTypeDescription": rel.get("ID"),
            "Manufacturer": rel.get("NAME"),
            "OSArchitecture": f"{bits}-bit",
            "CSName": computer_name(),
            "CSCreationClassName": "Win32_ComputerSystem",
            "CreationClassName": "Win32_OperatingSystem",
            "CurrentTimeZone": utc_offset_minutes(),
            "LastBootUpTime": dmtf_from_epoch(psutil.boot_time()),
            "LocalDateTime": dmtf_from_epoch(time.time()),
            "FreePhysicalMemory": vm.available // 1024,
            "TotalVisibleMemorySize": vm.total // 1024,
            "TotalVirtualMemorySize": (vm.total + swap.total) // 1024,
            "FreeVirtualMemory": (vm.available + swap.free) // 1024,
            "TotalSwapSpaceSize": swap.total // 1024,
            "SizeStoredInPagingFiles": swap.total // 1024,
            "FreeSpaceInPagingFiles": swap.free // 1024,
            "NumberOfProcesses": sum(1 for n in os.listdir("/proc") if n.isdigit()),
            "NumberOfUsers": len(users),
            "MaxNumberOfProcesses": _int_file("/proc/sys/kernel/pid_max"),
            "Primary": True,
            "Distributed": False,
            "Status": "OK",
            "BootDevice": root_device(),
            "SystemDevice": root_device(),
            "SystemDirectory": "/",
            "WindowsDirectory": "/",
            "SystemDrive": "/",
            "Locale": os.environ.get("LANG"),
            "CodeSet": "65001",
        }


def _int_file(path: str) -> int | None:
    text = read_text(path)
    return int(text) if text and text.isdigit() else None


def _cpuinfo() -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in (read_text("/proc/cpuinfo") or "").splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, _, value = line.partition(":")
        current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


class ComputerSystemProvider(BuiltinProvider):
    """``Win32_ComputerSystem`` (one instance, keyed by the host name)."""

    classname = "Win32_ComputerSystem"
    keys = ("Name",)

    def instances(self) -> Iterator[dict[str, Any]]:
        node = os.uname().nodename
        name = computer_name()
        domain = node.split(".", 1)[1] if "." in node else None
        packages = {c.get("physical id", "0") for c in _cpuinfo()}
        machine, bits = _architecture()
        try:
            user = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            user = str(os.getuid())
        yield {
            "Name": name,
            "Caption": name,
            "Description": "AT/AT COMPATIBLE",
            "CreationClassName": "Win32_ComputerSystem",
            "DNSHostName": name,
            "Domain": domain or "WORKGROUP",
            "Workgroup": None if domain else "WORKGROUP",
            "PartOfDomain": domain is not None,
            "DomainRole": 0,
            "Manufacturer": read_text("/sys/class/dmi/id/sys_vendor"),
            "Model": read_text("/sys/class/dmi/id/product_name"),
            "SystemFamily": read_text("/sys/class/dmi/id/product_family"),
            "NumberOfProcessors": max(1, len(packages)),
            "NumberOfLogicalProcessors": psutil.cpu_count() or 1,
            "TotalPhysicalMemory": psutil.virtual_memory().total,
            "SystemType": f"{'x64' if machine == 'x86_64' else machine}-based PC"
            if bits == 64
            else "X86-based PC",
            "UserName": f"{name}\\{user}",
            "CurrentTimeZone": utc_offset_minutes(),
            "BootupState": "Normal boot",
            "Status": "OK",
        }


def _mhz(path: str) -> int | None:
    text = read_text(path)
    return int(text) // 1000 if text and text.isdigit() else None


class ProcessorProvider(BuiltinProvider):
    """``Win32_Processor``: one instance per physical package."""

    classname = "Win32_Processor"
    keys = ("DeviceID",)

    def __init__(self) -> None:
        self._last_times: Any = None

    def _load(self) -> int | None:
        now = psutil.cpu_times()
        last, self._last_times = self._last_times, now
        if last is None:
            return int(psutil.cpu_percent(interval=None))
        busy = (now.user + now.system) - (last.user + last.system)
        total = sum(now) - sum(last)
        return int(100 * busy / total) if total > 0 else 0

    def instances(self) -> Iterator[dict[str, Any]]:
        blocks = _cpuinfo()
        packages: dict[str, list[dict[str, str]]] = {}
        for block in blocks:
            packages.setdefault(block.get("physical id", "0"), []).append(block)
        machine, bits = _architecture()
        arch = {"x86_64": 9, "i686": 0, "i386": 0, "aarch64": 12, "arm": 5}.get(machine)
        load = self._load()
        max_mhz = _mhz("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        for index, (_, cpus) in enumerate(sorted(packages.items())):
            first = cpus[0] if cpus else {}
            cur = first.get("cpu MHz")
            current = int(float(cur)) if cur else None
            cores = {c.get("core id") for c in cpus}
            cache = first.get("cache size", "").split()
            yield {
                "DeviceID": f"CPU{index}",
                "Name": first.get("model name") or machine,
                "Caption": f"{machine} Family {first.get('cpu family', '?')} "
                f"Model {first.get('model', '?')} Stepping {first.get('stepping', '?')}",
                "Description": first.get("model name"),
                "Manufacturer": first.get("vendor_id") or first.get("CPU implementer"),
                "Architecture": arch,
                "AddressWidth": bits,
                "DataWidth": bits,
                "CurrentClockSpeed": current,
                "MaxClockSpeed": max_mhz or current,
                "NumberOfCores": len(cores) or len(cpus),
                "NumberOfEnabledCore": len(cores) or len(cpus),
                "NumberOfLogicalProcessors": len(cpus),
                "ThreadCount": len(cpus),
                "LoadPercentage": load,
                "L3CacheSize": int(cache[0]) if cache and cache[0].isdigit() else None,
                "ProcessorType": 3,  # Central Processor
                "Role": "CPU",
                "SocketDesignation": f"CPU{index}",
                "CreationClassName": "Win32_Processor",
                "SystemCreationClassName": "Win32_ComputerSystem",
                "SystemName": computer_name(),
                "Status": "OK",
                "CpuStatus": 1,
                "Availability": 3,  # Running/Full Power
            }


def _system_path() -> ObjectPath:
    return ObjectPath.for_instance("Win32_ComputerSystem", {"Name": computer_name()})


class SystemOperatingSystemProvider(BuiltinProvider):
    """``Win32_SystemOperatingSystem``: the computer runs its OS."""

    classname = "Win32_SystemOperatingSystem"
    keys = ("GroupComponent", "PartComponent")

    def instances(self) -> Iterator[dict[str, Any]]:
        yield {
            "GroupComponent": _system_path(),
            "PartComponent": ObjectPath("Win32_OperatingSystem", singleton=True),
            "PrimaryOS": True,
        }


class ComputerSystemProcessorProvider(BuiltinProvider):
    """``Win32_ComputerSystemProcessor``: the computer holds its processors."""

    classname = "Win32_ComputerSystemProcessor"
    keys = ("GroupComponent", "PartComponent")

    def instances(self) -> Iterator[dict[str, Any]]:
        system = _system_path()
        for cpu in ProcessorProvider().instances():
            yield {
                "GroupComponent": system,
                "PartComponent": ObjectPath.for_instance(
                    "Win32_Processor", {"DeviceID": cpu["DeviceID"]}
                ),
            }
