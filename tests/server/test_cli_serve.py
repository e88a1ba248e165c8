"""``openwmi serve`` as a real process (first-start admin, self-signed TLS,
SIGTERM), the binding rules, and ``openwmi user``."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from openwmi.errors import InvalidParameterError
from openwmi.server import UsersFile
from openwmi.server._run import ServeOptions, check_options, is_loopback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("opts", "ok"),
    [
        pytest.param(ServeOptions(), True, id="loopback-default"),
        pytest.param(ServeOptions(no_auth=True), True, id="loopback-no-auth"),
        pytest.param(
            ServeOptions(host="0.0.0.0", no_auth=True), False, id="no-auth-remote"
        ),
        pytest.param(ServeOptions(host="0.0.0.0"), False, id="plain-http-remote"),
        pytest.param(
            ServeOptions(host="0.0.0.0", insecure_http=True), True, id="insecure-ok"
        ),
        pytest.param(
            ServeOptions(host="0.0.0.0", port=0), True, id="https-only-remote"
        ),
    ],
)
def test_binding_rules(opts: ServeOptions, ok: bool) -> None:
    if ok:
        check_options(opts)
    else:
        with pytest.raises(InvalidParameterError):
            check_options(opts)


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("10.1.2.3")


def _run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openwmi", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_user_commands(tmp_path: Path) -> None:
    env = {**os.environ, "OPENWMI_DATA_DIR": str(tmp_path)}
    r = _run_cli(
        "user", "add", "bob", "--password", "pw1", "--grant", "root/cimv2=read", env=env
    )
    assert r.returncode == 0, r.stderr
    users_path = tmp_path / "users.json"
    assert stat.S_IMODE(users_path.stat().st_mode) == 0o600
    users = UsersFile(users_path)
    assert users.verify("bob", "pw1")
    assert users.rights("bob", "root/cimv2/sub") == {"read"}
    assert users.rights("bob", "root/interop") == frozenset()
    assert "pw1" not in users_path.read_text()
    r = _run_cli("user", "passwd", "bob", "--password", "pw2", env=env)
    assert r.returncode == 0, r.stderr
    users.reload()
    assert users.verify("bob", "pw2")
    assert not users.verify("bob", "pw1")
    r = _run_cli("user", "del", "bob", env=env)
    assert r.returncode == 0, r.stderr
    users.reload()
    assert not users.verify("bob", "pw2")


def test_serve_process_tls_first_admin_and_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pywbem

    # requests lets these override the CA file pywbem passes (requests #3829)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    http, https = _free_port(), _free_port()
    repo = tmp_path / "repo.sqlite"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openwmi",
            "serve",
            "--port",
            str(http),
            "--https-port",
            str(https),
            "--repository",
            str(repo),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "OPENWMI_DATA_DIR": ""},
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any("https://" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        password = text.split("with password ", 1)[1].split()[0]
        users_path = tmp_path / "users.json"
        assert str(users_path) in text
        assert stat.S_IMODE(users_path.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "server-key.pem").stat().st_mode) == 0o600
        conn = pywbem.WBEMConnection(
            f"https://127.0.0.1:{https}",
            creds=("admin", password),
            ca_certs=str(tmp_path / "server-cert.pem"),  # the generated one, verified
            default_namespace="root/interop",
            timeout=30,
        )
        om = conn.EnumerateInstances("CIM_ObjectManager")
        assert om[0]["ElementName"] == "openwmi"
        anonymous = pywbem.WBEMConnection(f"http://127.0.0.1:{http}", timeout=30)
        with pytest.raises(pywbem.AuthError):
            anonymous.EnumerateInstanceNames("CIM_Namespace", namespace="root/interop")
        # idle TLS keep-alive connections would hold asyncio's SSL shutdown
        # (up to its 30 s close_notify timeout): the clients hang up first
        conn.close()
        anonymous.close()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
