"""The command line against a remote server: ``openwmi query --url … --user …
--password … "SELECT …"`` (and get/enum/call/namespaces), run as the real
entry point in a child process."""

from __future__ import annotations

import json
import subprocess
import sys

from openwmi.server._run import ServerThread


def run(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "openwmi", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_query_over_the_wire(auth_server: ServerThread) -> None:
    code, out, err = run(
        "--format",
        "json",
        "query",
        "--url",
        auth_server.url,
        "--user",
        "reader",
        "--password",
        "readpw",
        "SELECT Name, N FROM R_Base WHERE N < 3",
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(rows) == 1 and isinstance(rows[0], list):
        rows = rows[0]
    assert sorted((r["Name"], r["N"]) for r in rows) == [("a", 1), ("b", 2)]


def test_group_options_get_and_call(auth_server: ServerThread) -> None:
    remote = ["--url", auth_server.url, "--user", "admin", "--password", "adminpw"]
    code, out, err = run(*remote, "get", "R_Other.Id=7")
    assert code == 0, err
    assert "seven" in out
    code, out, err = run(
        *remote, "--format", "json", "call", "R_Calc", "Add", "A=2", "B=3"
    )
    assert code == 0, err
    assert '"Sum": 5' in out
    code, out, err = run(*remote, "--format", "json", "namespaces")
    assert code == 0, err
    assert "root/cimv2" in out


def test_refused_password_exits_1_with_the_wmi_code(auth_server: ServerThread) -> None:
    code, _, err = run(
        "enum",
        "R_Base",
        "--url",
        auth_server.url,
        "--user",
        "admin",
        "--password",
        "no",
    )
    assert code == 1
    assert "WBEM_E_ACCESS_DENIED" in err
    assert "Traceback" not in err
