"""The repository pywbem's MOF compiler writes into: reads fall through, writes are staged.

Owns ``StagingConnection`` (a ``pywbem.BaseRepositoryConnection``) and
``StagingError``. Reads (classes, qualifier declarations) see what this
compilation staged first, then the ``MofTarget``; writes only append to
``items``, so nothing reaches the target until the compilation succeeded and
the compiler hands the list to ``MofTarget.apply_mof`` at once. Imports
openwmi.model, openwmi.errors and pywbem; never the repository or the manager.

Rules:

* Rule 1 — what the compiler checks before anything is applied: superclass
  exists; every qualifier is declared, has the declared array-ness and is used
  in one of its scopes; reference and ``EmbeddedInstance`` classes exist; an
  overriding property keeps its type; a ``DisableOverride`` qualifier keeps
  its value; instance values fit their declared types. Everything else (flags,
  class update rules, abstract classes, key rules) is the target's business.
* Rule 2 — a failed check raises ``StagingError`` (a ``pywbem.CIMError``) with
  a status pywbem does not act on (``_PASSTHROUGH``), carrying the openwmi
  error and a regular expression that finds the offending token in the
  declaration; pywbem wraps it in a ``MOFRepositoryError`` with the position.
  The two statuses pywbem *does* act on are used on purpose: NOT_FOUND from
  ``GetClass`` and INVALID_SUPERCLASS from ``CreateClass`` let it look for
  ``<Class>.mof`` on the search path before it gives up.
* Rule 3 — a redefinition is not an error here: ``CreateClass`` and
  ``CreateInstance`` never answer ALREADY_EXISTS (MOF means create or update,
  as WMI's mofcomp does); the target applies its update rules.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pywbem

from ..errors import (
    HResult,
    InvalidClassError,
    InvalidNamespaceError,
    InvalidParameterError,
    TypeMismatchError,
    WbemError,
)
from ..model import (
    CIMClass,
    CIMInstance,
    CIMType,
    NocaseDict,
    ObjectPath,
    Qualifier,
    QualifierDeclaration,
    coerce_property,
    coerce_value,
    resolve_class,
)
from . import _pywbem as conv
from ._source import Origin, current_origin
from ._target import ClassItem, InstanceItem, MofItem, QualifierDeclItem

if TYPE_CHECKING:
    from ._target import MofTarget

__all__ = ["StagingConnection", "StagingError", "qualifier_hint"]

# CIM_ERR_TYPE_MISMATCH: a status none of pywbem's compiler rules handles, so the
# error reaches us wrapped in MOFRepositoryError (see Rule 2).
_PASSTHROUGH = 13
_CIM_ERR_NOT_FOUND = 6
_CIM_ERR_INVALID_SUPERCLASS = 10
_CIM_ERR_FAILED = 1


class StagingError(pywbem.CIMError):  # type: ignore[misc]  # pywbem is untyped
    """A failed check: the openwmi ``error`` and a ``hint`` regex for the token."""

    def __init__(
        self, error: WbemError, hint: str | None = None, *, status: int = _PASSTHROUGH
    ) -> None:
        super().__init__(status, error.message)
        self.error = error
        self.hint = hint


def qualifier_hint(name: str) -> str:
    return rf"[\[,]\s*({re.escape(name)})\b"


def _word(name: str) -> str:
    return rf"\b({re.escape(name)})\b"


def _ns_key(namespace: str) -> str:
    return namespace.replace("\\", "/").strip("/").lower()


class _ClassEntry:
    """A resolved class and (lazily) its pywbem form, as the compiler asks for it."""

    __slots__ = ("_py", "resolved")

    def __init__(self, resolved: CIMClass) -> None:
        self.resolved = resolved
        self._py: pywbem.CIMClass | None = None

    @property
    def py(self) -> pywbem.CIMClass:
        if self._py is None:
            self._py = conv.class_to_pywbem(self.resolved)
        return self._py


class StagingConnection(pywbem.BaseRepositoryConnection):  # type: ignore[misc]  # untyped base
    """pywbem's view of the target during one compilation (see module rules)."""

    def __init__(self, target: MofTarget, default_namespace: str) -> None:
        self._target = target
        self._default_ns = default_namespace
        self.items: list[MofItem] = []
        self.origins: list[Origin | None] = []
        self._quals: dict[str, NocaseDict[QualifierDeclaration]] = {}
        self._staged: dict[str, NocaseDict[_ClassEntry]] = {}
        self._cache: dict[str, NocaseDict[_ClassEntry | None]] = {}

    # pywbem reads and sets this; the base class's property is bound to its own
    # (NotImplementedError) accessors, so it is redefined here.
    @property
    def default_namespace(self) -> str:
        return self._default_ns

    @default_namespace.setter
    def default_namespace(self, value: str) -> None:
        self._default_ns = value

    # --- reads --------------------------------------------------------------------
    def _read(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except InvalidNamespaceError:
            return None  # a namespace this MOF is about to create
        except WbemError as exc:
            raise StagingError(exc) from exc

    def resolved_class(self, namespace: str, name: str) -> _ClassEntry | None:
        key = _ns_key(namespace)
        staged = self._staged.get(key)
        if staged is not None:
            hit = staged.get(name)
            if hit is not None:
                return hit
        cache = self._cache.setdefault(key, NocaseDict())
        if name in cache:
            return cache[name]
        found = self._read(self._target.get_class, namespace, name)
        entry = _ClassEntry(found) if found is not None else None
        cache[name] = entry
        return entry

    def qualifier_declaration(
        self, namespace: str, name: str
    ) -> QualifierDeclaration | None:
        staged = self._quals.get(_ns_key(namespace))
        if staged is not None and name in staged:
            return staged[name]
        decl = self._read(self._target.get_qualifier_declaration, namespace, name)
        return decl if isinstance(decl, QualifierDeclaration) else None

    def _ns(self, kwargs: dict[str, Any]) -> str:
        ns = kwargs.get("namespace")
        return ns if isinstance(ns, str) and ns else self._default_ns

    def GetClass(self, *args: Any, **kwargs: Any) -> pywbem.CIMClass:
        name = args[0] if args else kwargs["ClassName"]
        entry = self.resolved_class(self._ns(kwargs), name)
        if entry is None:
            raise pywbem.CIMError(_CIM_ERR_NOT_FOUND, f"class {name} not found")
        return entry.py

    def EnumerateQualifiers(
        self, *args: Any, **kwargs: Any
    ) -> list[pywbem.CIMQualifierDeclaration]:
        ns = self._ns(kwargs)
        decls: NocaseDict[QualifierDeclaration] = NocaseDict()
        for d in self._read(self._target.list_qualifier_declarations, ns) or ():
            decls[d.name] = d
        for name, d in self._quals.get(_ns_key(ns), NocaseDict()).items():
            decls[name] = d
        return [conv.qualifier_declaration_to_pywbem(d) for d in decls.values()]

    def GetQualifier(self, *args: Any, **kwargs: Any) -> pywbem.CIMQualifierDeclaration:
        name = args[0] if args else kwargs["QualifierName"]
        decl = self.qualifier_declaration(self._ns(kwargs), name)
        if decl is None:
            raise pywbem.CIMError(_CIM_ERR_NOT_FOUND, f"qualifier {name} not found")
        return conv.qualifier_declaration_to_pywbem(decl)

    def EnumerateInstanceNames(self, *args: Any, **kwargs: Any) -> list[Any]:
        raise pywbem.CIMError(_CIM_ERR_FAILED, "not used by the MOF compiler")

    # --- writes (staged) -----------------------------------------------------------
    def _stage(self, item: MofItem) -> None:
        self.items.append(item)
        self.origins.append(current_origin())

    def SetQualifier(self, *args: Any, **kwargs: Any) -> None:
        pydecl = args[0] if args else kwargs["QualifierDeclaration"]
        ns = self._ns(kwargs)
        try:
            decl = conv.qualifier_declaration_from_pywbem(pydecl)
            if decl.default is not None:
                coerce_value(
                    decl.type,
                    decl.default,
                    is_array=decl.is_array,
                    where=f"qualifier {decl.name}",
                )
        except WbemError as exc:
            raise StagingError(exc, r"=\s*([^,;]+)") from exc
        self._quals.setdefault(_ns_key(ns), NocaseDict())[decl.name] = decl
        self._stage(QualifierDeclItem(ns, decl))

    def CreateClass(self, *args: Any, **kwargs: Any) -> None:
        pycls = args[0] if args else kwargs["NewClass"]
        ns = self._ns(kwargs)
        local = conv.class_from_pywbem(pycls)
        parent: CIMClass | None = None
        if local.superclass:
            entry = self.resolved_class(ns, local.superclass)
            if entry is None:
                # pywbem reacts to this status by searching <superclass>.mof
                raise StagingError(
                    WbemError.of(
                        HResult.WBEM_E_INVALID_SUPERCLASS,
                        f"superclass {local.superclass} of class {local.name} "
                        "does not exist",
                    ),
                    rf":\s*({re.escape(local.superclass)})\b",
                    status=_CIM_ERR_INVALID_SUPERCLASS,
                )
            parent = entry.resolved
        self._check_class(ns, local, parent)
        try:
            resolved = resolve_class(local, parent)
        except WbemError as exc:
            raise StagingError(exc, _word(local.name)) from exc
        self._staged.setdefault(_ns_key(ns), NocaseDict())[local.name] = _ClassEntry(
            resolved
        )
        self._stage(ClassItem(ns, local))

    def CreateInstance(self, *args: Any, **kwargs: Any) -> pywbem.CIMInstanceName:
        pyinst = args[0] if args else kwargs["NewInstance"]
        ns = self._ns(kwargs)
        entry = self.resolved_class(ns, pyinst.classname)
        if entry is None:  # pywbem fetched the class just before; cannot happen
            raise StagingError(InvalidClassError(f"class {pyinst.classname} not found"))
        cls = entry.resolved
        values: dict[str, Any] = {}
        for prop in pyinst.properties.values():
            decl = cls.properties.get(prop.name)
            value = conv.value_from_pywbem(prop.value)
            if decl is not None:
                try:
                    value = coerce_property(decl, value, f"{cls.name}.{decl.name}")
                except WbemError as exc:
                    hint = rf"\b{re.escape(prop.name)}\s*=\s*([^;]+?)\s*;"
                    raise StagingError(exc, hint) from exc
                values[decl.name] = value
            else:
                values[prop.name] = value
        self._stage(InstanceItem(ns, CIMInstance(cls.name, values)))
        return self._instance_path(cls, values, ns)

    @staticmethod
    def _instance_path(
        cls: CIMClass, values: dict[str, Any], ns: str
    ) -> pywbem.CIMInstanceName:
        keys: list[tuple[str, Any]] = []
        for name in cls.key_names:
            value = values.get(name, cls.properties[name].default)
            if value is not None:
                keys.append((name, value))
        path = ObjectPath(cls.name, tuple(keys), ns, singleton=True)
        pypath = conv.path_to_pywbem(path)
        assert isinstance(pypath, pywbem.CIMInstanceName)
        return pypath

    # pywbem calls these only for rollback or after ALREADY_EXISTS, which we never
    # answer (Rule 3).
    def ModifyClass(self, *args: Any, **kwargs: Any) -> None:
        raise pywbem.CIMError(_CIM_ERR_FAILED, "not used by the MOF compiler")

    def ModifyInstance(self, *args: Any, **kwargs: Any) -> None:
        raise pywbem.CIMError(_CIM_ERR_FAILED, "not used by the MOF compiler")

    def DeleteClass(self, *args: Any, **kwargs: Any) -> None:
        raise pywbem.CIMError(_CIM_ERR_FAILED, "not used by the MOF compiler")

    def DeleteInstance(self, *args: Any, **kwargs: Any) -> None:
        raise pywbem.CIMError(_CIM_ERR_FAILED, "not used by the MOF compiler")

    def DeleteQualifier(self, *args: Any, **kwargs: Any) -> None:
        raise pywbem.CIMError(_CIM_ERR_FAILED, "not used by the MOF compiler")

    # --- class checks (Rule 1) -----------------------------------------------------
    def _check_class(self, ns: str, local: CIMClass, parent: CIMClass | None) -> None:
        is_assoc = local.is_association or (
            parent is not None and parent.is_association
        )
        is_ind = local.is_indication or (parent is not None and parent.is_indication)
        kinds = ["class"]
        if is_assoc:
            kinds.append("association")
        if is_ind:
            kinds.append("indication")
        self._check_quals(ns, local.qualifiers, kinds, f"class {local.name}")
        if parent is not None:
            self._check_override(local.qualifiers, parent.qualifiers, local.name)
        for prop in local.properties.values():
            where = f"{local.name}.{prop.name}"
            ref = prop.type is CIMType.REFERENCE
            self._check_quals(
                ns,
                prop.qualifiers,
                ["reference", "property"] if ref else ["property"],
                f"property {where}",
            )
            self._check_class_ref(ns, local, prop.reference_class, prop.embedded_class)
            inherited = parent.properties.get(prop.name) if parent else None
            if inherited is not None:
                if (
                    inherited.type is not prop.type
                    or inherited.is_array != prop.is_array
                ):
                    raise StagingError(
                        TypeMismatchError(
                            f"property {where} overrides {inherited.class_origin}."
                            f"{inherited.name} with a different type"
                        ),
                        rf"\b({re.escape(prop.name)})\s*[;=\[]",
                    )
                self._check_override(prop.qualifiers, inherited.qualifiers, where)
            if prop.default is not None and prop.type not in (
                CIMType.REFERENCE,
                CIMType.OBJECT,
                CIMType.INSTANCE,
            ):
                try:
                    coerce_property(prop, prop.default, where)
                except WbemError as exc:
                    hint = (
                        rf"\b{re.escape(prop.name)}\s*(?:\[\d*\])?\s*=\s*([^;]+?)\s*;"
                    )
                    raise StagingError(exc, hint) from exc
        for meth in local.methods.values():
            mwhere = f"{local.name}.{meth.name}"
            self._check_quals(ns, meth.qualifiers, ["method"], f"method {mwhere}")
            for param in meth.parameters.values():
                self._check_quals(
                    ns,
                    param.qualifiers,
                    ["parameter"],
                    f"parameter {param.name} of {mwhere}",
                )
                self._check_class_ref(
                    ns, local, param.reference_class, param.embedded_class
                )

    def _check_class_ref(
        self, ns: str, local: CIMClass, ref: str | None, embedded: str | None
    ) -> None:
        for name, what, hint in (
            (ref, "referenced", rf"\b({re.escape(ref or '')})\s+ref\b"),
            (embedded, "named by EmbeddedInstance", qualifier_hint("EmbeddedInstance")),
        ):
            if (
                name
                and name.lower() != local.name.lower()
                and self.resolved_class(ns, name) is None
            ):
                raise StagingError(
                    InvalidClassError(
                        f"class {name} {what} in class {local.name} does not exist"
                    ),
                    hint,
                )

    def _check_quals(
        self,
        ns: str,
        quals: NocaseDict[Qualifier],
        scopes: list[str],
        where: str,
    ) -> None:
        for q in quals.values():
            decl = self.qualifier_declaration(ns, q.name)
            if decl is None:
                raise StagingError(
                    InvalidParameterError(f"qualifier {q.name} is not declared"),
                    qualifier_hint(q.name),
                )
            if not any(decl.allows(s) for s in scopes):
                allowed = ", ".join(sorted(decl.scopes))
                raise StagingError(
                    InvalidParameterError(
                        f"qualifier {decl.name} may not be used on {where} "
                        f"(its scope: {allowed})"
                    ),
                    qualifier_hint(q.name),
                )
            if q.value is not None and isinstance(q.value, list) != decl.is_array:
                shape = "an array" if decl.is_array else "a single value"
                raise StagingError(
                    TypeMismatchError(
                        f"qualifier {decl.name} on {where} takes {shape} of "
                        f"{decl.type.value}"
                    ),
                    qualifier_hint(q.name),
                )

    @staticmethod
    def _check_override(
        local: NocaseDict[Qualifier], parent: NocaseDict[Qualifier], where: str
    ) -> None:
        for name, q in local.items():
            inherited = parent.get(name)
            if (
                inherited is not None
                and inherited.tosubclass
                and not inherited.overridable
                and q.value != inherited.value
            ):
                raise StagingError(
                    WbemError.of(
                        HResult.WBEM_E_OVERRIDE_NOT_ALLOWED,
                        f"{where}: qualifier {inherited.name} is DisableOverride "
                        "and cannot change its inherited value",
                    ),
                    qualifier_hint(name),
                )
