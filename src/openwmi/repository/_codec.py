"""Model ↔ JSON documents stored in the repository.

Owns the document formats (``CODEC_VERSION``) for qualifier declarations,
classes and instance values, and the canonical *key id* of an instance. Pure
functions; imports only model and errors.

Value encoding (JSON): strings, numbers, booleans and NULL as themselves;
``{"$dt": text}`` datetime, ``{"$ref": path}`` reference, ``{"$obj": {...}}``
embedded instance or class; arrays as lists. Instance documents are a JSON
object ``{property: value}`` keyed by the class's spelling; decoding needs the
class only for properties whose type is not native JSON, so the decoder is
planned once per class (``InstanceDecoder``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameterError
from ..model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMMethod,
    CIMParameter,
    CIMProperty,
    CIMType,
    NocaseDict,
    ObjectPath,
    Qualifier,
    QualifierDeclaration,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CODEC_VERSION",
    "InstanceDecoder",
    "decode_class",
    "decode_qualifier_declaration",
    "encode_class",
    "encode_instance_values",
    "encode_qualifier_declaration",
    "key_id",
    "path_key_id",
]

CODEC_VERSION = 1

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_loads = json.loads
# the C scanner behind json.loads, without its whitespace regex and wrapper
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in JSONDecoder.__init__, missing from typeshed


# --- values -------------------------------------------------------------------------
def _enc(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return [_enc(v) for v in value]
    if isinstance(value, CIMDateTime):
        return {"$dt": value.text}
    if isinstance(value, ObjectPath):
        return {"$ref": str(value)}
    if isinstance(value, CIMInstance):
        return {
            "$obj": {
                "genus": 2,
                "class": value.classname,
                "ns": value.namespace,
                "values": {k: _enc(v) for k, v in value.values_set().items()},
                "types": _loose_types(value),
            }
        }
    if isinstance(value, CIMClass):
        return {"$obj": {"genus": 1, "class": _class_doc(value)}}
    raise InvalidParameterError(f"cannot store a value of type {type(value).__name__}")


def _loose_types(inst: CIMInstance) -> dict[str, str] | None:
    cls = inst.cimclass
    if cls is None:
        return None
    return {
        p.name: p.type.value
        for p in cls.properties.values()
        if p.type is not CIMType.STRING
    }


def _dec(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return CIMDateTime.trusted(value["$dt"])
        if "$ref" in value:
            return ObjectPath.parse(value["$ref"])
        obj = value["$obj"]
        if obj["genus"] == 1:
            return decode_class(obj["class"])
        vals = {k: _dec(v) for k, v in obj["values"].items()}
        inst = CIMInstance(obj["class"], namespace=obj.get("ns"))
        for k, v in vals.items():
            inst[k] = v
        return inst
    if isinstance(value, list):
        return [_dec(v) for v in value]
    return value


def _dec_datetime(value: Any) -> Any:
    # the common stored form of a datetime scalar, else the general decoder
    if type(value) is dict and len(value) == 1:
        text = value.get("$dt")
        if type(text) is str:
            return CIMDateTime.trusted(text)
    return _dec(value)


def _dec_real(value: Any) -> Any:
    if isinstance(value, list):
        return [None if x is None else float(x) for x in value]
    return float(value)


def encode_instance_values(values: dict[str, Any]) -> str:
    """The stored document for an instance's values (NULLs are not stored)."""
    return _dumps({k: _enc(v) for k, v in values.items() if v is not None})


class InstanceDecoder:
    """Decodes the instance documents of one class; planned once per class."""

    __slots__ = ("_fixers", "_special")

    def __init__(self, cls: CIMClass) -> None:
        special = []
        fixers: list[tuple[str, Callable[[Any], Any]]] = []
        for p in cls.properties.values():
            if p.type in (
                CIMType.DATETIME,
                CIMType.REFERENCE,
                CIMType.OBJECT,
                CIMType.INSTANCE,
            ) or (p.type is CIMType.STRING and p.embedded_class):
                special.append(p.name)
                fixers.append(
                    (
                        p.name,
                        _dec_datetime
                        if p.type is CIMType.DATETIME and not p.is_array
                        else _dec,
                    )
                )
            elif p.type in (CIMType.REAL32, CIMType.REAL64):
                special.append(p.name)  # JSON may give int for 1.0
                fixers.append((p.name, _dec_real))
        self._special: tuple[str, ...] = tuple(special)
        # what decode_many applies: the same conversions as __call__, chosen once
        self._fixers: tuple[tuple[str, Callable[[Any], Any]], ...] = tuple(fixers)

    def __call__(self, cls: CIMClass, raw: Any) -> dict[str, Any]:
        values: dict[str, Any] = _loads(raw)
        for name in self._special:
            v = values.get(name)
            if v is not None:
                prop = cls.properties[name]
                if prop.type in (CIMType.REAL32, CIMType.REAL64):
                    values[name] = (
                        [None if x is None else float(x) for x in v]
                        if isinstance(v, list)
                        else float(v)
                    )
                else:
                    values[name] = _dec(v)
        return values

    def decode_many(self, cls: CIMClass, docs: list[str]) -> list[dict[str, Any]]:
        """``[self(cls, doc) for doc in docs]``, faster: the documents are ours
        (compact JSON objects with no surrounding whitespace), so the C scanner
        reads each one directly, without ``json.loads``' per-call wrapper, and
        the conversions are chosen once per class."""
        scan = _scan_once
        fixers = self._fixers
        out: list[dict[str, Any]] = []
        append = out.append
        for doc in docs:
            try:
                values, end = scan(doc, 0)
            except (StopIteration, ValueError):
                end = -1
            if end != len(doc) or type(values) is not dict:
                values = _loads(doc)  # not one of ours: the strict path
            for name, fix in fixers:
                v = values.get(name)
                if v is not None:
                    values[name] = fix(v)
            append(values)
        return out

    def loader(self) -> Callable[[CIMClass, Any], dict[str, Any]]:
        return self


