"""``connect()``: the embedded object manager (default) or, later, a remote server.

Owns where the embedded repository lives (``default_repository_path``) and the
choice between sources. Imports manager, repository and errors; never server.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import NotSupportedError
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
) -> Services:
    """Connect to an object manager.

    Args:
        url: None for the embedded object manager (no server needed).
        namespace: the namespace to work in (default ``root/cimv2``).
        repository: the SQLite repository file for the embedded manager;
            ``":memory:"`` for a throw-away one. Default: see
            :func:`default_repository_path`.
        providers: install the built-in Linux providers (Win32_Process, …) in
            root/cimv2 and load plug-in providers (entry points, config file).
        create_namespace: create ``namespace`` when missing. Default: only for
            a ``":memory:"`` repository (a scratch repository has nothing to
            protect); a file repository reports WBEM_E_INVALID_NAMESPACE.

    Raises:
        InvalidNamespaceError: the namespace does not exist.
        ProviderError: the repository cannot be opened.
    """
    if url is not None:
        raise NotSupportedError(
            f"remote connections ({url}) are not available in this release; "
            "use the embedded object manager (url=None)"
        )
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
