"""``connect()``: the embedded object manager (default) or a remote WBEM server.

Owns where the embedded repository lives (``default_repository_path``) and the
choice between sources (a URL selects the remote source, ``_remote``).
Imports manager, repository, errors and the client's own modules; never server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

from ..errors import InvalidParameterError
from ..manager import ObjectManager
from ..repository import SQLiteRepository
from ._services import Services

__all__ = ["connect", "default_repository_path"]

DEFAULT_NAMESPACE = "root/cimv2"


def default_repository_path() -> Path:
    """``$OPENWMI_REPOSITORY``, else ``$XDG_DATA_HOME/openwmi/repository.sqlite``
    (``~/.local/share/openwmi/repository.sqlite``)."""
    env = os.environ.get("OPENWMI_REPOSITORY")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "openwmi" / "repository.sqlite"


def connect(
    url: str | None = None,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    repository: str | os.PathLike[str] | None = None,
    providers: bool = True,
    create_namespace: bool | None = None,
    user: str | None = None,
    password: str | None = None,
    verify: bool | str = True,
    timeout: float | tuple[float, float] | None = 60.0,
) -> Services:
    """Connect to an object manager.

    Args:
        url: None for the embedded object manager (no server needed), or a
            WBEM server's ``http(s)://host[:port]`` (default ports 5988/5989):
            the same ``Services`` API over CIM-XML (pull operations, streamed
            responses; see ``openwmi.client._remote``).
        namespace: the namespace to work in (default ``root/cimv2``).
        repository: the SQLite repository file for the embedded manager;
            ``":memory:"`` for a throw-away one. Default: see
            :func:`default_repository_path`.
        providers: install the built-in Linux providers (Win32_Process, …) in
            root/cimv2 and load plug-in providers (entry points, config file).
        create_namespace: create ``namespace`` when missing. Default: only for
            a ``":memory:"`` repository (a scratch repository has nothing to
            protect); a file repository reports WBEM_E_INVALID_NAMESPACE.
        user, password: HTTP Basic credentials for a remote server.
        verify: verify a remote server's TLS certificate (True), not at all
            (False), or against a CA bundle file (its path).
        timeout: seconds per remote request, or ``(connect, operation)``;
            None waits forever. A timeout is WBEM_E_TRANSPORT_FAILURE.

    Raises:
        InvalidNamespaceError: the namespace does not exist.
        ProviderError: the repository cannot be opened.
        AccessDeniedError: a remote server refused the credentials.
        TransportError: a remote server cannot be reached.
    """
    if url is not None:
        if repository is not None:
            raise InvalidParameterError(
                "connect: a repository is for the embedded object manager, not a URL"
            )
        from ._remote import connect_remote

        remote = connect_remote(
            url,
            namespace=namespace,
            user=user,
            password=password,
            verify=verify,
            timeout=timeout,
        )
        try:
            # duck typing: RemoteManager has the ObjectManager methods Services uses
            return Services(cast("ObjectManager", remote), namespace, owner=True)
        except BaseException:
            remote.close()
            raise
    path = default_repository_path() if repository is None else repository
    manager = ObjectManager(SQLiteRepository(path))
    try:
        if create_namespace is None:
            create_namespace = str(path) == ":memory:"
        if (
            create_namespace
            and namespace.strip("/\\")
            and "//" not in namespace.replace("\\", "/").strip("/")
            and not manager.repository.namespace_exists(namespace)
        ):
            manager.create_namespace(namespace)
        services = Services(manager, namespace, owner=True)
        if providers:
            from ..providers import install_builtin, load_providers

            report = load_providers(services)
            install_builtin(services, volume_images=report.volume_images)
        return services
    except BaseException:
        manager.close()
        raise
