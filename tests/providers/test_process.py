"""Win32_Process against the real machine: find, get by path, methods, return codes."""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

import openwmi
from openwmi.errors import HResult, NotFoundError, WbemError
from openwmi.model import ObjectPath
from openwmi.providers.builtin import ProcessProvider

PAUSE = [sys.executable, "-c", "import signal; signal.pause()"]


def _path(pid: int) -> str:
    return f'Win32_Process.Handle="{pid}"'


def test_child_found_by_enumeration(
    cimv2: openwmi.Services, child: subprocess.Popen[bytes]
) -> None:
    procs = {p.ProcessId: p for p in cimv2.create_instance_enum("Win32_Process")}
    assert child.pid in procs
    mine = procs[child.pid]
    assert mine.Handle == str(child.pid)
    assert mine.ParentProcessId == os.getpid()
    assert mine.Name == os.path.basename(os.path.realpath(sys.executable))[:15] or (
        mine.Name == os.path.basename(sys.executable)
    )
    assert "sys.stdin.read()" in mine.CommandLine
    assert shlex.split(mine.CommandLine)[1:] == ["-c", "import sys; sys.stdin.read()"]
    assert mine.ExecutablePath == os.path.realpath(sys.executable)
    assert mine.CreationDate is not None
    assert mine.ThreadCount >= 1
    assert mine.WorkingSetSize > 0
    assert os.getpid() in procs  # the object manager itself is listed


def test_get_by_path_reads_one_process(
    cimv2: openwmi.Services, child: subprocess.Popen[bytes]
) -> None:
    inst = cimv2.get_object(_path(child.pid))
    assert inst.ProcessId == child.pid
    assert inst.path.relpath == _path(child.pid)
    assert inst.ParentProcessId == psutil.Process(child.pid).ppid()
    assert inst.VirtualSize > 0


@pytest.mark.parametrize("handle", ["999999999", "abc", "-1"])
def test_get_unknown_handle_not_found(cimv2: openwmi.Services, handle: str) -> None:
    with pytest.raises(NotFoundError) as exc:
        cimv2.get_object(f'Win32_Process.Handle="{handle}"')
    assert exc.value.hresult == HResult.WBEM_E_NOT_FOUND


def test_key_lookup_does_not_enumerate(child: subprocess.Popen[bytes]) -> None:
    """Rule 1: a get by key reads /proc/<pid> only."""

    class Counting(ProcessProvider):
        def __init__(self) -> None:
            super().__init__()
            self.reads: list[int] = []

        def _read(self, pid: int):  # type: ignore[no-untyped-def]
            self.reads.append(pid)
            return super()._read(pid)

    prov = Counting()
    prov.get_instance(None, ObjectPath.parse(_path(child.pid)))
    assert prov.reads == [child.pid]


def test_terminate_through_the_method(
    cimv2: openwmi.Services, child: subprocess.Popen[bytes]
) -> None:
    out = cimv2.exec_method(_path(child.pid), "Terminate", {"Reason": 5})
    assert out.ReturnValue == 0
    assert child.wait(timeout=10) == -9  # SIGKILL: TerminateProcess is unconditional
    with pytest.raises(NotFoundError):
        cimv2.get_object(_path(child.pid))
    with pytest.raises(NotFoundError):  # a method on a process that is gone
        cimv2.exec_method(_path(child.pid), "Terminate", {"Reason": 0})


def test_get_owner_and_sid(
    cimv2: openwmi.Services, child: subprocess.Popen[bytes]
) -> None:
    out = cimv2.exec_method(_path(child.pid), "GetOwner")
    assert out.ReturnValue == 0
    assert out.User == pwd.getpwuid(os.getuid()).pw_name
    assert out.Domain == os.uname().nodename.split(".")[0]
    sid = cimv2.exec_method(_path(child.pid), "GetOwnerSid")
    assert sid.Sid == f"S-1-22-1-{os.getuid()}"


def test_set_priority(cimv2: openwmi.Services, child: subprocess.Popen[bytes]) -> None:
    assert (
        cimv2.exec_method(_path(child.pid), "SetPriority", {"Priority": 64}).ReturnValue
        == 0
    )
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == 19
    assert cimv2.get_object(_path(child.pid)).Priority == 0
    assert (
        cimv2.exec_method(_path(child.pid), "SetPriority", {"Priority": 7}).ReturnValue
        == 21
    )


