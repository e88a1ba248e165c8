"""CIM instances: light objects whose values are checked against their class.

Owns ``CIMInstance`` and ``coerce_property``. An instance holds its class (a
shared, resolved ``CIMClass``), a dict of values keyed by the class's spelling
of each property name, and optionally a *loader* so the repository can hand out
instances whose values are decoded only when first read (enumerations that are
filtered or counted never pay for decoding). Pure data: no I/O.

Rules:
* ``inst["name"]`` / ``inst.name`` are case-insensitive; a declared property
  that has no value reads as None (NULL); an undeclared one raises KeyError /
  AttributeError.
* Setting a property coerces the value to the declared type
  (``TypeMismatchError``) and refuses undeclared names (``NotFoundError``,
  as IWbemClassObject::Put does).
* Equality is by class name and values (namespace and server do not count).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..constants import WBEM_GENUS_INSTANCE
from ..errors import NotFoundError, TypeMismatchError
from ._classes import CIMClass, CIMProperty
from ._paths import ObjectPath
from ._types import INT_RANGES, CIMType, coerce_value

__all__ = ["CIMInstance", "coerce_property"]

_OWN_ATTRS = frozenset({"namespace", "server"})

Loader = Callable[[CIMClass, Any], dict[str, Any]]


def coerce_property(prop: CIMProperty, value: Any, where: str) -> Any:
    """Check and normalise ``value`` for ``prop`` (all types, references and
    embedded objects included).

    Raises:
        TypeMismatchError: wrong type or out of range.
    """
    if value is None:
        return None
    t = prop.type
    # Fast paths for the common scalars (same rules as coerce_value).
    vt = type(value)
    if not prop.is_array:
        if vt is str and t is CIMType.STRING and prop.embedded_class is None:
            return value
        if vt is int:
            rng = INT_RANGES.get(t)
            if rng is not None and rng[0] <= value <= rng[1]:
                return value
        elif (vt is bool and t is CIMType.BOOLEAN) or (
            vt is float and (t is CIMType.REAL64 or t is CIMType.REAL32)
        ):
            return value
    if t is CIMType.REFERENCE:
        return _map_elements(prop, value, where, _coerce_ref)
    if t in (CIMType.OBJECT, CIMType.INSTANCE):
        return _map_elements(
            prop, value, where, _coerce_embedded(t, prop.embedded_class)
        )
    if t is CIMType.STRING and prop.embedded_class is not None:
        return _map_elements(
            prop, value, where, _coerce_embedded(CIMType.INSTANCE, prop.embedded_class)
        )
    return coerce_value(t, value, is_array=prop.is_array, where=where)


def _map_elements(
    prop: CIMProperty, value: Any, where: str, one: Callable[[Any, str], Any]
) -> Any:
    if prop.is_array:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TypeMismatchError(
                f"{where}: expected an array, got {type(value).__name__}"
            )
        return [
            None if v is None else one(v, f"{where}[{i}]") for i, v in enumerate(value)
        ]
    if isinstance(value, (list, tuple)):
        raise TypeMismatchError(f"{where}: expected a single value, got an array")
    return one(value, where)


def _coerce_ref(value: Any, where: str) -> ObjectPath:
    if isinstance(value, ObjectPath):
        return value
    if isinstance(value, str):
        try:
            return ObjectPath.parse(value)
        except Exception as exc:  # InvalidObjectPathError: re-badge as type mismatch
            raise TypeMismatchError(
                f"{where}: {value!r} is not an object path"
            ) from exc
    if isinstance(value, CIMInstance):
        path = value.path
        if path is not None:
            return path
    raise TypeMismatchError(f"{where}: {value!r} is not a reference")


def _coerce_embedded(t: CIMType, expected: str | None) -> Callable[[Any, str], Any]:
    def one(value: Any, where: str) -> Any:
        if (
            isinstance(value, CIMInstance)
            and expected
            and value.cimclass is not None
            and not value.cimclass.is_subclass_of(expected)
        ):
            raise TypeMismatchError(f"{where}: {value.classname} is not a {expected}")
        if isinstance(value, CIMInstance) or (
            t is CIMType.OBJECT and isinstance(value, CIMClass)
        ):
            return value
        raise TypeMismatchError(
            f"{where}: {type(value).__name__} is not an embedded {t.value}"
        )

    return one


class CIMInstance:
    """An instance of a CIM class.

    Build one through ``Services.spawn_instance`` (checked against the stored
    class) or ``CIMInstance(cimclass, {...})``; a ``CIMInstance("Name", {...})``
    without a class is *loose* (used for decoded remote objects and events).
    """

    __slots__ = (
        "_class",
        "_classname",
        "_loader",
        "_path",
        "_values",
        "namespace",
        "server",
    )

    _class: CIMClass | None
    _classname: str
    _values: dict[str, Any] | None
    _loader: tuple[Loader, Any] | None
    _path: ObjectPath | None
    namespace: str | None
    server: str | None

    def __init__(
        self,
        cls: CIMClass | str,
        properties: Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        server: str | None = None,
        path: ObjectPath | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        if isinstance(cls, CIMClass):
            setattr_(self, "_class", cls)
            setattr_(self, "_classname", cls.name)
            namespace = namespace if namespace is not None else cls.namespace
        else:
            setattr_(self, "_class", None)
            setattr_(self, "_classname", cls)
        setattr_(self, "_values", {})
        setattr_(self, "_loader", None)
        setattr_(self, "_path", None)
        setattr_(self, "namespace", namespace)
        setattr_(self, "server", server)
        if properties:
            for name, value in properties.items():
                self[name] = value
        setattr_(self, "_path", path)

    @classmethod
    def trusted(
        cls,
        cimclass: CIMClass,
        values: dict[str, Any] | None,
        *,
        namespace: str | None = None,
        loader: tuple[Loader, Any] | None = None,
    ) -> CIMInstance:
        """An instance from values already checked (repository, providers' fast path).

        Either ``values`` (keyed by the class's property spellings) or ``loader``
        ``(decode, raw)``, called once on first access, must be given.
        """
        inst = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(inst, "_class", cimclass)
        setattr_(inst, "_classname", cimclass.name)
        setattr_(inst, "_values", values)
        setattr_(inst, "_loader", loader)
        setattr_(inst, "_path", None)
        setattr_(
            inst,
            "namespace",
            namespace if namespace is not None else cimclass.namespace,
        )
        setattr_(inst, "server", None)
        return inst

    # --- values ------------------------------------------------------------------
    def _vals(self) -> dict[str, Any]:
        values = self._values
        if values is None:
            loader = self._loader
            assert loader is not None
            values = loader[0](self._class, loader[1])  # type: ignore[arg-type]  # class set with loader
            object.__setattr__(self, "_values", values)
            object.__setattr__(self, "_loader", None)
        return values

    def _canonical(self, name: str) -> str | None:
        cls = self._class
        if cls is not None:
            return cls.properties.canonical(name)
        values = self._vals()
        if name in values:
            return name
        low = name.lower()
        return next((k for k in values if k.lower() == low), None)

    def __getitem__(self, name: str) -> Any:
        values = self._vals()
        try:
            return values[name]
        except KeyError:
            pass
        if name[:2] == "__":
            return self.system_property(name)
        canon = self._canonical(name)
        if canon is None:
            raise KeyError(f"{self._classname} has no property {name!r}")
        return values.get(canon)

    def get(self, name: str, default: Any = None) -> Any:
        try:
            value = self[name]
        except KeyError:
            return default
        return default if value is None else value

    def __setitem__(self, name: str, value: Any) -> None:
        values = self._vals()
        cls = self._class
        if cls is None:
            canon = self._canonical(name) or name
            values[canon] = value
        else:
            prop = cls.properties.get(name)
            if prop is None:
                raise NotFoundError(
                    f"property {name!r} is not declared by class {cls.name}"
                )
            values[prop.name] = coerce_property(prop, value, f"{cls.name}.{prop.name}")
        object.__setattr__(self, "_path", None)

    def __delitem__(self, name: str) -> None:
        canon = self._canonical(name)
        if canon is not None:
            self._vals().pop(canon, None)
            object.__setattr__(self, "_path", None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") and not name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"{self._classname} has no property {name!r}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN_ATTRS:
            object.__setattr__(self, name, value)
            if self._class is not None:
                object.__setattr__(self, "_path", None)
        else:
            self[name] = value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._canonical(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.property_names())

    def property_names(self) -> list[str]:
        """Declared property names (class order), or those set on a loose instance."""
        if self._class is not None:
            return list(self._class.properties)
        return list(self._vals())

    def items(self) -> list[tuple[str, Any]]:
        values = self._vals()
        return [(n, values.get(n)) for n in self.property_names()]

    def properties(self) -> dict[str, Any]:
        """Every declared property with its value (None for NULL)."""
        return dict(self.items())

    def values_set(self) -> dict[str, Any]:
        """Only the properties that carry a value (what a put writes)."""
        return {k: v for k, v in self._vals().items() if v is not None}

    # --- identity -----------------------------------------------------------------
    @property
    def classname(self) -> str:
        return self._classname

    @property
    def cimclass(self) -> CIMClass | None:
        return self._class

    @property
    def path(self) -> ObjectPath | None:
        """The instance path built from its key values (None if the class is unknown
        and no path was given)."""
        if self._path is not None:
            return self._path
        cls = self._class
        if cls is None:
            return None
        values = self._vals()
        keys = tuple((k, values.get(k)) for k in cls.key_names)
        if any(v is None for _, v in keys):
            return None
        if not keys and not cls.is_singleton:
            return None
        path = ObjectPath(
            cls.name, keys, self.namespace, self.server, singleton=not keys
        )
        object.__setattr__(self, "_path", path)
        return path

    def system_property(self, name: str) -> Any:
        """WMI system properties (spec §7.6) of an instance."""
        low = name.lower()
        cls = self._class
        if low == "__class":
            return self._classname
        if low == "__genus":
            return WBEM_GENUS_INSTANCE
        if low == "__namespace":
            return self.namespace
        if low == "__server":
            return self.server
        if low in ("__path", "__relpath"):
            path = self.path
            if path is None:
                return None
            if low == "__relpath":
                return path.relpath
            return str(path.with_namespace(self.namespace, self.server or "."))
        if low == "__property_count":
            return len(self.property_names())
        if cls is not None and low in ("__superclass", "__dynasty", "__derivation"):
            return cls.system_property(name)
        if low in ("__superclass", "__dynasty", "__derivation"):
            return None
        raise KeyError(name)

    def copy(self) -> CIMInstance:
        new = (
            CIMInstance.trusted(
                self._class, dict(self._vals()), namespace=self.namespace
            )
            if self._class is not None
            else CIMInstance(
                self._classname, dict(self._vals()), namespace=self.namespace
            )
        )
        object.__setattr__(new, "server", self.server)
        object.__setattr__(new, "_path", self._path)
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CIMInstance):
            return NotImplemented
        if self._classname.lower() != other._classname.lower():
            return False
        mine = {k.lower(): v for k, v in self._vals().items() if v is not None}
        theirs = {k.lower(): v for k, v in other._vals().items() if v is not None}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        path = self.path
        return f"<CIMInstance {path.relpath if path else self._classname}>"
