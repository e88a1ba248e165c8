"""Win32_NetworkAdapter, Win32_NetworkAdapterConfiguration, Win32_NetworkAdapterSetting.

Owns the network providers, fed from /sys/class/net, psutil
(``net_if_addrs``/``net_if_stats``), /proc/net/route and /etc/resolv.conf.
Imports model, errors and the sibling built-in modules; never the repository,
the manager or socket (address families are compared by name).

Differences from Windows (also in docs/providers.md):

* One adapter per Linux network interface, loopback included (Windows hides
  its loopback pseudo-interface from Win32_NetworkAdapter).
  ``DeviceID`` and ``Index`` are the kernel ifindex (Windows: its own index);
  ``InterfaceIndex`` is the same number; ``NetConnectionID`` and ``Name``
  are the interface name (``eth0``).
* ``PhysicalAdapter`` is True when the interface has a ``device`` link in
  sysfs; ``AdapterType`` maps the ARPHRD type (1 → "Ethernet 802.3").
* ``Speed`` is in bits/s from sysfs (NULL when the driver does not say);
  ``NetConnectionStatus`` is 2 (Connected) when operstate is up, 7 (Media
  disconnected) when down with no carrier, 0 otherwise.
* Configuration: ``DHCPEnabled``/``DHCPServer`` are NULL (openwmi does not
  ask the DHCP client); ``DefaultIPGateway`` comes from the IPv4 routing
  table; ``DNSServerSearchOrder``/``DNSDomain`` from /etc/resolv.conf and
  are the same for every adapter. Methods (EnableStatic, SetDNSServerSearchOrder…)
  are not offered.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from typing import Any

import psutil

from ...model import ObjectPath
from ._common import BuiltinProvider, computer_name, read_text

__all__ = [
    "NetworkAdapterConfigurationProvider",
    "NetworkAdapterProvider",
    "NetworkAdapterSettingProvider",
]

_NET = "/sys/class/net"
_ARPHRD = {
    1: ("Ethernet 802.3", 0),
    772: ("Local loopback", None),
    801: ("Wireless", 9),
}


def _interfaces() -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    try:
        names = os.listdir(_NET)
    except OSError:
        return out
    for name in names:
        idx = read_text(f"{_NET}/{name}/ifindex")
        if idx and idx.isdigit():
            out.append((int(idx), name))
    return sorted(out)


def _int(path: str) -> int | None:
    text = read_text(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


class NetworkAdapterProvider(BuiltinProvider):
    """``Win32_NetworkAdapter``: one instance per interface."""

    classname = "Win32_NetworkAdapter"
    keys = ("DeviceID",)

    def instances(self) -> Iterator[dict[str, Any]]:
        for index, name in _interfaces():
            base = f"{_NET}/{name}"
            arphrd = _int(f"{base}/type") or 0
            kind, type_id = _ARPHRD.get(arphrd, (None, None))
            oper = read_text(f"{base}/operstate") or "unknown"
            carrier = _int(f"{base}/carrier")
            speed = _int(f"{base}/speed")
            status = (
                2
                if oper == "up" or (oper == "unknown" and carrier == 1)
                else (7 if carrier == 0 or oper == "down" else 0)
            )
            mac = read_text(f"{base}/address")
            yield {
                "DeviceID": str(index),
                "Index": index,
                "InterfaceIndex": index,
                "Name": name,
                "Caption": f"[{index:08d}] {name}",
                "Description": name,
                "ProductName": name,
                "NetConnectionID": name,
                "MACAddress": mac.upper() if mac and arphrd != 772 else None,
                "PermanentAddress": mac.upper() if mac and arphrd != 772 else None,
                "AdapterType": kind,
                "AdapterTypeId": type_id,
                "Speed": speed * 1_000_000 if speed and speed > 0 else None,
                "NetEnabled": oper != "down",
                "NetConnectionStatus": status,
                "PhysicalAdapter": os.path.exists(f"{base}/device"),
                "Installed": True,
                "ServiceName": os.path.basename(
                    os.path.realpath(f"{base}/device/driver")
                )
                if os.path.exists(f"{base}/device/driver")
                else None,
                "CreationClassName": "Win32_NetworkAdapter",
                "SystemCreationClassName": "Win32_ComputerSystem",
                "SystemName": computer_name(),
                "Availability": 3,
            }


def _prefixlen(mask: str | None) -> int:
    """The prefix length of an IPv6 netmask (WMI lists it as a number)."""
    try:
        return bin(int(ipaddress.IPv6Address(mask or "::"))).count("1")
    except ValueError:
        return 0


def _gateways() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (read_text("/proc/net/route") or "").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 8 and parts[1] == "00000000" and parts[7] == "00000000":
            gw = ipaddress.IPv4Address(bytes.fromhex(parts[2])[::-1])
            out.setdefault(parts[0], []).append(str(gw))
    return out


def _resolv() -> tuple[list[str], str | None]:
    servers: list[str] = []
    domain: str | None = None
    for line in (read_text("/etc/resolv.conf") or "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            servers.append(parts[1])
        elif len(parts) >= 2 and parts[0] in ("domain", "search") and domain is None:
            domain = parts[1]
    return servers, domain


class NetworkAdapterConfigurationProvider(BuiltinProvider):
    """``Win32_NetworkAdapterConfiguration``: addresses and routes per interface."""

    classname = "Win32_NetworkAdapterConfiguration"
    keys = ("Index",)

    def instances(self) -> Iterator[dict[str, Any]]:
        addrs = psutil.net_if_addrs()
        stats = psutil.net_if_stats()
        gateways = _gateways()
        dns, domain = _resolv()
        for index, name in _interfaces():
            ips: list[str] = []
            subnets: list[str] = []
            for a in addrs.get(name, []):
                family = getattr(a.family, "name", "")
                if family in ("AF_INET", "AF_INET6"):
                    ips.append(a.address.split("%", 1)[0])
                    if family == "AF_INET":
                        subnets.append(a.netmask or "")
                    else:
                        subnets.append(str(_prefixlen(a.netmask)))
            mac = read_text(f"{_NET}/{name}/address")
            st = stats.get(name)
            yield {
                "Index": index,
                "InterfaceIndex": index,
                "SettingID": name,
                "Caption": f"[{index:08d}] {name}",
                "Description": name,
                "IPAddress": ips or None,
                "IPSubnet": subnets or None,
                "IPEnabled": bool(ips),
                "MACAddress": mac.upper() if mac and name != "lo" else None,
                "MTU": st.mtu if st else None,
                "DefaultIPGateway": gateways.get(name),
                "DNSServerSearchOrder": dns or None,
                "DNSDomain": domain,
                "DNSHostName": computer_name(),
                "DHCPEnabled": None,
                "ServiceName": None,
            }


class NetworkAdapterSettingProvider(BuiltinProvider):
    """``Win32_NetworkAdapterSetting``: each adapter with its configuration."""

    classname = "Win32_NetworkAdapterSetting"
    keys = ("Element", "Setting")

    def instances(self) -> Iterator[dict[str, Any]]:
        for index, _ in _interfaces():
            yield {
                "Element": ObjectPath.for_instance(
                    "Win32_NetworkAdapter", {"DeviceID": str(index)}
                ),
                "Setting": ObjectPath.for_instance(
                    "Win32_NetworkAdapterConfiguration", {"Index": index}
                ),
            }
