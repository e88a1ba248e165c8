"""Win32_Process on Linux: /proc for reading, subprocess/signals for the methods.

Owns ``ProcessProvider`` (instances, ``Create``, ``Terminate``, ``GetOwner``,
``GetOwnerSid``, ``SetPriority``) and ``SystemProcessesProvider`` (the
``Win32_SystemProcesses`` association). Imports model, errors and the sibling
built-in modules; never the repository, the manager or socket.

Rule 1: a key lookup (``Win32_Process.Handle="42"``) reads /proc/42 only.
Rule 2: an enumeration reads three things per process (``stat``,
        ``cmdline``, the ``exe`` link), nothing else, so that
        ``SELECT Name, ProcessId FROM Win32_Process`` stays within a small
        factor of ``ps -e -o pid,comm``.
Rule 3: ``Create`` never runs a shell: CommandLine is split with ``shlex``
        and executed as an argument list.

Differences from Windows (also in docs/providers.md):

* ``Handle``/``ProcessId`` are Linux PIDs; threads are not processes.
* ``Name`` is the executable's base name (from ``cmdline[0]`` when the kernel's
  15-character ``comm`` is truncated); kernel threads keep their ``comm``.
* ``CommandLine`` is ``shlex.join(argv)``, so it round-trips through ``Create``.
* ``ExecutablePath`` is NULL where /proc/<pid>/exe is unreadable (another
  user's process without privileges, kernel threads) — Windows also returns
  NULL without privileges.
* ``KernelModeTime``/``UserModeTime`` are in 100-ns units (as Windows
  reports them), from clock ticks; ``Priority`` maps the nice value onto
  Windows base priorities (nice 0 → 8, -20 → 31, 19 → 0).
* Zombie processes are not listed (they have exited; Windows has no such state).
* ``HandleCount``, the I/O counters, page-file and peak figures are NULL.
* ``Terminate(Reason)`` sends SIGKILL (TerminateProcess is unconditional);
  Linux cannot impose an exit code, so ``Reason`` is ignored. Terminating
  PID 1 or the object manager itself is refused with 2 (Access Denied).
* ``Create``: ``ProcessStartupInformation.EnvironmentVariables`` (``NAME=value``
  strings) replaces the environment as on Windows; the other startup fields
  are ignored. The new process starts in its own session with stdin/stdout/
  stderr on /dev/null. ``CurrentDirectory`` that does not exist → 9.
* ``GetOwnerSid`` returns the Samba-style Unix SID ``S-1-22-1-<uid>``.
* ``SetPriority`` maps the Windows priority classes (64, 16384, 32, 32768,
  128, 256) to nice 19, 10, 0, -5, -10, -20.
"""

from __future__ import annotations

import os
import pwd
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import psutil

from ...errors import NotFoundError, NotSupportedError
from ...model import CIMInstance, ObjectPath
from .._protocol import is_cancelled
from ._common import computer_name, dmtf_from_epoch, key_of

__all__ = ["ProcessProvider", "SystemProcessesProvider"]

# Win32_Process method return values (spec §10.2)
SUCCESS, ACCESS_DENIED, INSUFFICIENT_PRIVILEGE = 0, 2, 3
UNKNOWN_FAILURE, PATH_NOT_FOUND, INVALID_PARAMETER = 8, 9, 21

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK_100NS = 10_000_000 // _CLK_TCK
_UINT32 = 0xFFFFFFFF

# /proc/<pid>/stat state letter → CIM ExecutionState
_STATE = {"R": 3, "S": 4, "D": 4, "I": 4, "T": 8, "t": 8, "X": 7, "Z": 7, "W": 4}

# Win32_Process.SetPriority priority classes → nice values
_PRIORITY_CLASS_NICE = {64: 19, 16384: 10, 32: 0, 32768: -5, 128: -10, 256: -20}