# --- identity -------------------------------------------------------------------------
def key_id(cls: CIMClass, values: dict[str, Any]) -> str:
    """The canonical identity of an instance within its class (key values only).

    String keys compare case-insensitively (casefolded); other key types by value.
    """
    keys = cls.key_names
    if not keys:
        return "@"
    path = ObjectPath(cls.name, tuple((k, values.get(k)) for k in keys))
    return _dumps(path.identity()[1])


def path_key_id(path: ObjectPath) -> str:
    if path.singleton:
        return "@"
    return _dumps(path.identity()[1])


# --- qualifier declarations -----------------------------------------------------------
def encode_qualifier_declaration(decl: QualifierDeclaration) -> str:
    return _dumps(
        {
            "name": decl.name,
            "type": decl.type.value,
            "array": decl.is_array,
            "size": decl.array_size,
            "default": _enc(decl.default),
            "scopes": sorted(decl.scopes),
            "flavor": [
                decl.overridable,
                decl.tosubclass,
                decl.toinstance,
                decl.translatable,
            ],
        }
    )


def decode_qualifier_declaration(doc: str) -> QualifierDeclaration:
    d = _loads(doc)
    ov, ts, ti, tr = d["flavor"]
    return QualifierDeclaration(
        d["name"],
        CIMType(d["type"]),
        d["array"],
        d["size"],
        _dec(d["default"]),
        frozenset(d["scopes"]),
        ov,
        ts,
        ti,
        tr,
    )


# --- classes --------------------------------------------------------------------------
def _quals_doc(quals: NocaseDict[Qualifier]) -> list[list[Any]]:
    return [
        [
            q.name,
            _enc(q.value),
            q.type.value if q.type else None,
            [q.overridable, q.tosubclass, q.toinstance, q.translatable, q.propagated],
        ]
        for q in quals.values()
    ]


def _quals(doc: list[list[Any]]) -> NocaseDict[Qualifier]:
    out: NocaseDict[Qualifier] = NocaseDict()
    for name, value, qtype, (ov, ts, ti, tr, prop) in doc:
        out[name] = Qualifier(
            name, _dec(value), CIMType(qtype) if qtype else None, ov, ts, ti, tr, prop
        )
    return out


def _prop_doc(p: CIMProperty) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": p.type.value,
        "array": p.is_array,
        "size": p.array_size,
        "default": _enc(p.default),
        "q": _quals_doc(p.qualifiers),
        "ref": p.reference_class,
        "emb": p.embedded_class,
        "origin": p.class_origin,
        "prop": p.propagated,
    }


def _param_doc(p: CIMParameter) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": p.type.value,
        "array": p.is_array,
        "size": p.array_size,
        "q": _quals_doc(p.qualifiers),
        "ref": p.reference_class,
        "emb": p.embedded_class,
    }


def _method_doc(m: CIMMethod) -> dict[str, Any]:
    return {
        "name": m.name,
        "type": m.return_type.value,
        "params": [_param_doc(p) for p in m.parameters.values()],
        "q": _quals_doc(m.qualifiers),
        "origin": m.class_origin,
        "prop": m.propagated,
    }


def _class_doc(cls: CIMClass) -> dict[str, Any]:
    return {
        "v": CODEC_VERSION,
        "name": cls.name,
        "super": cls.superclass,
        "derivation": list(cls.derivation),
        "q": _quals_doc(cls.qualifiers),
        "props": [_prop_doc(p) for p in cls.properties.values()],
        "methods": [_method_doc(m) for m in cls.methods.values()],
    }


def encode_class(cls: CIMClass) -> str:
    return _dumps(_class_doc(cls))


def decode_class(doc: str | dict[str, Any], namespace: str | None = None) -> CIMClass:
    d = _loads(doc) if isinstance(doc, str) else doc
    props: NocaseDict[CIMProperty] = NocaseDict()
    for p in d["props"]:
        props[p["name"]] = CIMProperty(
            p["name"],
            CIMType(p["type"]),
            p["array"],
            p["size"],
            _dec(p["default"]),
            _quals(p["q"]),
            p["ref"],
            p["emb"],
            p["origin"],
            p["prop"],
        )
    methods: NocaseDict[CIMMethod] = NocaseDict()
    for m in d["methods"]:
        params: NocaseDict[CIMParameter] = NocaseDict()
        for p in m["params"]:
            params[p["name"]] = CIMParameter(
                p["name"],
                CIMType(p["type"]),
                p["array"],
                p["size"],
                _quals(p["q"]),
                p["ref"],
                p["emb"],
            )
        methods[m["name"]] = CIMMethod(
            m["name"],
            CIMType(m["type"]),
            params,
            _quals(m["q"]),
            m["origin"],
            m["prop"],
        )
    return CIMClass(
        d["name"],
        d["super"],
        props,
        methods,
        _quals(d["q"]),
        tuple(d["derivation"]),
        namespace,
    )
