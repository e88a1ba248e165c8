"""The built-in Linux providers under WMI class names, and their MOF.

Owns the shipped schema (``cim_base.mof`` + ``win32.mof``, package data),
its version marker and ``builtin_providers()``, the class → provider table
that ``openwmi.providers.install_builtin`` registers. Imports model and
errors (through the provider modules); never the repository, the manager or
socket. Every difference from Windows is listed in the provider modules'
docstrings and in docs/providers.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from typing import Any

from ._disk import LogicalDiskProvider as LogicalDiskProvider
from ._environment import EnvironmentProvider as EnvironmentProvider
from ._network import (
    NetworkAdapterConfigurationProvider as NetworkAdapterConfigurationProvider,
)
from ._network import NetworkAdapterProvider as NetworkAdapterProvider
from ._network import NetworkAdapterSettingProvider as NetworkAdapterSettingProvider
from ._os import ComputerSystemProcessorProvider as ComputerSystemProcessorProvider
from ._os import ComputerSystemProvider as ComputerSystemProvider
from ._os import OperatingSystemProvider as OperatingSystemProvider
from ._os import ProcessorProvider as ProcessorProvider
from ._os import SystemOperatingSystemProvider as SystemOperatingSystemProvider
from ._process import ProcessProvider as ProcessProvider
from ._process import SystemProcessesProvider as SystemProcessesProvider
from ._service import ServiceProvider as ServiceProvider
from ._service import SystemServicesProvider as SystemServicesProvider
from ._volume import VolumeProvider as VolumeProvider
from ._volume import configured_images as configured_images

__all__ = [
    "BUILTIN_FACTORIES",
    "ComputerSystemProcessorProvider",
    "ComputerSystemProvider",
    "EnvironmentProvider",
    "LogicalDiskProvider",
    "NetworkAdapterConfigurationProvider",
    "NetworkAdapterProvider",
    "NetworkAdapterSettingProvider",
    "OperatingSystemProvider",
    "ProcessProvider",
    "ProcessorProvider",
    "ServiceProvider",
    "SystemOperatingSystemProvider",
    "SystemProcessesProvider",
    "SystemServicesProvider",
    "VolumeProvider",
    "builtin_providers",
    "configured_images",
    "schema_mof",
    "schema_version",
]

MOF_FILES = ("cim_base.mof", "win32.mof")

# class → "module:factory" (what an isolated host imports)
BUILTIN_FACTORIES: dict[str, str] = {
    "Win32_OperatingSystem": f"{__name__}._os:OperatingSystemProvider",
    "Win32_ComputerSystem": f"{__name__}._os:ComputerSystemProvider",
    "Win32_Processor": f"{__name__}._os:ProcessorProvider",
    "Win32_SystemOperatingSystem": f"{__name__}._os:SystemOperatingSystemProvider",
    "Win32_ComputerSystemProcessor": f"{__name__}._os:ComputerSystemProcessorProvider",
    "Win32_Process": f"{__name__}._process:ProcessProvider",
    "Win32_SystemProcesses": f"{__name__}._process:SystemProcessesProvider",
    "Win32_Service": f"{__name__}._service:ServiceProvider",
    "Win32_LogicalDisk": f"{__name__}._disk:LogicalDiskProvider",
    "Win32_Volume": f"{__name__}._volume:VolumeProvider",
    "Win32_NetworkAdapter": f"{__name__}._network:NetworkAdapterProvider",
    "Win32_NetworkAdapterConfiguration": f"{__name__}._network:NetworkAdapterConfigurationProvider",
    "Win32_NetworkAdapterSetting": f"{__name__}._network:NetworkAdapterSettingProvider",
    "Win32_Environment": f"{__name__}._environment:EnvironmentProvider",
}


def schema_mof() -> str:
    """The built-in schema's MOF text (CIM_ base classes, then Win32_ classes)."""
    root = resources.files(__name__)
    return "\n".join(root.joinpath(name).read_text("utf-8") for name in MOF_FILES)


def schema_version() -> str:
    """A marker that changes whenever the shipped MOF changes."""
    return "sha256:" + hashlib.sha256(schema_mof().encode()).hexdigest()[:16]


def builtin_providers(volume_images: Sequence[str] = ()) -> dict[str, Any]:
    """A fresh class → provider table of every built-in class."""
    services = ServiceProvider()
    return {
        "Win32_OperatingSystem": OperatingSystemProvider(),
        "Win32_ComputerSystem": ComputerSystemProvider(),
        "Win32_Processor": ProcessorProvider(),
        "Win32_SystemOperatingSystem": SystemOperatingSystemProvider(),
        "Win32_ComputerSystemProcessor": ComputerSystemProcessorProvider(),
        "Win32_Process": ProcessProvider(),
        "Win32_SystemProcesses": SystemProcessesProvider(),
        "Win32_Service": services,
        "Win32_SystemServices": SystemServicesProvider(services),
        "Win32_LogicalDisk": LogicalDiskProvider(),
        "Win32_Volume": VolumeProvider(volume_images),
        "Win32_NetworkAdapter": NetworkAdapterProvider(),
        "Win32_NetworkAdapterConfiguration": NetworkAdapterConfigurationProvider(),
        "Win32_NetworkAdapterSetting": NetworkAdapterSettingProvider(),
        "Win32_Environment": EnvironmentProvider(),
    }