def test_create_then_terminate(cimv2: openwmi.Services, tmp_path: Path) -> None:
    out = cimv2.exec_method(
        "Win32_Process",
        "Create",
        {"CommandLine": shlex.join(PAUSE), "CurrentDirectory": str(tmp_path)},
    )
    assert out.ReturnValue == 0
    pid = out.ProcessId
    assert pid
    proc = psutil.Process(pid)
    assert proc.cwd() == str(tmp_path)
    inst = cimv2.get_object(_path(pid))
    assert shlex.split(inst.CommandLine) == PAUSE
    assert inst.ParentProcessId == os.getpid()
    assert cimv2.exec_method(_path(pid), "Terminate", {"Reason": 0}).ReturnValue == 0
    assert not psutil.pid_exists(pid)  # our own child: reaped, no zombie
    with pytest.raises(NotFoundError):
        cimv2.get_object(_path(pid))


def test_create_never_uses_a_shell(cimv2: openwmi.Services, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    out = cimv2.exec_method(
        "Win32_Process",
        "Create",
        {"CommandLine": f"{shlex.quote(sys.executable)} -c pass ; touch {marker}"},
    )
    assert out.ReturnValue == 0
    psutil.Process(out.ProcessId).wait(timeout=20)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({}, 21, id="no-command-line"),
        pytest.param({"CommandLine": "   "}, 21, id="blank"),
        pytest.param({"CommandLine": "'unbalanced"}, 21, id="bad-quoting"),
        pytest.param(
            {"CommandLine": "/nonexistent/openwmi-binary"}, 9, id="path-not-found"
        ),
        pytest.param({"CommandLine": "unknown"}, 9, id="unknown-program"),
        pytest.param(
            {"CommandLine": "true", "CurrentDirectory": "/nonexistent/dir"},
            9,
            id="bad-cwd",
        ),
    ],
)
def test_create_return_codes(
    cimv2: openwmi.Services, params: dict[str, Any], code: int
) -> None:
    """spec §10.2: no CommandLine → 21, unknown program → 9 with ProcessId NULL."""
    out = cimv2.exec_method("Win32_Process", "Create", params)
    assert out.ReturnValue == code
    assert out.ProcessId is None


def test_terminate_refuses_init_and_self(cimv2: openwmi.Services) -> None:
    for pid in (1, os.getpid()):
        if psutil.pid_exists(pid):
            assert (
                cimv2.exec_method(_path(pid), "Terminate", {"Reason": 0}).ReturnValue
                == 2
            )


def test_create_is_static_terminate_is_not(cimv2: openwmi.Services) -> None:
    with pytest.raises(WbemError) as exc:
        cimv2.exec_method("Win32_Process", "Terminate", {"Reason": 0})
    assert exc.value.hresult == HResult.WBEM_E_INVALID_PARAMETER


def test_create_with_startup_environment(
    cimv2: openwmi.Services, tmp_path: Path
) -> None:
    startup = cimv2.spawn_instance(
        "Win32_ProcessStartup", EnvironmentVariables=["OPENWMI_TEST=yes"]
    )
    out_file = tmp_path / "env.txt"
    script = f"import os; open({str(out_file)!r}, 'w').write(os.environ.get('OPENWMI_TEST', '') + str(len(os.environ)))"
    out = cimv2.exec_method(
        "Win32_Process",
        "Create",
        {
            "CommandLine": shlex.join([sys.executable, "-c", script]),
            "ProcessStartupInformation": startup,
        },
    )
    assert out.ReturnValue == 0
    psutil.Process(out.ProcessId).wait(timeout=20)
    text = out_file.read_text()
    assert text.startswith("yes")  # the startup environment replaced ours


def test_system_processes_association(
    cimv2: openwmi.Services, child: subprocess.Popen[bytes]
) -> None:
    parts = {
        a.PartComponent.key("Handle")
        for a in cimv2.create_instance_enum("Win32_SystemProcesses")
    }
    assert str(child.pid) in parts


def test_terminated_child_reaped_no_zombie(cimv2: openwmi.Services) -> None:
    out = cimv2.exec_method(
        "Win32_Process", "Create", {"CommandLine": shlex.join(PAUSE)}
    )
    pid = out.ProcessId
    cimv2.exec_method(_path(pid), "Terminate", {"Reason": 0})
    assert not psutil.pid_exists(pid)
    assert subprocess.run(["true"], check=False).returncode == 0
