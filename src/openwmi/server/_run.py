"""Running the CIM-XML app on uvicorn: binding, TLS, first-start credentials,
the self-signed certificate, graceful stop, and a thread runner for tests.

Owns ``ServeOptions``/``serve`` (what ``openwmi serve`` runs), ``ServerThread``
(uvicorn on a pre-bound loopback socket in a thread, stopped
deterministically), ``ensure_admin`` (first start creates an admin credential,
mode 0600) and ``ensure_certificate`` (``openssl`` CLI: the ``cryptography``
package is not a dependency). No hand-written HTTP. Imports manager,
repository, errors and the sibling server modules; never client or engine.

Rule 1: a non-loopback address without TLS is refused unless
        ``insecure_http``; ``no_auth`` is refused on a non-loopback address.
Rule 2: SIGTERM/SIGINT stop accepting, let in-flight calls finish (uvicorn's
        graceful shutdown), close every enumeration context, then close the
        repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from ..errors import InvalidParameterError
from ..manager import ObjectManager
from ..repository import SQLiteRepository
from ._app import CIMXMLApp, Limits
from ._auth import RIGHTS, Authenticator, UsersFile
from ._interop import install_interop

__all__ = [
    "ServeOptions",
    "ServerThread",
    "build_app",
    "ensure_admin",
    "ensure_certificate",
    "is_loopback",
    "serve",
]


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 5988
    https_port: int | None = 5989
    repository: str | None = None
    no_auth: bool = False
    insecure_http: bool = False
    data_dir: Path | None = None
    certfile: str | None = None
    keyfile: str | None = None


def check_options(opts: ServeOptions) -> None:
    """Rule 1.

    Raises:
        InvalidParameterError: an unsafe combination.
    """
    loop = is_loopback(opts.host)
    if opts.no_auth and not loop:
        raise InvalidParameterError(
            f"--no-auth is only allowed on a loopback address, not {opts.host}"
        )
    if not loop and opts.port and not opts.insecure_http:
        raise InvalidParameterError(
            f"refusing plain HTTP on non-loopback address {opts.host}: credentials "
            "would cross the network in clear text. Use --port 0 (HTTPS only) or "
            "pass --insecure-http"
        )


def ensure_admin(users: UsersFile) -> str | None:
    """Create the ``admin`` user on first start; returns its password (else None)."""
    if users.users:
        return None
    password = secrets.token_urlsafe(18)
    users.add("admin", password, {"*": list(RIGHTS)})
    users.save()
    return password


def ensure_certificate(data_dir: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate in ``data_dir`` (generated once, key mode 0600).

    Raises:
        InvalidParameterError: openssl is missing or failed.
    """
    cert = data_dir / "server-cert.pem"
    key = data_dir / "server-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    openssl = shutil.which("openssl")
    if openssl is None:
        raise InvalidParameterError(
            "no TLS certificate given and openssl is not installed to make one"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    san = f"DNS:localhost,IP:127.0.0.1,DNS:{socket.gethostname()}"
    if host not in ("0.0.0.0", "::", "127.0.0.1", "localhost"):
        san += f",IP:{host}" if _is_ip(host) else f",DNS:{host}"
    old = os.umask(0o077)
    try:
        proc = subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "825",
                "-subj",
                "/CN=openwmi",
                "-addext",
                f"subjectAltName={san}",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.umask(old)
    if proc.returncode != 0:
        raise InvalidParameterError(f"openssl failed: {proc.stderr.strip()}")
    os.chmod(key, 0o600)
    return cert, key


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def build_app(
    manager: ObjectManager,
    *,
    users: UsersFile | None,
    limits: Limits | None = None,
    clock: Callable[[], float] | None = None,
) -> CIMXMLApp:
    """The app over ``manager`` with the interop namespace installed."""
    install_interop(manager)
    auth = Authenticator(users) if users is not None else None
    kw: dict[str, Any] = {}
    if clock is not None:
        kw["clock"] = clock
    return CIMXMLApp(manager, authenticator=auth, limits=limits, **kw)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY only on sockets that
    # say they are TCP; without it every keep-alive response waits ~40 ms for
    # the client's delayed ACK (Nagle)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """uvicorn serving ``app`` on a pre-bound socket in a background thread.

    The socket listens before the thread starts, so clients may connect at
    once (they wait in the backlog); ``stop()`` asks uvicorn to exit and joins.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> None:
        self.sock = _bind(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        scheme = "https" if ssl_certfile else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            timeout_graceful_shutdown=10,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, name=f"openwmi-server-{self.port}", daemon=True
        )
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.sock]))
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self.sock.close()
        if self._thread.is_alive():
            raise RuntimeError("the server thread did not stop")

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def _opened_manager(path: str) -> Iterator[ObjectManager]:
    manager = ObjectManager(SQLiteRepository(path))
    try:
        yield manager
    finally:
        manager.close()


def serve(
    opts: ServeOptions,
    *,
    repository_path: str,
    data_dir: Path,
    echo: Callable[[str], None] = print,
) -> None:
    """Run ``openwmi serve`` until SIGTERM/SIGINT (Rule 2)."""
    check_options(opts)
    users: UsersFile | None = None
    if not opts.no_auth:
        users = UsersFile(data_dir / "users.json")
        password = ensure_admin(users)
        if password is not None:
            echo(
                f"created user 'admin' with password {password}\n"
                f"  stored (scrypt hash, mode 0600) in {users.path}; change it with "
                "'openwmi user passwd admin'"
            )
    with _opened_manager(repository_path) as manager:
        app = build_app(manager, users=users)
        asyncio.run(_serve_all(app, opts, data_dir, echo))


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling (``_serve_all`` owns the signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_all(
    app: CIMXMLApp, opts: ServeOptions, data_dir: Path, echo: Callable[[str], None]
) -> None:
    servers: list[uvicorn.Server] = []
    socks: list[socket.socket] = []
    if opts.port:
        sock = _bind(opts.host, opts.port)
        socks.append(sock)
        servers.append(
            _Server(
                uvicorn.Config(
                    app, lifespan="on", log_level="info", timeout_graceful_shutdown=30
                )
            )
        )
        echo(f"openwmi: serving CIM-XML on http://{opts.host}:{sock.getsockname()[1]}")
    if opts.https_port:
        if opts.certfile and opts.keyfile:
            cert, key = Path(opts.certfile), Path(opts.keyfile)
        else:
            cert, key = ensure_certificate(data_dir, opts.host)
        sock = _bind(opts.host, opts.https_port)
        socks.append(sock)
        servers.append(
            _Server(
                uvicorn.Config(
                    app,
                    lifespan="off" if servers else "on",
                    log_level="info",
                    ssl_certfile=str(cert),
                    ssl_keyfile=str(key),
                    timeout_graceful_shutdown=30,
                )
            )
        )
        echo(
            f"openwmi: serving CIM-XML on https://{opts.host}:{sock.getsockname()[1]}"
            f" (certificate {cert})"
        )
    if not servers:
        raise InvalidParameterError("nothing to serve: both ports are 0")
    for s in servers[1:]:
        s.config.lifespan = "off"
    # one SIGTERM/SIGINT handler stops every listener gracefully (uvicorn's own
    # per-server handlers would re-raise the signal after shutdown)
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for s in servers:
            s.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    tasks = [
        asyncio.create_task(s.serve(sockets=[k]))
        for s, k in zip(servers, socks, strict=True)
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await app.aclose()
        for k in socks:
            k.close()
        echo("openwmi: stopped")
