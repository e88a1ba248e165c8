"""The object manager: IWbemServices operations over the repository (and providers).

Owns the synchronous semantics of every operation of spec §4.2: class and
instance CRUD with their flag and validation rules, enumeration, namespaces,
qualifier declarations and association traversal. It is the *local source*
the call engine drives; it imports model, repository, errors and constants,
never engine, protocol, server or client.

Rule 1: validation happens before any write; every write is one repository
        transaction, so a failed operation leaves the repository unchanged.
Rule 2: enumerations are lazy iterators; nothing is materialised.
Rule 3: objects handed to callers are theirs: classes are copies, instances are
        fresh objects (the repository's shared class objects never leak out
        mutable... they are shared read-only by instances).
"""

from __future__ import annotations

import inspect
import platform
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from ..constants import (
    WBEM_FLAG_CREATE_ONLY,
    WBEM_FLAG_DIRECT_READ,
    WBEM_FLAG_SHALLOW,
    WBEM_FLAG_UPDATE_FORCE_MODE,
    WBEM_FLAG_UPDATE_ONLY,
    WBEM_FLAG_UPDATE_SAFE_MODE,
    WBEM_MAX_PATH,
)
from ..errors import (
    AlreadyExistsError,
    HResult,
    InvalidClassError,
    InvalidNamespaceError,
    InvalidObjectError,
    InvalidObjectPathError,
    InvalidOperationError,
    InvalidParameterError,
    InvalidPropertyError,
    NotFoundError,
    ProviderNotCapableError,
    QuotaViolationError,
    TypeMismatchError,
    WbemError,
)
from ..model import (
    CIMClass,
    CIMInstance,
    CIMProperty,
    CIMType,
    ObjectPath,
    QualifierDeclaration,
    coerce_property,
    resolve_class,
)
from ..repository import SQLiteRepository, key_id, normalize_namespace
from ._changes import Change, ChangeFeed
from ._events import EventManager
from ._events_permanent import install_subscription_classes
from ._flags import check_flags
from ._methods import exec_method
from ._providers import ProviderRegistry, call_provider, provider_instances, to_instance
from ._query import QueryRunner
from ._system import SYSTEM_NAMESPACES, system_classes

__all__ = ["ObjectManager"]

_NAMESPACE_CLASS = "__namespace"


def _join(ns: str, child: str) -> str:
    return f"{ns.strip('/')}/{child}"


