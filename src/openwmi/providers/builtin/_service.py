"""Win32_Service (and Win32_SystemServices) over systemd, through ``systemctl``.

Owns ``ServiceProvider``: systemd service units as Win32_Service instances,
``StartService``/``StopService`` as ``systemctl start|stop``. Where the
machine was not booted with systemd (``/run/systemd/system`` absent, the
``sd_booted()`` test) every call fails with WBEM_E_PROVIDER_NOT_CAPABLE and a
message saying so. Imports model, errors and the sibling built-in modules;
never the repository, the manager or socket.

Differences from Windows (also in docs/providers.md):

* ``Name`` is the unit name without ``.service`` (``ssh``, ``cron``); a get
  by ``Name="ssh.service"`` finds it too. ``DisplayName``/``Description`` are
  the unit's Description.
* ``State``: active → "Running", activating → "Start Pending",
  deactivating → "Stop Pending", reloading → "Running", inactive/failed →
  "Stopped" (failed also sets ``Status`` "Error"); ``Started`` is active.
* ``StartMode``: enabled → "Auto", disabled/masked → "Disabled", anything else
  (static, indirect, generated) → "Manual". ``DelayedAutoStart`` is False.
* ``ProcessId`` is MainPID (0 when stopped), ``ExitCode`` ExecMainStatus,
  ``PathName`` the first ExecStart command, ``StartName`` the unit's User
  (or "root"); ``ServiceType`` is "Own Process"; ``AcceptPause`` is False,
  ``AcceptStop`` is CanStop.
* Only ``StartService`` and ``StopService`` exist (return 0, 2 access denied,
  5 cannot accept control / not running, 8 unknown failure, 10 already
  running); Pause/Resume/Change/Delete are not offered.
* Data is read through ``systemctl show`` (one process per call), not D-Bus.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ...errors import NotFoundError, NotSupportedError, ProviderNotCapableError
from ...model import ObjectPath
from .._protocol import is_cancelled
from ._common import computer_name, key_of

__all__ = ["ServiceProvider", "SystemServicesProvider", "parse_show"]

Runner = Callable[[Sequence[str]], tuple[int, str]]

_PROPS = (
    "Id,Description,ActiveState,SubState,UnitFileState,MainPID,ExecMainStatus,"
    "ExecStart,User,CanStop,LoadState"
)
_STATE = {
    "active": "Running",
    "reloading": "Running",
    "activating": "Start Pending",
    "deactivating": "Stop Pending",
    "inactive": "Stopped",
    "failed": "Stopped",
}
_MODE = {"enabled": "Auto", "disabled": "Disabled", "masked": "Disabled"}


def _run(argv: Sequence[str]) -> tuple[int, str]:
    result = subprocess.run(
        list(argv), capture_output=True, text=True, check=False, timeout=60
    )
    return result.returncode, result.stdout


def parse_show(text: str) -> list[dict[str, str]]:
    """``systemctl show`` output (blank-line separated blocks) as dicts."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, _, value = line.partition("=")
        current[key] = value
    if current:
        blocks.append(current)
    return blocks


def _exec_path(exec_start: str) -> str | None:
    # ExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ; ... }
    marker = "argv[]="
    if marker in exec_start:
        return exec_start.split(marker, 1)[1].split(" ;", 1)[0].strip() or None
    if "path=" in exec_start:
        return exec_start.split("path=", 1)[1].split(" ;", 1)[0].strip() or None
    return None


def to_service(props: dict[str, str]) -> dict[str, Any]:
    """One unit's ``systemctl show`` properties as Win32_Service values."""
    unit = props.get("Id", "")
    active = props.get("ActiveState", "")
    pid = props.get("MainPID", "0")
    status = props.get("ExecMainStatus", "0")
    description = props.get("Description") or None
    return {
        "Name": unit.removesuffix(".service"),
        "DisplayName": description,
        "Caption": description,
        "Description": description,
        "State": _STATE.get(active, "Unknown"),
        "Started": active == "active",
        "Status": "Error" if active == "failed" else "OK",
        "StartMode": _MODE.get(props.get("UnitFileState", ""), "Manual"),
        "DelayedAutoStart": False,
        "ProcessId": int(pid) if pid.isdigit() else 0,
        "ExitCode": int(status) if status.isdigit() else 0,
        "PathName": _exec_path(props.get("ExecStart", "")),
        "StartName": props.get("User") or "root",
        "ServiceType": "Own Process",
        "AcceptStop": props.get("CanStop") == "yes",
        "AcceptPause": False,
        "DesktopInteract": False,
        "CreationClassName": "Win32_Service",
        "SystemCreationClassName": "Win32_ComputerSystem",
        "SystemName": computer_name(),
    }


