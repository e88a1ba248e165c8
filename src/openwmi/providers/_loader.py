"""Provider discovery: the ``openwmi.providers`` entry point and the providers config file.

Owns ``ProviderSpec`` (one registration: factory, classes, namespace,
hosting, group, timeout, restart limit, MOF), ``read_config`` (the TOML
config file), ``entry_point_specs`` and ``load_providers``, which registers
every spec into a ``Services`` or an ``ObjectManager`` and reports what
failed instead of stopping start-up. Imports model, errors and the sibling
provider modules; never the repository, the manager, the client or socket.

Config file (``$OPENWMI_PROVIDERS_CONFIG``, else
``$XDG_CONFIG_HOME/openwmi/providers.toml``)::

    [volumes]
    images = ["/srv/images/scratch.img"]      # Win32_Volume.Format/Defrag targets

    [[provider]]
    factory = "mypkg.providers:ThingProvider" # module:attribute (class or factory)
    classes = ["My_Thing"]                    # default: the object's `classes`
    namespace = "root/cimv2"
    hosting = "isolated"                      # or "inprocess" (the default)
    group = "mine"                            # isolated providers sharing a host
    timeout = 30                              # seconds of silence → TIMED_OUT
    restart_limit = 5
    mof = "/etc/openwmi/thing.mof"            # compiled first if a class is missing

Entry points: ``[project.entry-points."openwmi.providers"] thing =
"mypkg.providers:ThingProvider"``. The object (imported in-process to read
its metadata) declares ``classes`` and optionally ``namespace``, ``mof``
(MOF text), ``hosting``, ``group``, ``timeout``. With ``hosting =
"isolated"`` the parent only imports the module; the provider object is
built in the host.
"""

from __future__ import annotations

import importlib
import logging
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError, ProviderLoadError, WbemError
from ._host import DEFAULT_OPS, IsolatedProvider, ProviderHost
from ._install import Installer
from ._protocol import Hosting

__all__ = [
    "ENTRY_POINT_GROUP",
    "LoadReport",
    "ProviderSpec",
    "default_config_path",
    "entry_point_specs",
    "load_providers",
    "read_config",
]

ENTRY_POINT_GROUP = "openwmi.providers"
ENV_CONFIG = "OPENWMI_PROVIDERS_CONFIG"
log = logging.getLogger("openwmi.providers")


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One provider registration."""

    factory: str
    classes: tuple[str, ...]
    namespace: str = "root/cimv2"
    hosting: Hosting = Hosting.IN_PROCESS
    group: str | None = None
    timeout: float = 30.0
    restart_limit: int = 5
    mof: str | None = None  # MOF text
    source: str = ""
    operations: tuple[str, ...] = DEFAULT_OPS
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LoadReport:
    """What ``load_providers`` registered and what failed (never raised)."""

    registered: list[tuple[str, str]] = field(default_factory=list)  # (ns, class)
    errors: list[tuple[str, WbemError]] = field(default_factory=list)  # (source, error)
    volume_images: list[str] = field(default_factory=list)


def default_config_path() -> Path:
    """``$OPENWMI_PROVIDERS_CONFIG``, else ``$XDG_CONFIG_HOME/openwmi/providers.toml``."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "openwmi" / "providers.toml"


def _resolve(factory: str) -> Any:
    module, _, attr = factory.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def _spec_from(
    obj: Any, factory: str, source: str, given: dict[str, Any]
) -> ProviderSpec:
    """Merge config values (``given``) over the object's declared metadata."""

    def pick(name: str, default: Any) -> Any:
        if name in given:
            return given[name]
        return getattr(obj, name, default) if obj is not None else default

    classes = pick("classes", None)
    if isinstance(classes, str):
        classes = [classes]
    if not classes:
        raise InvalidParameterError(
            f"{source}: provider {factory} declares no classes "
            "(give `classes` in the config or as a class attribute)"
        )
    mof = pick("mof", None)
    if isinstance(mof, str) and "\n" not in mof and mof.endswith(".mof"):
        mof = Path(mof).read_text("utf-8")
    hosting = Hosting(str(pick("hosting", "inprocess")).lower())
    ops = pick("operations", None) or tuple(
        op for op in DEFAULT_OPS if obj is None or callable(getattr(obj, op, None))
    )
    return ProviderSpec(
        factory=factory,
        classes=tuple(classes),
        namespace=str(pick("namespace", "root/cimv2")),
        hosting=hosting,
        group=pick("group", None),
        timeout=float(pick("timeout", 30.0)),
        restart_limit=int(pick("restart_limit", 5)),
        mof=mof,
        source=source,
        operations=tuple(ops) or DEFAULT_OPS,
        kwargs=dict(given.get("kwargs", {})),
    )