def _base_priority(nice: int) -> int:
    if nice <= 0:
        return min(31, 8 + (-nice * 23) // 20)
    return max(0, 8 - (nice * 8) // 19)


class _Static:
    """Per-provider constants computed once."""

    def __init__(self) -> None:
        from ._os import os_name

        self.cs_name = computer_name()
        self.os_name = os_name()
        self.boot = psutil.boot_time()
        self.release = os.uname().release


class ProcessProvider:
    """``Win32_Process``: instances from /proc, methods through signals/subprocess."""

    classname = "Win32_Process"

    def __init__(self) -> None:
        self._static: _Static | None = None
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    @property
    def static(self) -> _Static:
        if self._static is None:
            self._static = _Static()
        return self._static

    # --- reading -----------------------------------------------------------------
    def _read(self, pid: int) -> dict[str, Any] | None:
        """One process's values, or None when it is gone (or a zombie)."""
        base = f"/proc/{pid}/"
        try:
            with open(base + "stat", "rb") as f:
                stat = f.read()
        except OSError:
            return None
        lpar, rpar = stat.find(b"("), stat.rfind(b")")
        comm = stat[lpar + 1 : rpar].decode("utf-8", "replace")
        fields = stat[rpar + 2 :].split()
        state = fields[0].decode()
        if state in ("Z", "X"):
            return None
        try:
            with open(base + "cmdline", "rb") as f:
                raw = f.read()
        except OSError:
            raw = b""
        argv = [a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0")]
        if argv and argv[-1] == "":
            argv.pop()
        try:
            exe: str | None = os.readlink(base + "exe")
        except OSError:
            exe = None
        name = comm
        if argv and len(comm) >= 15:
            first = os.path.basename(argv[0])
            if first.startswith(comm):
                name = first
        st = self.static
        utime, stime = int(fields[11]), int(fields[12])
        nice = int(fields[16])
        return {
            "Handle": str(pid),
            "ProcessId": pid,
            "ParentProcessId": int(fields[1]),
            "Name": name,
            "Caption": name,
            "Description": name,
            "CommandLine": shlex.join(argv) if argv else None,
            "ExecutablePath": exe,
            "CreationDate": dmtf_from_epoch(st.boot + int(fields[19]) / _CLK_TCK),
            "ExecutionState": _STATE.get(state, 0),
            "KernelModeTime": stime * _TICK_100NS,
            "UserModeTime": utime * _TICK_100NS,
            "Priority": _base_priority(nice),
            "ThreadCount": int(fields[17]),
            "VirtualSize": int(fields[20]),
            "WorkingSetSize": int(fields[21]) * _PAGE,
            "PageFaults": min(_UINT32, int(fields[7]) + int(fields[9])),
            "SessionId": int(fields[3]) & _UINT32,
            "CSName": st.cs_name,
            "CSCreationClassName": "Win32_ComputerSystem",
            "OSName": st.os_name,
            "OSCreationClassName": "Win32_OperatingSystem",
            "CreationClassName": "Win32_Process",
            "WindowsVersion": st.release,
        }

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        pids = sorted(int(n) for n in os.listdir("/proc") if n.isdigit())
        for i, pid in enumerate(pids):
            if i & 63 == 0 and is_cancelled(ctx):
                return
            values = self._read(pid)
            if values is not None:
                yield values

    def get_instance(self, ctx: Any, path: ObjectPath) -> dict[str, Any]:
        pid = _pid_of(path)
        values = self._read(pid) if pid is not None else None
        if values is None:
            raise NotFoundError(f"{path.relpath}: no process with that Handle")
        return values

    # --- methods -----------------------------------------------------------------
    def invoke_method(
        self, ctx: Any, path: ObjectPath, method: str, in_params: dict[str, Any]
    ) -> dict[str, Any]:
        name = method.lower()
        if name == "create":
            return self._create(in_params)
        pid = _pid_of(path)
        if pid is None or self._read(pid) is None:
            raise NotFoundError(f"{path.relpath}: no process with that Handle")
        if name == "terminate":
            return {"ReturnValue": self._terminate(pid)}
        if name == "getowner":
            return self._owner(pid)
        if name == "getownersid":
            try:
                uid = os.stat(f"/proc/{pid}").st_uid
            except OSError:
                return {"ReturnValue": UNKNOWN_FAILURE}
            return {"ReturnValue": SUCCESS, "Sid": f"S-1-22-1-{uid}"}
        if name == "setpriority":
            return {"ReturnValue": self._set_priority(pid, in_params.get("Priority"))}
        raise NotSupportedError(f"Win32_Process.{method} is not implemented on Linux")

    def _reap(self) -> None:
        with self._lock:
            for pid, proc in list(self._children.items()):
                if proc.poll() is not None:
                    del self._children[pid]

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        self._reap()
        command = params.get("CommandLine")
        if not isinstance(command, str) or not command.strip():
            return {"ReturnValue": INVALID_PARAMETER, "ProcessId": None}
        try:
            argv = shlex.split(command)
        except ValueError:  # unbalanced quotes
            return {"ReturnValue": INVALID_PARAMETER, "ProcessId": None}
        cwd = params.get("CurrentDirectory") or None
        if cwd is not None and not os.path.isdir(cwd):
            return {"ReturnValue": PATH_NOT_FOUND, "ProcessId": None}
        env: dict[str, str] | None = None
        startup = params.get("ProcessStartupInformation")
        if isinstance(startup, CIMInstance):
            variables = startup.get("EnvironmentVariables")
            if variables:
                env = dict(v.split("=", 1) for v in variables if "=" in v)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except FileNotFoundError:
            return {"ReturnValue": PATH_NOT_FOUND, "ProcessId": None}
        except PermissionError:
            return {"ReturnValue": ACCESS_DENIED, "ProcessId": None}
        except OSError:
            return {"ReturnValue": UNKNOWN_FAILURE, "ProcessId": None}
        with self._lock:
            self._children[proc.pid] = proc
        return {"ReturnValue": SUCCESS, "ProcessId": proc.pid}

    def _terminate(self, pid: int) -> int:
        if pid in (1, os.getpid()):
            return ACCESS_DENIED
        try:
            os.kill(pid, signal.SIGKILL)
        except PermissionError:
            return ACCESS_DENIED
        except ProcessLookupError:
            return SUCCESS  # it ended on its own meanwhile
        with self._lock:
            child = self._children.pop(pid, None)
        if child is not None:
            child.wait(timeout=10)  # reap our own child: no zombie left behind
        else:
            _wait_dead(pid, 5.0)
        return SUCCESS

    def _owner(self, pid: int) -> dict[str, Any]:
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            return {"ReturnValue": UNKNOWN_FAILURE}
        try:
            user = pwd.getpwuid(uid).pw_name
        except KeyError:
            user = str(uid)
        return {"ReturnValue": SUCCESS, "User": user, "Domain": computer_name()}

    def _set_priority(self, pid: int, priority: Any) -> int:
        nice = _PRIORITY_CLASS_NICE.get(priority) if isinstance(priority, int) else None
        if nice is None:
            return INVALID_PARAMETER
        try:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        except PermissionError:
            return ACCESS_DENIED
        except OSError:
            return UNKNOWN_FAILURE
        return SUCCESS


def _wait_dead(pid: int, timeout: float) -> None:
    """Wait until ``pid`` is gone or a zombie, without reaping it (it may be
    another process's child, whose exit status is not ours to take)."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            return
        if stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] in (b"Z", b"X"):
            return
        pause.wait(delay)
        delay = min(delay * 2, 0.05)


def _pid_of(path: ObjectPath) -> int | None:
    handle = key_of(path, "Handle")
    text = str(handle).strip()
    return int(text) if text.isdigit() else None


class SystemProcessesProvider:
    """``Win32_SystemProcesses``: the computer system contains every process."""

    classname = "Win32_SystemProcesses"

    def enumerate_instances(self, ctx: Any, classname: str) -> Iterator[dict[str, Any]]:
        system = ObjectPath.for_instance(
            "Win32_ComputerSystem", {"Name": computer_name()}
        )
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            if is_cancelled(ctx):
                return
            yield {
                "GroupComponent": system,
                "PartComponent": ObjectPath.for_instance(
                    "Win32_Process", {"Handle": name}
                ),
            }