class ServiceProvider:
    """``Win32_Service`` from systemd.

    Args:
        runtime_dir: the directory whose presence means "booted with systemd".
        runner: runs a ``systemctl`` argv and returns (exit code, stdout) — a
            seam for tests.
    """

    classname = "Win32_Service"

    def __init__(
        self,
        *,
        runtime_dir: str = "/run/systemd/system",
        runner: Runner | None = None,
    ) -> None:
        self._runtime_dir = runtime_dir
        self._runner = runner or _run

    def _systemctl(self) -> str:
        if not os.path.isdir(self._runtime_dir):
            raise ProviderNotCapableError(
                "Win32_Service needs systemd: this machine was not booted with "
                f"systemd ({self._runtime_dir} is absent), so there is no service "
                "manager to ask"
            )
        tool = shutil.which("systemctl") if self._runner is _run else "systemctl"
        if tool is None:
            raise ProviderNotCapableError(
                "Win32_Service needs systemd's systemctl, which is not installed"
            )
        return tool

    def _show(self, tool: str, units: Sequence[str]) -> list[dict[str, str]]:
        code, out = self._runner([tool, "show", "--no-pager", "-p", _PROPS, *units])
        if code != 0 and not out:
            raise ProviderNotCapableError(f"systemctl show failed (exit {code})")
        return [b for b in parse_show(out) if b.get("LoadState") != "not-found"]

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        tool = self._systemctl()
        code, out = self._runner(
            [
                tool,
                "list-units",
                "--type=service",
                "--all",
                "--plain",
                "--no-legend",
                "--no-pager",
            ]
        )
        if code != 0:
            raise ProviderNotCapableError(f"systemctl list-units failed (exit {code})")
        units = [line.split()[0] for line in out.splitlines() if line.split()]
        units = [u for u in units if u.endswith(".service")]
        for start in range(0, len(units), 200):
            if is_cancelled(ctx):
                return
            for block in self._show(tool, units[start : start + 200]):
                yield to_service(block)

    def get_instance(self, ctx: Any, path: ObjectPath) -> dict[str, Any]:
        tool = self._systemctl()
        name = str(key_of(path, "Name"))
        unit = name if name.endswith(".service") else f"{name}.service"
        blocks = self._show(tool, [unit])
        if not blocks:
            raise NotFoundError(f"{path.relpath}: no systemd unit {unit}")
        return to_service(blocks[0])

    def invoke_method(
        self, ctx: Any, path: ObjectPath, method: str, in_params: dict[str, Any]
    ) -> dict[str, Any]:
        current = self.get_instance(ctx, path)
        unit = f"{current['Name']}.service"
        name = method.lower()
        if name == "startservice":
            if current["Started"]:
                return {"ReturnValue": 10}
            verb = "start"
        elif name == "stopservice":
            if not current["Started"]:
                return {"ReturnValue": 5}
            verb = "stop"
        else:
            raise NotSupportedError(
                f"Win32_Service.{method} is not implemented on Linux"
            )
        code, _ = self._runner([self._systemctl(), verb, "--no-block", unit])
        return {"ReturnValue": {0: 0, 4: 2}.get(code, 8)}


class SystemServicesProvider:
    """``Win32_SystemServices``: the computer system hosts each service."""

    classname = "Win32_SystemServices"

    def __init__(self, services: ServiceProvider) -> None:
        self._services = services

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        system = ObjectPath.for_instance(
            "Win32_ComputerSystem", {"Name": computer_name()}
        )
        for svc in self._services.enumerate_instances(ctx, "Win32_Service"):
            yield {
                "GroupComponent": system,
                "PartComponent": ObjectPath.for_instance(
                    "Win32_Service", {"Name": svc["Name"]}
                ),
            }