def read_config(
    path: str | os.PathLike[str] | None = None,
) -> tuple[list[ProviderSpec], list[str], list[tuple[str, WbemError]]]:
    """Specs, volume images and per-entry errors from a providers config file.

    A missing file is an empty configuration.

    Raises:
        InvalidParameterError: the file is not valid TOML.
    """
    p = Path(path) if path is not None else default_config_path()
    if not p.exists():
        return [], [], []
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidParameterError(f"providers config {p}: {exc}") from exc
    images = [str(i) for i in data.get("volumes", {}).get("images", [])]
    specs: list[ProviderSpec] = []
    errors: list[tuple[str, WbemError]] = []
    for i, entry in enumerate(data.get("provider", [])):
        source = f"{p} [[provider]] #{i + 1}"
        try:
            factory = entry.get("factory")
            if not isinstance(factory, str) or ":" not in factory:
                raise InvalidParameterError(
                    f"{source}: `factory` must be 'module:attribute'"
                )
            isolated = str(entry.get("hosting", "")).lower() == "isolated"
            obj = None
            if not (isolated and entry.get("classes")):
                obj = _resolve(factory)
            specs.append(_spec_from(obj, factory, source, entry))
        except WbemError as exc:
            errors.append((source, exc))
        except Exception as exc:
            errors.append((source, _load_error(source, exc)))
    return specs, images, errors


def _load_error(source: str, exc: BaseException) -> ProviderLoadError:
    return ProviderLoadError(
        f"{source}: cannot load provider: {type(exc).__name__}: {exc}"
    )


def entry_point_specs() -> tuple[list[ProviderSpec], list[tuple[str, WbemError]]]:
    """Specs for every ``openwmi.providers`` entry point (errors collected)."""
    specs: list[ProviderSpec] = []
    errors: list[tuple[str, WbemError]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        source = f"entry point {ep.name} = {ep.value}"
        try:
            specs.append(_spec_from(ep.load(), ep.value, source, {}))
        except WbemError as exc:
            errors.append((source, exc))
        except Exception as exc:
            errors.append((source, _load_error(source, exc)))
    return specs, errors


def _instantiate(spec: ProviderSpec, hosts: dict[str, ProviderHost]) -> Any:
    if spec.hosting is Hosting.ISOLATED:
        group = spec.group or spec.factory
        host = hosts.get(group)
        if host is None:
            host = hosts[group] = ProviderHost(
                group, timeout=spec.timeout, restart_limit=spec.restart_limit
            )
        return IsolatedProvider(
            spec.factory, kwargs=spec.kwargs, host=host, operations=spec.operations
        )
    obj = _resolve(spec.factory)
    return obj(**spec.kwargs) if isinstance(obj, type) or spec.kwargs else obj


def register_specs(
    target: Any, specs: Iterable[ProviderSpec], report: LoadReport
) -> None:
    """Register ``specs`` (compiling their MOF where a class is missing)."""
    inst = Installer(target)
    hosts: dict[str, ProviderHost] = {}
    for spec in specs:
        try:
            ns = inst.ensure_namespace(spec.namespace)
            if spec.mof and not all(inst.has_class(ns, c) for c in spec.classes):
                inst.compile(ns, spec.mof, spec.source or spec.factory)
            provider = _instantiate(spec, hosts)
            for cls in spec.classes:
                if inst.register(ns, cls, provider):
                    report.registered.append((ns, cls))
        except WbemError as exc:
            report.errors.append((spec.source, exc))
        except Exception as exc:
            report.errors.append((spec.source, _load_error(spec.source, exc)))
    for source, err in report.errors:
        log.warning("provider not loaded: %s: %s", source, err)


def load_providers(
    target: Any,
    *,
    use_entry_points: bool = True,
    config: str | os.PathLike[str] | None = None,
    extra: Sequence[ProviderSpec] = (),
) -> LoadReport:
    """Register the providers of every entry point and of the config file.

    Failures do not stop the others; they are in ``LoadReport.errors`` (and
    logged). The config's ``[volumes] images`` are returned in the report for
    ``install_builtin(volume_images=...)``.
    """
    report = LoadReport()
    specs: list[ProviderSpec] = list(extra)
    if use_entry_points:
        found, errors = entry_point_specs()
        specs += found
        report.errors += errors
    try:
        found, images, errors = read_config(config)
    except WbemError as exc:
        report.errors.append((str(config or default_config_path()), exc))
    else:
        specs += found
        report.volume_images += images
        report.errors += errors
    register_specs(target, specs, report)
    return report