class ObjectManager:
    """One repository's object manager; thread-safe through the repository lock."""

    def __init__(
        self, repository: SQLiteRepository, *, server: str | None = None
    ) -> None:
        self.repository = repository
        self.server = server or platform.node() or "localhost"
        self.providers = ProviderRegistry()
        self.queries = QueryRunner(self)
        self.changes = ChangeFeed()
        self._bootstrap()
        self.events = EventManager(
            self
        )  # installs subscription classes, re-arms bindings

    def _emit(self, kind: Any, ns: str, target: Any, previous: Any = None) -> None:
        """Publish a change once the current write commits (nothing on rollback)."""
        if self.changes:
            change = Change(kind, ns, target, previous)
            self.repository.after_commit(lambda: self.changes.publish(change))

    # --- queries -----------------------------------------------------------------------
    def exec_query(
        self,
        namespace: str,
        query: Any,
        language: Any = "WQL",
        flags: int = 0,
        ctx: Any = None,
    ) -> Iterator[Any] | AsyncIterator[Any]:
        """ExecQuery (spec §4.2 opnum 20, §7): validates now, evaluates lazily.

        Raises:
            InvalidParameterError: NULL/empty query or language, bad flags.
            InvalidQueryTypeError: the language is not WQL.
            InvalidQueryError: syntax, unknown property, operator/type misuse.
            InvalidClassError: the FROM class does not exist.
        """
        check_flags("ExecQuery", flags)
        return self.queries.run(namespace, query, language, flags, ctx)

    # --- providers ---------------------------------------------------------------------
    def register_provider(self, namespace: str, classname: str, provider: Any) -> None:
        """Serve ``classname`` (exact class) from ``provider`` (see ``_providers``)."""
        ns = self.check_namespace(namespace)
        cls = self._class(ns, classname)
        self.providers.register(ns, cls.name, provider)

    def exec_method(
        self,
        namespace: str,
        path: str | ObjectPath,
        method: str,
        in_params: Any = None,
        flags: int = 0,
        ctx: Any = None,
    ) -> CIMInstance:
        """ExecMethod: validate, call the class's method provider, return the
        ``__PARAMETERS`` out-parameters instance (spec §4.2 opnum 24)."""
        check_flags("ExecMethod", flags)
        ns, parsed = self.parse_path(namespace, path)
        cls = self._class(ns, parsed.classname)
        if parsed.is_instance:
            self._instance_key(ns, cls, parsed)
        provider = self.providers.get(ns, cls.name)
        return exec_method(cls, parsed, method, in_params, provider, ctx)

    # --- bootstrap -------------------------------------------------------------------
    def _bootstrap(self) -> None:
        repo = self.repository
        with repo.transaction():
            for ns in SYSTEM_NAMESPACES:
                if not repo.namespace_exists(ns):
                    self._create_namespace_raw(ns)

    def create_namespace(self, namespace: str) -> None:
        """Create ``namespace`` (and missing parents) with the system classes."""
        parts = namespace.replace("\\", "/").strip("/").split("/")
        with self.repository.transaction():
            for i in range(1, len(parts) + 1):
                ns = "/".join(parts[:i])
                if not self.repository.namespace_exists(ns):
                    self._create_namespace_raw(ns)

    def _create_namespace_raw(self, ns: str) -> None:
        repo = self.repository
        with repo.transaction():
            repo.create_namespace(ns)
            for cls in system_classes(ns):
                repo.put_class(ns, cls)
            install_subscription_classes(repo, ns)

    def close(self) -> None:
        self.events.close()
        self.repository.close()

    # --- namespaces ------------------------------------------------------------------
    def check_namespace(self, namespace: object) -> str:
        """The namespace's stored spelling; ``WBEM_E_INVALID_NAMESPACE`` if unknown."""
        if not isinstance(namespace, str) or not namespace.strip("/\\"):
            raise InvalidNamespaceError(f"namespace {namespace!r} is not valid")
        if "//" in namespace.replace("\\", "/").strip("/"):
            raise InvalidNamespaceError(f"namespace {namespace!r} has an empty segment")
        return self.repository.namespace_name(namespace)

    def open_namespace(self, namespace: str, name: str, flags: int = 0) -> str:
        """The child namespace ``name`` of ``namespace`` (spec §4.2 OpenNamespace)."""
        check_flags("OpenNamespace", flags)
        if not name or not isinstance(name, str):
            raise InvalidParameterError("OpenNamespace: a namespace name is required")
        current = self.check_namespace(namespace)
        target = _join(current, name.replace("\\", "/").strip("/"))
        if not self.repository.namespace_exists(target):
            raise InvalidNamespaceError(
                f"namespace {name!r} does not exist under {current} "
                "(OpenNamespace opens child namespaces only)"
            )
        return self.repository.namespace_name(target)

    def child_namespaces(self, namespace: str) -> list[str]:
        current = normalize_namespace(self.check_namespace(namespace))
        out = []
        for ns in self.repository.list_namespaces():
            low = normalize_namespace(ns)
            if low.startswith(current + "/") and "/" not in low[len(current) + 1 :]:
                out.append(ns.rsplit("/", 1)[1])
        return out

    def list_namespaces(self) -> list[str]:
        return self.repository.list_namespaces()

    def _namespace_instance(self, namespace: str, name: str) -> CIMInstance:
        cls = self._class(namespace, "__NAMESPACE")
        return CIMInstance.trusted(cls, {"Name": name}, namespace=cls.namespace)

    # --- qualifier declarations -------------------------------------------------------
    def get_qualifier(self, namespace: str, name: str) -> QualifierDeclaration:
        ns = self.check_namespace(namespace)
        decl = self.repository.get_qualifier(ns, name)
        if decl is None:
            raise NotFoundError(f"qualifier {name!r} is not declared in {ns}")
        return decl

    def list_qualifiers(self, namespace: str) -> list[QualifierDeclaration]:
        return self.repository.list_qualifiers(self.check_namespace(namespace))

    def put_qualifier(self, namespace: str, decl: QualifierDeclaration) -> None:
        ns = self.check_namespace(namespace)
        if not isinstance(decl, QualifierDeclaration):
            raise InvalidParameterError("PutQualifier needs a QualifierDeclaration")
        self.repository.put_qualifier(ns, decl)

    def delete_qualifier(self, namespace: str, name: str) -> None:
        ns = self.check_namespace(namespace)
        if not self.repository.delete_qualifier(ns, name):
            raise NotFoundError(f"qualifier {name!r} is not declared in {ns}")

    # --- classes ----------------------------------------------------------------------
    def _class(self, namespace: str, name: str) -> CIMClass:
        cls = self.repository.get_class(namespace, name)
        if cls is None:
            raise InvalidClassError(f"class {name!r} does not exist in {namespace}")
        return cls

    def get_class(self, namespace: str, name: str) -> CIMClass:
        """A copy of the resolved class (``WBEM_E_NOT_FOUND`` if absent)."""
        ns = self.check_namespace(namespace)
        cls = self.repository.get_class(ns, name)
        if cls is None:
            raise NotFoundError(f"class {name!r} not found in {ns}")
        out = cls.copy()
        out.server = self.server
        return out

    def find_class(self, namespace: str, name: str) -> CIMClass | None:
        """The shared resolved class or None (for query validation; do not mutate)."""
        return self.repository.get_class(namespace, name)

    def put_class(self, namespace: str, cls: CIMClass, flags: int = 0) -> None:
        """Create or update a class (spec §4.2 PutClass, §1.3 validation).

        Raises:
            InvalidParameterError: bad flags or not a class.
            InvalidOperationError / InvalidObjectError: name starts / ends with "_".
            NotFoundError: the superclass does not exist, or UPDATE_ONLY on a new class.
            AlreadyExistsError: CREATE_ONLY on an existing class.
            WbemError(WBEM_E_CLASS_HAS_CHILDREN / _INSTANCES): the update conflicts.
        """
        check_flags("PutClass", flags)
        ns = self.check_namespace(namespace)
        if not isinstance(cls, CIMClass):
            raise InvalidParameterError(
                f"PutClass needs a CIMClass, got {type(cls).__name__}"
            )
        name = cls.name
        if not name:
            raise InvalidObjectError(
                "PutClass: the class has no name (__CLASS is empty)"
            )
        if name.startswith("_"):
            raise InvalidOperationError(
                f"PutClass: class name {name!r} starts with '_' (reserved for system classes)"
            )
        if name.endswith("_"):
            raise InvalidObjectError(f"PutClass: class name {name!r} ends with '_'")
        if len(name) > 0x1000:
            raise QuotaViolationError(
                "PutClass: class name longer than WBEM_MAX_IDENTIFIER"
            )
        repo = self.repository
        parent = None
        if cls.superclass:
            parent = repo.get_class(ns, cls.superclass)
            if parent is None:
                raise NotFoundError(
                    f"PutClass: superclass {cls.superclass!r} of {name} does not exist in {ns}"
                )
        local = cls.local() if cls.derivation else cls
        local = replace(local, namespace=ns, server=None)
        resolved = resolve_class(local, parent)
        old = repo.get_class(ns, name)
        if old is None and flags & WBEM_FLAG_UPDATE_ONLY:
            raise NotFoundError(f"PutClass: class {name} does not exist (UPDATE_ONLY)")
        if old is not None and flags & WBEM_FLAG_CREATE_ONLY:
            raise AlreadyExistsError(f"PutClass: class {name} already exists in {ns}")
        with repo.transaction():
            if old is not None:
                self._update_class(ns, old, resolved, flags)
                self._emit("class_modified", ns, resolved, old)
            else:
                repo.put_class(ns, resolved)
                self._emit("class_created", ns, resolved)

    def _update_class(self, ns: str, old: CIMClass, new: CIMClass, flags: int) -> None:
        repo = self.repository
        if (old.superclass or "").lower() != (new.superclass or "").lower():
            raise WbemError.of(
                HResult.WBEM_E_INVALID_SUPERCLASS,
                f"PutClass: the superclass of {old.name} cannot change "
                f"({old.superclass} → {new.superclass})",
            )
        structural = _structure(old) != _structure(new)
        subclasses = repo.subclasses(ns, old.name, deep=True)
        has_instances = repo.count_instances(ns, old.name) > 0
        force = bool(flags & WBEM_FLAG_UPDATE_FORCE_MODE)
        safe = bool(flags & WBEM_FLAG_UPDATE_SAFE_MODE)
        if (
            structural
            and has_instances
            and not force
            and not (safe and _only_additions(old, new))
        ):
            raise WbemError.of(
                HResult.WBEM_E_CLASS_HAS_INSTANCES,
                f"PutClass: {old.name} has instances; use WBEM_FLAG_UPDATE_FORCE_MODE "
                "to change its properties anyway",
            )
        if structural and subclasses and not (safe or force):
            raise WbemError.of(
                HResult.WBEM_E_CLASS_HAS_CHILDREN,
                f"PutClass: {old.name} has subclasses; use WBEM_FLAG_UPDATE_SAFE_MODE "
                "or WBEM_FLAG_UPDATE_FORCE_MODE",
            )
        repo.put_class(ns, new)
        if structural and has_instances and _keys(old) != _keys(new):
            repo.delete_instances(ns, old.name)  # FORCE_MODE: their identity is gone
        resolved = {new.name.lower(): new}
        for sub in subclasses:
            parent = resolved[(sub.superclass or "").lower()]
            try:
                fixed = resolve_class(replace(sub.local(), namespace=ns), parent)
            except WbemError:
                if not force:
                    raise
                self._delete_class_tree(ns, sub.name)
                continue
            resolved[sub.name.lower()] = fixed
            repo.put_class(ns, fixed)

    def delete_class(self, namespace: str, name: str, flags: int = 0) -> None:
        """Delete a class with its subclasses and all their instances (spec §4.2)."""
        check_flags("DeleteClass", flags)
        ns = self.check_namespace(namespace)
        if not name or not isinstance(name, str):
            raise InvalidParameterError("DeleteClass: a class name is required")
        cls = self.repository.get_class(ns, name)
        if cls is None:
            raise NotFoundError(f"DeleteClass: class {name!r} not found in {ns}")
        if cls.name.startswith("__"):
            raise InvalidOperationError(f"DeleteClass: {cls.name} is a system class")
        with self.repository.transaction():
            self._delete_class_tree(ns, cls.name)
            self._emit("class_deleted", ns, cls)

    def _delete_class_tree(self, ns: str, name: str) -> None:
        subs = self.repository.subclasses(ns, name, deep=True)
        for sub in reversed(subs):
            self.repository.delete_class(ns, sub.name)
        self.repository.delete_class(ns, name)

    def create_class_enum(
        self, namespace: str, superclass: str | None = None, flags: int = 0
    ) -> Iterator[CIMClass]:
        """Classes below ``superclass`` (None/"" = all); SHALLOW = immediate children."""
        check_flags("CreateClassEnum", flags)
        ns = self.check_namespace(namespace)
        deep = not flags & WBEM_FLAG_SHALLOW
        base: str | None = superclass or None
        if base is not None and self.repository.get_class(ns, base) is None:
            raise InvalidClassError(
                f"CreateClassEnum: class {base!r} does not exist in {ns}"
            )
        classes = self.repository.subclasses(ns, base, deep=deep)
        return self._class_copies(classes)

    def _class_copies(self, classes: list[CIMClass]) -> Iterator[CIMClass]:
        for cls in classes:
            out = cls.copy()
            out.server = self.server
            yield out

    # --- objects ----------------------------------------------------------------------
    def parse_path(
        self, namespace: str, path: str | ObjectPath
    ) -> tuple[str, ObjectPath]:
        """Parse ``path`` and pick its namespace (the path's own, or ``namespace``)."""
        if isinstance(path, ObjectPath):
            parsed = path
        else:
            if len(path) > WBEM_MAX_PATH:
                raise QuotaViolationError(
                    f"object path longer than {WBEM_MAX_PATH} characters"
                )
            parsed = ObjectPath.parse(path)
        ns = self.check_namespace(parsed.namespace or namespace)
        return ns, parsed

    def get_object(
        self,
        namespace: str,
        path: str | ObjectPath | None,
        flags: int = 0,
        ctx: Any = None,
    ) -> Any:
        """GetObject: a class, an instance, or an empty class object for a null path."""
        check_flags("GetObject", flags)
        if path is None or (isinstance(path, str) and not path.strip()):
            self.check_namespace(namespace)
            return CIMClass("", namespace=namespace)
        ns, parsed = self.parse_path(namespace, path)
        if parsed.is_class:
            return self.get_class(ns, parsed.classname)
        return self.get_instance(ns, parsed, ctx)

    def _instance_key(self, ns: str, cls: CIMClass, path: ObjectPath) -> str:
        """Check a path's keys against the class and give the repository key id."""
        keys = cls.key_names
        if path.singleton:
            if keys:
                raise InvalidObjectPathError(
                    f"{path.relpath}: {cls.name} is not a singleton; give its keys "
                    f"({', '.join(keys)})"
                )
            return "@"
        if not keys:
            raise InvalidObjectPathError(
                f"{path.relpath}: {cls.name} has no key properties"
                + (" (use Class=@ for a singleton)" if cls.is_singleton else "")
            )
        given = list(path.keybindings)
        if len(given) == 1 and given[0][0] == "" and len(keys) == 1:
            given = [(keys[0], given[0][1])]
        values: dict[str, Any] = {}
        for kname, kvalue in given:
            prop = cls.properties.get(kname)
            if prop is None or not prop.is_key:
                raise InvalidObjectPathError(
                    f"{path.relpath}: {kname!r} is not a key property of {cls.name}"
                )
            values[prop.name] = _coerce_key(
                prop.type, kvalue, f"{cls.name}.{prop.name}"
            )
        missing = [k for k in keys if k not in values]
        if missing:
            raise InvalidObjectPathError(
                f"{path.relpath}: key {', '.join(missing)} of {cls.name} is missing"
            )
        return key_id(cls, values)

    def get_instance(
        self, namespace: str, path: str | ObjectPath, ctx: Any = None
    ) -> CIMInstance:
        ns, parsed = self.parse_path(namespace, path)
        cls = self._class(ns, parsed.classname)
        provider = self.providers.get(ns, cls.name)
        if provider is not None:
            self._instance_key(ns, cls, parsed)
            found = call_provider(provider, "get_instance", cls, ctx, parsed)
            if found is None:
                raise NotFoundError(
                    f"{parsed.relpath} not found (provider of {cls.name})"
                )
            inst = to_instance(cls, found, cls.namespace or ns)
            inst.server = self.server
            return inst
        if cls.name.lower() == _NAMESPACE_CLASS:
            name = str(parsed.keybindings[0][1]) if parsed.keybindings else ""
            if name.lower() not in (c.lower() for c in self.child_namespaces(ns)):
                raise NotFoundError(f"namespace {name!r} does not exist under {ns}")
            return self._namespace_instance(ns, name)
        kid = self._instance_key(ns, cls, parsed)
        stored = self.repository.get_instance(ns, cls, kid)
        if stored is None:
            raise NotFoundError(f"{parsed.relpath} not found in {ns}")
        stored.server = self.server
        return stored

    # --- instances --------------------------------------------------------------------
    def spawn_instance(
        self, namespace: str, classname: str, **values: Any
    ) -> CIMInstance:
        ns = self.check_namespace(namespace)
        cls = self._class(ns, classname)
        props = cls.properties
        out = dict(cls.facts.defaults)
        for name, value in values.items():
            prop = props.get(name)
            if prop is None:
                raise NotFoundError(
                    f"property {name!r} is not declared by class {cls.name}"
                )
            out[prop.name] = coerce_property(prop, value, f"{cls.name}.{prop.name}")
        return CIMInstance.trusted(cls, out, namespace=cls.namespace)

    def _checked_values(self, cls: CIMClass, inst: CIMInstance) -> dict[str, Any]:
        """The instance's values re-checked against the stored class.

        An instance built on this very (shared, frozen) class object was checked
        value by value as it was set; only arrays, whose elements can be changed
        in place, are checked again.
        """
        facts = cls.facts
        if inst.cimclass is cls:
            out = inst.values_set()
            for name in facts.arrays:
                value = out.get(name)
                if value is not None:
                    array_prop = cls.properties[name]
                    out[name] = coerce_property(array_prop, value, f"{cls.name}.{name}")
        else:
            out = {}
            for name, value in inst.values_set().items():
                prop = cls.properties.get(name)
                if prop is None:
                    raise InvalidPropertyError(
                        f"PutInstance: property {name!r} is not declared by class {cls.name}"
                    )
                out[prop.name] = coerce_property(prop, value, f"{cls.name}.{prop.name}")
        for name in facts.required:
            if out.get(name) is None:
                raise WbemError.of(
                    HResult.WBEM_E_ILLEGAL_NULL,
                    f"PutInstance: {cls.name}.{name} is Not_Null/Required but has no value",
                )
        keys = facts.key_names
        if keys:
            null = [k for k in keys if out.get(k) is None]
            if len(null) == len(keys):
                raise WbemError.of(
                    HResult.WBEM_E_NO_KEY,
                    f"PutInstance: {cls.name} instance has no key values ({', '.join(keys)})",
                )
            if null:
                raise WbemError.of(
                    HResult.WBEM_E_ILLEGAL_NULL,
                    f"PutInstance: key {', '.join(null)} of {cls.name} is NULL",
                )
        elif not cls.is_singleton:
            raise InvalidObjectError(
                f"PutInstance: class {cls.name} has no key properties and is not a Singleton"
            )
        return out

    def put_instance(
        self, namespace: str, inst: CIMInstance, flags: int = 0, ctx: Any = None
    ) -> str:
        """Create or update an instance; returns its relative path (spec §4.2).

        Raises:
            InvalidParameterError: bad flags, or not an instance.
            InvalidClassError: the class does not exist.
            InvalidOperationError: the class is abstract.
            InvalidPropertyError / TypeMismatchError: undeclared property, wrong type.
            WbemError(WBEM_E_NO_KEY / WBEM_E_ILLEGAL_NULL): keys missing.
            AlreadyExistsError / NotFoundError: CREATE_ONLY / UPDATE_ONLY violated.
            If anything raises, nothing was written.
        """
        check_flags("PutInstance", flags)
        ns = self.check_namespace(namespace)
        if not isinstance(inst, CIMInstance):
            raise InvalidParameterError(
                f"PutInstance needs a CIMInstance, got {type(inst).__name__}"
            )
        cls = self._class(ns, inst.classname)
        if self.events.permanent.handles(cls):
            user = getattr(ctx, "user", None)
            return self.events.permanent.put(ns, inst, flags=flags, user=user)
        if cls.name.lower() == _NAMESPACE_CLASS:
            return self._put_namespace(ns, inst, flags)
        if cls.is_abstract:
            raise InvalidOperationError(
                f"PutInstance: class {cls.name} is abstract and cannot have instances"
            )
        if cls.name.startswith("__"):
            raise InvalidOperationError(f"PutInstance: {cls.name} is a system class")
        values = self._checked_values(cls, inst)
        provider = self.providers.get(ns, cls.name)
        if provider is not None:
            checked = CIMInstance.trusted(cls, values, namespace=cls.namespace)
            result = call_provider(provider, "put_instance", cls, ctx, checked, flags)
            return str(result) if result is not None else str(checked.path.relpath)  # type: ignore[union-attr]  # keys checked above
        keys = cls.facts.key_names
        kid = key_id(cls, values)
        repo = self.repository
        with repo.transaction():
            exists = repo.instance_exists(ns, cls.name, kid)
            rel = ObjectPath(
                cls.name,
                tuple((k, values[k]) for k in keys),
                singleton=not keys,
            ).relpath
            if exists and flags & WBEM_FLAG_CREATE_ONLY:
                raise AlreadyExistsError(f"PutInstance: {rel} already exists in {ns}")
            if not exists and flags & WBEM_FLAG_UPDATE_ONLY:
                raise NotFoundError(
                    f"PutInstance: {rel} does not exist in {ns} (UPDATE_ONLY)"
                )
            if not exists:
                self._check_unique_across_hierarchy(ns, cls, kid, rel)
            previous = (
                repo.get_instance(ns, cls, kid) if exists and self.changes else None
            )
            indexed = cls.facts.indexed
            index = {p: values.get(p) for p in indexed} if indexed else None
            repo.put_instance(ns, cls.name, kid, values, index)
            if self.changes:
                new = CIMInstance.trusted(cls, dict(values), namespace=cls.namespace)
                if exists:
                    self._emit("instance_modified", ns, new, previous)
                else:
                    self._emit("instance_created", ns, new)
        return rel

    def _check_unique_across_hierarchy(
        self, ns: str, cls: CIMClass, kid: str, rel: str
    ) -> None:
        """An instance path names one object in a class hierarchy (same keys in a
        parent or sibling class would be ambiguous)."""
        repo = self.repository
        for other in (
            *cls.derivation,
            *(c.name for c in repo.subclasses(ns, cls.name, deep=True)),
        ):
            other_cls = repo.get_class(ns, other)
            if other_cls is None or other_cls.key_names != cls.key_names:
                continue
            if repo.instance_exists(ns, other, kid):
                raise AlreadyExistsError(
                    f"PutInstance: {rel} already exists in {ns} as an instance of {other}"
                )

    def _put_namespace(self, ns: str, inst: CIMInstance, flags: int) -> str:
        name = inst.get("Name")
        if not isinstance(name, str) or not name or "/" in name or "\\" in name:
            raise InvalidParameterError(
                f"PutInstance: __NAMESPACE.Name must be a single segment, got {name!r}"
            )
        target = _join(ns, name)
        exists = self.repository.namespace_exists(target)
        if exists and flags & WBEM_FLAG_CREATE_ONLY:
            raise AlreadyExistsError(f"namespace {target} already exists")
        if not exists and flags & WBEM_FLAG_UPDATE_ONLY:
            raise NotFoundError(f"namespace {target} does not exist (UPDATE_ONLY)")
        if not exists:
            self._create_namespace_raw(target)
            self._emit("namespace_created", ns, self._namespace_instance(ns, name))
        return f'__NAMESPACE.Name="{name}"'

    def delete_instance(
        self,
        namespace: str,
        path: str | ObjectPath | None,
        flags: int = 0,
        ctx: Any = None,
    ) -> None:
        """Delete one instance (a ``__NAMESPACE`` instance deletes that namespace)."""
        check_flags("DeleteInstance", flags)
        if path is None or (isinstance(path, str) and not path.strip()):
            raise InvalidParameterError("DeleteInstance: an object path is required")
        ns, parsed = self.parse_path(namespace, path)
        cls = self._class(ns, parsed.classname)
        if not parsed.is_instance:
            raise InvalidObjectPathError(
                f"DeleteInstance: {parsed.relpath} names a class, not an instance"
            )
        if self.events.permanent.handles(cls):
            self.events.permanent.delete(ns, parsed)
            return
        if cls.name.lower() == _NAMESPACE_CLASS:
            name = str(parsed.keybindings[0][1]) if parsed.keybindings else ""
            target = _join(ns, name)
            if not name or not self.repository.namespace_exists(target):
                raise NotFoundError(f"namespace {name!r} does not exist under {ns}")
            ns_inst = self._namespace_instance(ns, name)
            self.repository.delete_namespace(target)
            self._emit("namespace_deleted", ns, ns_inst)
            return
        kid = self._instance_key(ns, cls, parsed)
        provider = self.providers.get(ns, cls.name)
        if provider is not None:
            call_provider(provider, "delete_instance", cls, ctx, parsed)
            return
        repo = self.repository
        with repo.transaction():
            gone = repo.get_instance(ns, cls, kid) if self.changes else None
            deleted = repo.delete_instance(ns, cls.name, kid)
            if deleted and gone is not None:
                self._emit("instance_deleted", ns, gone)
        if not deleted:
            raise NotFoundError(f"DeleteInstance: {parsed.relpath} not found in {ns}")

    def create_instance_enum(
        self, namespace: str, classname: str, flags: int = 0, ctx: Any = None
    ) -> Iterator[CIMInstance] | AsyncIterator[CIMInstance]:
        """Instances of ``classname`` (DEEP: and of its subclasses, each with its own
        properties; SHALLOW or DIRECT_READ: this class only)."""
        check_flags("CreateInstanceEnum", flags)
        if not classname or not isinstance(classname, str):
            raise InvalidParameterError("CreateInstanceEnum: a class name is required")
        ns = self.check_namespace(namespace)
        cls = self._class(ns, classname)
        if cls.name.lower() == _NAMESPACE_CLASS:
            return iter(
                [self._namespace_instance(ns, n) for n in self.child_namespaces(ns)]
            )
        classes = [cls]
        if not flags & (WBEM_FLAG_SHALLOW | WBEM_FLAG_DIRECT_READ):
            classes += self.repository.subclasses(ns, cls.name, deep=True)
        if self.providers:
            return self._chain(ns, classes, ctx)
        return self._iter_classes(ns, classes)

    def iter_instance_values(
        self, namespace: str, classname: str, flags: int = 0
    ) -> Iterator[tuple[CIMClass, list[dict[str, Any]]]] | None:
        """``create_instance_enum`` for encoders that only read values: the same
        instances in the same order, as ``(class, [value dict, ...])`` chunks
        with no instance object per row; None when a provider or the
        ``__NAMESPACE`` class is involved (use ``create_instance_enum``).

        Raises the same errors as ``create_instance_enum``, before iteration.
        """
        check_flags("CreateInstanceEnum", flags)
        if not classname or not isinstance(classname, str):
            raise InvalidParameterError("CreateInstanceEnum: a class name is required")
        ns = self.check_namespace(namespace)
        cls = self._class(ns, classname)
        if cls.name.lower() == _NAMESPACE_CLASS:
            return None
        classes = [cls]
        if not flags & (WBEM_FLAG_SHALLOW | WBEM_FLAG_DIRECT_READ):
            classes += self.repository.subclasses(ns, cls.name, deep=True)
        if self.providers and any(
            self.providers.get(ns, c.name) is not None for c in classes
        ):
            return None
        return self._iter_class_values(ns, classes)

    def _iter_class_values(
        self, ns: str, classes: list[CIMClass]
    ) -> Iterator[tuple[CIMClass, list[dict[str, Any]]]]:
        repo = self.repository
        for cls in classes:
            for chunk in repo.iter_instance_values(ns, cls):
                yield cls, chunk

    def _iter_classes(self, ns: str, classes: list[CIMClass]) -> Iterator[CIMInstance]:
        repo = self.repository
        server = self.server
        for cls in classes:
            for inst in repo.iter_instances(ns, cls):
                object.__setattr__(inst, "server", server)
                yield inst

    def _chain(
        self, ns: str, classes: list[CIMClass], ctx: Any
    ) -> Iterator[CIMInstance] | AsyncIterator[CIMInstance]:
        """Repository classes and provider classes in one stream; async when any
        provider is async. Iterators are opened lazily, one class at a time."""
        parts: list[Any] = []
        for cls in classes:
            provider = self.providers.get(ns, cls.name)
            if provider is None:
                parts.append(("repo", cls))
            else:
                parts.append(("prov", provider, cls))
        if any(p[0] == "prov" and _is_async_enum(p[1]) for p in parts):
            return self._achain(ns, parts, ctx)
        return self._schain(ns, parts, ctx)

    def _open(self, ns: str, part: Any, ctx: Any) -> Any:
        if part[0] == "repo":
            return self._iter_classes(ns, [part[1]])
        return provider_instances(part[1], part[2], part[2].namespace or ns, ctx)

    def _schain(self, ns: str, parts: list[Any], ctx: Any) -> Iterator[CIMInstance]:
        for index, part in enumerate(parts):
            try:
                it = self._open(ns, part, ctx)
            except ProviderNotCapableError:
                if index == 0:
                    raise
                continue  # a subclass whose provider cannot enumerate here is skipped
            try:
                for inst in it:
                    inst.server = self.server
                    yield inst
            except ProviderNotCapableError:
                if index == 0:
                    raise
            finally:
                it.close()

    def _association_instances(
        self, ns: str, assoc: CIMClass, named: str | None
    ) -> Iterator[CIMInstance]:
        """Instances of exactly ``assoc``: stored, or from its (sync) provider. A
        provider that cannot enumerate here is skipped unless the caller named
        exactly this association class."""
        provider = self.providers.get(ns, assoc.name)
        if provider is None:
            yield from self.repository.iter_instances(ns, assoc)
            return
        try:
            stream = provider_instances(provider, assoc, assoc.namespace or ns, None)
            if isinstance(stream, AsyncIterator):
                raise ProviderNotCapableError(
                    f"association traversal over {assoc.name} needs a synchronous provider"
                )
            yield from stream
        except ProviderNotCapableError:
            if named is not None and named.lower() == assoc.name.lower():
                raise

    async def _achain(
        self, ns: str, parts: list[Any], ctx: Any
    ) -> AsyncIterator[CIMInstance]:
        for part in parts:
            it = self._open(ns, part, ctx)
            if hasattr(it, "__aiter__"):
                try:
                    async for inst in it:
                        inst.server = self.server
                        yield inst
                finally:
                    await it.aclose()
            else:
                try:
                    for inst in it:  # repository/sync provider parts run on this loop
                        inst.server = self.server
                        yield inst
                finally:
                    it.close()

    # --- associations -----------------------------------------------------------------
    def _association_classes(self, ns: str, assoc_class: str | None) -> list[CIMClass]:
        repo = self.repository
        if assoc_class:
            base = repo.get_class(ns, assoc_class)
            if base is None:
                raise InvalidClassError(
                    f"association class {assoc_class!r} does not exist"
                )
            candidates = [base, *repo.subclasses(ns, base.name, deep=True)]
        else:
            candidates = repo.subclasses(ns, None, deep=True)
        return [c for c in candidates if c.is_association]

    def references(
        self,
        namespace: str,
        path: str | ObjectPath,
        *,
        result_class: str | None = None,
        role: str | None = None,
    ) -> Iterator[CIMInstance]:
        """Association instances that refer to ``path`` (REFERENCES OF)."""
        ns, source = self.parse_path(namespace, path)
        target = self._normalized_target(ns, source)
        named = result_class
        for assoc in self._association_classes(ns, result_class):
            refs = [p for p in assoc.properties.values() if p.type is CIMType.REFERENCE]
            for inst in self._association_instances(ns, assoc, named):
                for prop in refs:
                    if role and prop.name.lower() != role.lower():
                        continue
                    value = inst[prop.name]
                    if isinstance(value, ObjectPath) and value.identity() == target:
                        inst.server = self.server
                        yield inst
                        break

    def associators(
        self,
        namespace: str,
        path: str | ObjectPath,
        *,
        assoc_class: str | None = None,
        result_class: str | None = None,
        role: str | None = None,
        result_role: str | None = None,
    ) -> Iterator[CIMInstance]:
        """Objects at the other end of associations of ``path`` (ASSOCIATORS OF).

        Each endpoint is returned once per association that links it (spec §7.2).
        """
        ns, source = self.parse_path(namespace, path)
        target = self._normalized_target(ns, source)
        named = assoc_class
        for assoc in self._association_classes(ns, assoc_class):
            refs = [p for p in assoc.properties.values() if p.type is CIMType.REFERENCE]
            for inst in self._association_instances(ns, assoc, named):
                mine = [
                    p
                    for p in refs
                    if isinstance(inst[p.name], ObjectPath)
                    and inst[p.name].identity() == target
                    and (not role or p.name.lower() == role.lower())
                ]
                if not mine:
                    continue
                for p in refs:
                    if p in mine or (
                        result_role and p.name.lower() != result_role.lower()
                    ):
                        continue
                    other = inst[p.name]
                    if not isinstance(other, ObjectPath):
                        continue
                    try:
                        obj = self.get_instance(other.namespace or ns, other)
                    except NotFoundError:
                        continue
                    if result_class and not self._isa(ns, obj.classname, result_class):
                        continue
                    yield obj

    def _isa(self, ns: str, classname: str, base: str) -> bool:
        cls = self.repository.get_class(ns, classname)
        return cls is not None and cls.is_subclass_of(base)

    def _normalized_target(self, ns: str, path: ObjectPath) -> tuple[Any, ...]:
        cls = self._class(ns, path.classname)
        if not path.is_instance:
            raise InvalidObjectPathError(
                f"{path.relpath} names a class, not an instance"
            )
        self._instance_key(ns, cls, path)
        return path.identity()


def _coerce_key(t: CIMType, value: Any, where: str) -> Any:
    if t.is_integer and isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise TypeMismatchError(
                f"{where}: key value {value!r} is not an integer"
            ) from None
    if t is CIMType.BOOLEAN and isinstance(value, str):
        value = {"true": True, "false": False}.get(value.lower(), value)
    if t is CIMType.STRING and not isinstance(value, str):
        value = str(value).upper() if isinstance(value, bool) else str(value)
    return coerce_property(CIMProperty("k", t), value, where)


def _structure(cls: CIMClass) -> tuple[Any, ...]:
    return tuple(
        sorted(
            (p.name.lower(), p.type.value, p.is_array, p.is_key)
            for p in cls.properties.values()
        )
    )


def _keys(cls: CIMClass) -> list[str]:
    return sorted(k.lower() for k in cls.key_names)


def _only_additions(old: CIMClass, new: CIMClass) -> bool:
    before = set(_structure(old))
    return before <= set(_structure(new)) and _keys(old) == _keys(new)


def _is_async_enum(provider: Any) -> bool:
    fn = getattr(provider, "enumerate_instances", None)
    return inspect.isasyncgenfunction(fn) or inspect.iscoroutinefunction(fn)
