"""Win32_Environment on Linux: /etc/environment and the object manager's environment.

Owns ``EnvironmentProvider``. Imports model, errors and the sibling built-in
modules; never the repository, the manager or socket.

Differences from Windows (also in docs/providers.md):

* System variables (``UserName`` "<SYSTEM>", ``SystemVariable`` True) come
  from /etc/environment (pam_env's file; ``KEY=value`` lines, quotes removed).
  Windows reads them from the registry.
* User variables are the environment of the object-manager process, under
  ``UserName`` ``<host>\\<user>`` of that process. Other users' environments
  are not visible (Windows lists every loaded profile's variables).
* Read-only: PutInstance / DeleteInstance are not offered (Windows writes
  the registry).
* Names compare case-insensitively in paths (WMI keys do), although Linux
  variables are case-sensitive; a get returns the first match.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from typing import Any

from ._common import BuiltinProvider, computer_name, read_text

__all__ = ["EnvironmentProvider", "SYSTEM_USER"]

SYSTEM_USER = "<SYSTEM>"


def _etc_environment(path: str = "/etc/environment") -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (read_text(path) or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if sep and key:
            out[key.strip()] = value.strip().strip('"').strip("'")
    return out


class EnvironmentProvider(BuiltinProvider):
    """``Win32_Environment``: keys Name and UserName."""

    classname = "Win32_Environment"
    keys = ("Name", "UserName")

    def __init__(self, etc_environment: str = "/etc/environment") -> None:
        self._etc = etc_environment

    def instances(self) -> Iterator[dict[str, Any]]:
        for name, value in _etc_environment(self._etc).items():
            yield _entry(name, value, SYSTEM_USER, True)
        try:
            user = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            user = str(os.getuid())
        owner = f"{computer_name()}\\{user}"
        for name, value in sorted(os.environ.items()):
            yield _entry(name, value, owner, False)


def _entry(name: str, value: str, user: str, system: bool) -> dict[str, Any]:
    return {
        "Name": name,
        "UserName": user,
        "VariableValue": value,
        "SystemVariable": system,
        "Caption": f"{user}\\{name}",
        "Description": f"{user}\\{name}",
        "Status": "OK",
    }
