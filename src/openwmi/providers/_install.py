"""Putting providers into an object manager: schema, version marker, registration.

Owns ``install_builtin`` (the one start-up hook: compile the shipped MOF into
a namespace when it is missing or outdated, then register the built-in
providers) and ``Installer``, the small adapter over either a ``Services``
connection or an ``ObjectManager`` that the loader shares. Everything is
duck-typed: this module imports model, errors and openwmi.mof (the MOF
compiler front end), never the manager, the repository, the client or socket.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import HResult, InvalidClassError, NotFoundError, WbemError
from ..model import CIMClass, QualifierDeclaration
from ._host import IsolatedProvider, ProviderHost
from ._protocol import Hosting
from .builtin import BUILTIN_FACTORIES, builtin_providers, schema_mof, schema_version

__all__ = ["InstallReport", "Installer", "install_builtin"]

log = logging.getLogger("openwmi.providers")

VERSION_CLASS = "OpenWMI_SchemaVersion"
_CLASS_RE = re.compile(r"^\s*class\s+(\w+)", re.MULTILINE)


class Installer:
    """Namespace-level operations over a ``Services`` or an ``ObjectManager``."""

    def __init__(self, target: Any) -> None:
        # a Services exposes its object manager; an ObjectManager is used as is
        self.manager: Any = getattr(target, "manager", target)

    def ensure_namespace(self, namespace: str) -> str:
        try:
            return str(self.manager.check_namespace(namespace))
        except WbemError as exc:
            if exc.hresult != HResult.WBEM_E_INVALID_NAMESPACE:
                raise
        self.manager.create_namespace(namespace)
        return str(self.manager.check_namespace(namespace))

    def has_class(self, namespace: str, name: str) -> bool:
        return self.manager.find_class(namespace, name) is not None

    def compile(self, namespace: str, text: str, filename: str) -> None:
        """Compile ``text`` into ``namespace``. The compiled items are kept per
        process, so later installs (fresh repositories, other namespaces) apply
        them without parsing the MOF again (parsing is ~0.4 s, applying ~10 ms)."""
        from ..mof import compile_mof

        key = hashlib.sha256(text.encode()).hexdigest()
        cached = _COMPILED.get(key)
        target = _MofTarget(self.manager)
        if cached is not None:
            items = [dataclasses.replace(item, namespace=namespace) for item in cached]
            with self._transaction():
                target.apply_mof(namespace, items)
            return
        recorder = _Recorder(target)
        compile_mof(text, recorder, namespace=namespace, filename=filename)
        _COMPILED[key] = recorder.items

    def _transaction(self) -> Any:
        repo = getattr(self.manager, "repository", None)
        return repo.transaction() if repo is not None else contextlib.nullcontext()

    def delete_classes(self, namespace: str, names: Sequence[str]) -> None:
        for name in reversed(names):
            if self.has_class(namespace, name):
                self.manager.delete_class(namespace, name)

    def installed_version(self, namespace: str) -> str | None:
        try:
            inst = self.manager.get_instance(namespace, f"{VERSION_CLASS}=@")
        except (NotFoundError, InvalidClassError):
            return None
        value = inst.get("Version")
        return str(value) if value is not None else None

    def set_version(self, namespace: str, version: str) -> None:
        inst = self.manager.spawn_instance(namespace, VERSION_CLASS, Version=version)
        self.manager.put_instance(namespace, inst)

    def register(self, namespace: str, classname: str, provider: Any) -> bool:
        """Register; False when a provider already serves that class."""
        try:
            self.manager.register_provider(namespace, classname, provider)
        except WbemError as exc:
            if exc.hresult == HResult.WBEM_E_PROVIDER_ALREADY_REGISTERED:
                return False
            raise
        return True


class _MofTarget:
    """``openwmi.mof.MofTarget`` over the manager's public operations.

    Items are applied one by one in MOF order (the repository's all-or-nothing
    transaction is the manager's business; a failed install is retried whole
    on the next start because the version marker is written last).
    """

    def __init__(self, manager: Any) -> None:
        self.manager = manager

    def get_qualifier_declaration(
        self, namespace: str, name: str
    ) -> QualifierDeclaration | None:
        try:
            decl: QualifierDeclaration = self.manager.get_qualifier(namespace, name)
        except WbemError:
            return None
        return decl

    def list_qualifier_declarations(self, namespace: str) -> list[QualifierDeclaration]:
        try:
            return list(self.manager.list_qualifiers(namespace))
        except WbemError:
            return []

    def get_class(self, namespace: str, name: str) -> CIMClass | None:
        try:
            cls: CIMClass | None = self.manager.find_class(namespace, name)
        except WbemError:
            return None
        return cls

    def ensure_namespace(self, namespace: str) -> None:
        Installer(self.manager).ensure_namespace(namespace)

    def apply_mof(self, namespace: str, items: list[Any]) -> None:
        from ..mof import ClassItem, InstanceItem, QualifierDeclItem

        for item in items:
            if isinstance(item, QualifierDeclItem):
                self.manager.put_qualifier(item.namespace, item.decl)
            elif isinstance(item, ClassItem):
                self.manager.put_class(item.namespace, item.cls)
            elif isinstance(item, InstanceItem):
                self.manager.put_instance(item.namespace, item.inst)


class _Recorder:
    """A MofTarget that remembers what it applied (for ``Installer.compile``)."""

    def __init__(self, target: _MofTarget) -> None:
        self.target = target
        self.items: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)

    def apply_mof(self, namespace: str, items: list[Any]) -> None:
        self.target.apply_mof(namespace, items)
        self.items.extend(items)


_COMPILED: dict[str, list[Any]] = {}


class InstallReport:
    """What ``install_builtin`` did."""

    def __init__(self, namespace: str, compiled: bool, registered: list[str]) -> None:
        self.namespace = namespace
        self.compiled = compiled
        self.registered = registered

    def __repr__(self) -> str:
        return (
            f"<InstallReport {self.namespace}: compiled={self.compiled}, "
            f"{len(self.registered)} providers registered>"
        )


def install_builtin(
    target: Any,
    namespace: str = "root/cimv2",
    *,
    volume_images: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    hosting: Hosting | str = Hosting.IN_PROCESS,
    host: ProviderHost | None = None,
) -> InstallReport:
    """Compile the built-in schema into ``namespace`` if missing or outdated,
    then register the built-in providers (idempotent: call it at every start).

    Args:
        target: a ``Services`` (``openwmi.connect()``) or an ``ObjectManager``.
        namespace: where the Win32_ classes live (WMI: ``root/cimv2``).
        volume_images: image files ``Win32_Volume.Format``/``Defrag`` may touch,
            besides ``$OPENWMI_VOLUME_IMAGES`` and the providers config file.
        overrides: class → provider to use instead of a built-in one.
        hosting: ``"isolated"`` runs the built-ins in one provider host process.
        host: the host for isolated hosting (default: a new one).

    Returns:
        An ``InstallReport`` (whether MOF was compiled, which classes got providers).

    Raises:
        WbemError: the schema does not compile into the namespace (e.g. a
            user class with the same name conflicts); nothing is registered.
    """
    inst = Installer(target)
    ns = inst.ensure_namespace(namespace)
    version = schema_version()
    compiled = False
    if inst.installed_version(ns) != version or not inst.has_class(ns, "Win32_Process"):
        text = schema_mof()
        try:
            inst.compile(ns, text, "openwmi/providers/builtin/*.mof")
        except WbemError as exc:
            # an older schema whose update is structural: replace our classes
            log.info("re-creating the built-in classes in %s: %s", ns, exc.message)
            inst.delete_classes(ns, _CLASS_RE.findall(text))
            inst.compile(ns, text, "openwmi/providers/builtin/*.mof")
        inst.set_version(ns, version)
        compiled = True
    providers = builtin_providers(volume_images)
    if Hosting(hosting) is Hosting.ISOLATED:
        shared = host or ProviderHost("openwmi.builtin")
        kwargs = {"Win32_Volume": {"images": tuple(volume_images)}}
        providers = {
            name: IsolatedProvider(
                BUILTIN_FACTORIES[name],
                kwargs=kwargs.get(name),
                host=shared,
            )
            for name in providers
            if name in BUILTIN_FACTORIES
        }
    providers.update(overrides or {})
    registered = [
        name for name, prov in providers.items() if inst.register(ns, name, prov)
    ]
    return InstallReport(ns, compiled, registered)
