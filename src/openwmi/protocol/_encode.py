"""The openwmi model → CIM-XML (DSP0201), as strings joined into streamed chunks.

Owns the text of every element a DSP0200 response carries: values, paths
(INSTANCENAME/KEYBINDING/KEYVALUE, LOCALNAMESPACEPATH, NAMESPACEPATH,
INSTANCEPATH, CLASSPATH, OBJECTPATH), INSTANCE and CLASS (with their
PROPERTY/PROPERTY.ARRAY/PROPERTY.REFERENCE, METHOD, PARAMETER*, QUALIFIER),
VALUE.NAMEDINSTANCE, VALUE.INSTANCEWITHPATH, VALUE.OBJECTWITHPATH,
QUALIFIER.DECLARATION, ERROR, and the response envelopes. Embedded objects are
written as escaped EmbeddedObject strings.

Imports model and errors only; never asyncio, socket, the engine or the manager.

Interop rules (learned the hard way, all enforced here):
Rule 1: PROPERTY elements are always written as open/close pairs, never
        self-closing (sblim wbemcli cannot read ``<PROPERTY …/>``).
Rule 2: ``<SCOPE ANY="true">`` is never written; every scope is spelled out.
Rule 3: return values and out-parameters always carry PARAMTYPE.

Speed: instances are encoded through a per-class *plan* (pre-built tag text
per property for the requested PropertyList / ClassOrigin options), so an
instance costs one dict lookup and one escape per value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMMethod,
    CIMParameter,
    CIMProperty,
    CIMType,
    ObjectPath,
    Qualifier,
    QualifierDeclaration,
    type_of_value,
)

__all__ = [
    "InstanceEncoder",
    "class_xml",
    "classname_xml",
    "error_xml",
    "esc",
    "instancename_xml",
    "local_namespace_xml",
    "object_path_xml",
    "paramvalue_xml",
    "qualifier_declaration_xml",
    "response_head",
    "response_tail",
    "value_xml",
]

XML_HEAD = '<?xml version="1.0" encoding="utf-8" ?>\n'


def esc(s: str) -> str:
    """Escape text for element content and double-quoted attributes."""
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")
    return s


def _type_name(t: CIMType) -> str:
    if t in (CIMType.OBJECT, CIMType.INSTANCE):
        return "string"
    return str(t.value)


def _embedded_attr(t: CIMType) -> str:
    if t is CIMType.INSTANCE:
        return ' EmbeddedObject="instance"'
    if t is CIMType.OBJECT:
        return ' EmbeddedObject="object"'
    return ""


def scalar_text(value: Any) -> str:
    """The VALUE text of one non-reference scalar (escaped)."""
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    tv = type(value)
    if tv is str:
        return esc(value)
    if tv is int:
        return str(value)
    if tv is float:
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(value)
    if isinstance(value, CIMDateTime):
        return value.text
    if isinstance(value, CIMInstance):
        return esc(instance_xml(value))
    if isinstance(value, CIMClass):
        return esc(class_xml(value, include_qualifiers=True))
    if isinstance(value, int):
        return str(int(value))
    return esc(str(value))


def value_xml(value: Any, cimtype: CIMType | None = None) -> str:
    """VALUE / VALUE.ARRAY / VALUE.REFERENCE / VALUE.REFARRAY for a value ('' for NULL)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        t = cimtype or type_of_value(value)
        if t is CIMType.REFERENCE or (
            cimtype is None and any(isinstance(v, ObjectPath) for v in value)
        ):
            inner = "".join(
                "<VALUE.NULL/>" if v is None else _ref_value(v) for v in value
            )
            return f"<VALUE.REFARRAY>{inner}</VALUE.REFARRAY>"
        inner = "".join(
            "<VALUE.NULL/>" if v is None else f"<VALUE>{scalar_text(v)}</VALUE>"
            for v in value
        )
        return f"<VALUE.ARRAY>{inner}</VALUE.ARRAY>"
    if isinstance(value, ObjectPath) or cimtype is CIMType.REFERENCE:
        return _ref_value(value)
    return f"<VALUE>{scalar_text(value)}</VALUE>"


def _ref_value(value: Any) -> str:
    if isinstance(value, str):
        value = ObjectPath.parse(value)
    return f"<VALUE.REFERENCE>{_ref_path(value)}</VALUE.REFERENCE>"


# --- paths -----------------------------------------------------------------------------


def local_namespace_xml(namespace: str) -> str:
    parts = namespace.replace("\\", "/").strip("/").split("/")
    inner = "".join(f'<NAMESPACE NAME="{esc(p)}"/>' for p in parts if p)
    return f"<LOCALNAMESPACEPATH>{inner}</LOCALNAMESPACEPATH>"


def _namespacepath(host: str, namespace: str) -> str:
    return (
        f"<NAMESPACEPATH><HOST>{esc(host)}</HOST>"
        f"{local_namespace_xml(namespace)}</NAMESPACEPATH>"
    )


def _keyvalue(value: Any) -> str:
    if isinstance(value, ObjectPath):
        return _ref_value(value)
    if isinstance(value, bool):
        return (
            f'<KEYVALUE VALUETYPE="boolean">{"TRUE" if value else "FALSE"}</KEYVALUE>'
        )
    if isinstance(value, (int, float)):
        return f'<KEYVALUE VALUETYPE="numeric">{scalar_text(value)}</KEYVALUE>'
    if isinstance(value, CIMDateTime):
        return f'<KEYVALUE VALUETYPE="string">{value.text}</KEYVALUE>'
    return f'<KEYVALUE VALUETYPE="string">{esc(str(value))}</KEYVALUE>'


def instancename_xml(path: ObjectPath, key_names: list[str] | None = None) -> str:
    """INSTANCENAME; an unnamed key (``Cls="v"``) is named from ``key_names``."""
    parts = [f'<INSTANCENAME CLASSNAME="{esc(path.classname)}">']
    for name, value in path.keybindings:
        if not name and key_names and len(key_names) == 1:
            name = key_names[0]
        if not name:
            parts.append(_keyvalue(value))
            continue
        parts.append(f'<KEYBINDING NAME="{esc(name)}">{_keyvalue(value)}</KEYBINDING>')
    parts.append("</INSTANCENAME>")
    return "".join(parts)


def classname_xml(name: str) -> str:
    return f'<CLASSNAME NAME="{esc(name)}"/>'


def _ref_path(path: ObjectPath) -> str:
    """The path element inside VALUE.REFERENCE: the most complete form known."""
    if path.is_class:
        if path.namespace and path.server:
            return f"<CLASSPATH>{_namespacepath(path.server, path.namespace)}{classname_xml(path.classname)}</CLASSPATH>"
        if path.namespace:
            return f"<LOCALCLASSPATH>{local_namespace_xml(path.namespace)}{classname_xml(path.classname)}</LOCALCLASSPATH>"
        return classname_xml(path.classname)
    name = instancename_xml(path)
    if path.namespace and path.server:
        return f"<INSTANCEPATH>{_namespacepath(path.server, path.namespace)}{name}</INSTANCEPATH>"
    if path.namespace:
        return f"<LOCALINSTANCEPATH>{local_namespace_xml(path.namespace)}{name}</LOCALINSTANCEPATH>"
    return name


def object_path_xml(path: ObjectPath, host: str, namespace: str) -> str:
    """OBJECTPATH with a full INSTANCEPATH / CLASSPATH (host and namespace filled)."""
    ns = path.namespace or namespace
    hp = _namespacepath(path.server or host, ns)
    if path.is_class:
        return f"<OBJECTPATH><CLASSPATH>{hp}{classname_xml(path.classname)}</CLASSPATH></OBJECTPATH>"
    return f"<OBJECTPATH><INSTANCEPATH>{hp}{instancename_xml(path)}</INSTANCEPATH></OBJECTPATH>"


# --- qualifiers ------------------------------------------------------------------------------


def qualifier_xml(q: Qualifier) -> str:
    t = q.type or type_of_value(q.value)
    attrs = f'<QUALIFIER NAME="{esc(q.name)}" TYPE="{_type_name(t)}"'
    if q.propagated:
        attrs += ' PROPAGATED="true"'
    if not q.overridable:
        attrs += ' OVERRIDABLE="false"'
    if not q.tosubclass:
        attrs += ' TOSUBCLASS="false"'
    if q.toinstance:
        attrs += ' TOINSTANCE="true"'
    if q.translatable:
        attrs += ' TRANSLATABLE="true"'
    return f"{attrs}>{value_xml(q.value, t)}</QUALIFIER>"


_SCOPES = (
    "CLASS",
    "ASSOCIATION",
    "REFERENCE",
    "PROPERTY",
    "METHOD",
    "PARAMETER",
    "INDICATION",
)


def qualifier_declaration_xml(decl: QualifierDeclaration) -> str:
    """QUALIFIER.DECLARATION; ``Scope(any)`` is written as every scope (Rule 2)."""
    out = [
        f'<QUALIFIER.DECLARATION NAME="{esc(decl.name)}" TYPE="{_type_name(decl.type)}"'
    ]
    if decl.is_array:
        out.append(' ISARRAY="true"')
        if decl.array_size:
            out.append(f' ARRAYSIZE="{decl.array_size}"')
    out.append(
        f' OVERRIDABLE="{_tf(decl.overridable)}" TOSUBCLASS="{_tf(decl.tosubclass)}"'
        f' TOINSTANCE="{_tf(decl.toinstance)}" TRANSLATABLE="{_tf(decl.translatable)}">'
    )
    every = "any" in decl.scopes
    scope = "".join(f' {s}="{_tf(every or s.lower() in decl.scopes)}"' for s in _SCOPES)
    out.append(f"<SCOPE{scope}/>")
    out.append(value_xml(decl.default, decl.type))
    out.append("</QUALIFIER.DECLARATION>")
    return "".join(out)


def _tf(b: bool) -> str:
    return "true" if b else "false"


# --- properties, classes -----------------------------------------------------------------------


def _property_open(
    prop: CIMProperty,
    *,
    include_class_origin: bool,
    propagated: bool | None = None,
) -> tuple[str, str]:
    """(open tag, close tag) for a property declaration (Rule 1: never self-closing)."""
    name = esc(prop.name)
    origin = (
        f' CLASSORIGIN="{esc(prop.class_origin)}"'
        if include_class_origin and prop.class_origin
        else ""
    )
    prop_attr = ' PROPAGATED="true"' if propagated else ""
    t = prop.type
    if t is CIMType.REFERENCE and not prop.is_array:
        rc = (
            f' REFERENCECLASS="{esc(prop.reference_class)}"'
            if prop.reference_class
            else ""
        )
        return (
            f'<PROPERTY.REFERENCE NAME="{name}"{rc}{origin}{prop_attr}>',
            "</PROPERTY.REFERENCE>",
        )
    tn = "string" if t is CIMType.REFERENCE else _type_name(t)
    emb = _embedded_attr(t) or (
        ' EmbeddedObject="instance"'
        if t is CIMType.STRING and prop.embedded_class
        else ""
    )
    if prop.is_array:
        size = f' ARRAYSIZE="{prop.array_size}"' if prop.array_size else ""
        return (
            f'<PROPERTY.ARRAY NAME="{name}" TYPE="{tn}"{size}{origin}{prop_attr}{emb}>',
            "</PROPERTY.ARRAY>",
        )
    return (
        f'<PROPERTY NAME="{name}" TYPE="{tn}"{origin}{prop_attr}{emb}>',
        "</PROPERTY>",
    )


def _prop_value(prop: CIMProperty, value: Any) -> str:
    if value is None:
        return ""
    t = prop.type
    if t is CIMType.REFERENCE:
        if prop.is_array:  # no PROPERTY.REFARRAY in DSP0201: paths as strings
            return value_xml([None if v is None else str(v) for v in value])
        return _ref_value(value)
    if prop.is_array:
        inner = "".join(
            "<VALUE.NULL/>" if v is None else f"<VALUE>{scalar_text(v)}</VALUE>"
            for v in value
        )
        return f"<VALUE.ARRAY>{inner}</VALUE.ARRAY>"
    return f"<VALUE>{scalar_text(value)}</VALUE>"


def _parameter_xml(p: CIMParameter, include_qualifiers: bool) -> str:
    quals = (
        "".join(qualifier_xml(q) for q in p.qualifiers.values())
        if include_qualifiers
        else ""
    )
    name = esc(p.name)
    if p.type is CIMType.REFERENCE:
        rc = f' REFERENCECLASS="{esc(p.reference_class)}"' if p.reference_class else ""
        if p.is_array:
            size = f' ARRAYSIZE="{p.array_size}"' if p.array_size else ""
            return f'<PARAMETER.REFARRAY NAME="{name}"{rc}{size}>{quals}</PARAMETER.REFARRAY>'
        return f'<PARAMETER.REFERENCE NAME="{name}"{rc}>{quals}</PARAMETER.REFERENCE>'
    tn = _type_name(p.type)
    emb = _embedded_attr(p.type)
    if p.is_array:
        size = f' ARRAYSIZE="{p.array_size}"' if p.array_size else ""
        return f'<PARAMETER.ARRAY NAME="{name}" TYPE="{tn}"{size}{emb}>{quals}</PARAMETER.ARRAY>'
    return f'<PARAMETER NAME="{name}" TYPE="{tn}"{emb}>{quals}</PARAMETER>'


def _method_xml(
    m: CIMMethod, include_qualifiers: bool, include_class_origin: bool
) -> str:
    origin = (
        f' CLASSORIGIN="{esc(m.class_origin)}"'
        if include_class_origin and m.class_origin
        else ""
    )
    prop = ' PROPAGATED="true"' if m.propagated else ""
    quals = (
        "".join(qualifier_xml(q) for q in m.qualifiers.values())
        if include_qualifiers
        else ""
    )
    params = "".join(
        _parameter_xml(p, include_qualifiers) for p in m.parameters.values()
    )
    return (
        f'<METHOD NAME="{esc(m.name)}" TYPE="{_type_name(m.return_type)}"{origin}{prop}>'
        f"{quals}{params}</METHOD>"
    )


def class_xml(
    cls: CIMClass,
    *,
    local_only: bool = False,
    include_qualifiers: bool = True,
    include_class_origin: bool = False,
    property_list: Iterable[str] | None = None,
) -> str:
    """CLASS, honouring LocalOnly, IncludeQualifiers, IncludeClassOrigin, PropertyList."""
    wanted = None if property_list is None else {p.lower() for p in property_list}
    sup = f' SUPERCLASS="{esc(cls.superclass)}"' if cls.superclass else ""
    out = [f'<CLASS NAME="{esc(cls.name)}"{sup}>']
    if include_qualifiers:
        out.extend(
            qualifier_xml(q)
            for q in cls.qualifiers.values()
            if not (local_only and q.propagated)
        )
    for prop in cls.properties.values():
        if local_only and prop.propagated:
            continue
        if wanted is not None and prop.name.lower() not in wanted:
            continue
        open_, close = _property_open(
            prop, include_class_origin=include_class_origin, propagated=prop.propagated
        )
        out.append(open_)
        if include_qualifiers:
            out.extend(qualifier_xml(q) for q in prop.qualifiers.values())
        out.append(_prop_value(prop, prop.default))
        out.append(close)
    for m in cls.methods.values():
        if local_only and m.propagated:
            continue
        out.append(_method_xml(m, include_qualifiers, include_class_origin))
    out.append("</CLASS>")
    return "".join(out)


# --- instances -----------------------------------------------------------------------------------


class _Plan:
    """Pre-built text for encoding the instances of one class one way."""

    __slots__ = ("_named_rows", "cls", "head", "key_names", "keys", "props")

    def __init__(
        self,
        cls: CIMClass,
        include_class_origin: bool,
        wanted: frozenset[str] | None,
    ) -> None:
        self.cls = cls  # keeps id(cls) alive while the plan is cached
        self.head = f'<INSTANCE CLASSNAME="{esc(cls.name)}">'
        self.props: list[tuple[str, str, str, CIMProperty, int]] = []
        for prop in cls.properties.values():
            if wanted is not None and prop.name.lower() not in wanted:
                continue
            open_, close = _property_open(
                prop, include_class_origin=include_class_origin
            )
            t = prop.type
            if prop.is_array or t is CIMType.REFERENCE:
                kind = 0  # general
            elif t is CIMType.STRING and prop.embedded_class is None:
                kind = 1
            elif t.is_integer:
                kind = 2
            else:
                kind = 0
            self.props.append((prop.name, open_, close, prop, kind))
        self.key_names = cls.key_names
        self.keys = [(k, f'<KEYBINDING NAME="{esc(k)}">') for k in self.key_names]
        self._named_rows: Callable[[list[dict[str, Any]]], str] | None = None

    def named_rows(self, rows: list[dict[str, Any]]) -> str:
        """VALUE.NAMEDINSTANCE for each value dict, exactly as ``instancename`` +
        ``instance`` would write them, through a function generated once per plan."""
        fn = self._named_rows
        if fn is None:
            fn = self._named_rows = _generate_named_rows(self)
        return fn(rows)

    def instance(self, values: dict[str, Any]) -> str:
        out = [self.head]
        append = out.append
        get = values.get
        for name, open_, close, prop, kind in self.props:
            v = get(name)
            append(open_)
            if v is not None:
                if kind == 1:
                    append(f"<VALUE>{esc(v)}</VALUE>")
                elif kind == 2:
                    append(f"<VALUE>{v}</VALUE>")
                else:
                    append(_prop_value(prop, v))
            append(close)
        append("</INSTANCE>")
        return "".join(out)

    def instancename(self, values: dict[str, Any]) -> str:
        out = [f'<INSTANCENAME CLASSNAME="{esc(self.cls.name)}">']
        for name, open_ in self.keys:
            out.append(open_)
            out.append(_keyvalue(values.get(name)))
            out.append("</KEYBINDING>")
        out.append("</INSTANCENAME>")
        return "".join(out)


def _string_array(prop: CIMProperty, value: Any) -> str:
    """``_prop_value`` for a plain string array, with one escape per element."""
    if type(value) is list and None not in value:
        try:
            inner = "</VALUE><VALUE>".join(map(esc, value))
        except TypeError:  # an element that is not a string
            return _prop_value(prop, value)
        if value:
            return f"<VALUE.ARRAY><VALUE>{inner}</VALUE></VALUE.ARRAY>"
    return _prop_value(prop, value)


def _generate_named_rows(plan: _Plan) -> Callable[[list[dict[str, Any]]], str]:
    """Compile ``plan`` into one function that writes a list of value dicts.

    Every row is one ``%`` of a template whose constant text (tags, the class
    name) is fixed here; only values are formatted per row. The common kinds
    (plain string, integer, boolean, datetime scalars, string keys) are inlined;
    anything else goes through the same helpers as ``_Plan.instance`` /
    ``_Plan.instancename``, so the output is byte-for-byte theirs.
    """
    env: dict[str, Any] = {
        "esc": esc,
        "_pv": _prop_value,
        "_kv": _keyvalue,
        "_sa": _string_array,
        "CIMDateTime": CIMDateTime,
        "P": [prop for _, _, _, prop, _ in plan.props],
    }
    template = [
        "<VALUE.NAMEDINSTANCE>",
        f'<INSTANCENAME CLASSNAME="{esc(plan.cls.name)}">',
    ]
    body: list[str] = []
    slots: list[str] = []
    names: dict[str, str] = {}  # property name -> local variable

    def var(name: str) -> str:
        if name not in names:
            names[name] = f"x{len(names)}"
            body.append(f"        {names[name]} = g({name!r})")
        return names[name]

    for i, (name, open_) in enumerate(plan.keys):
        x = var(name)
        template += [open_.replace("%", "%%"), "%s", "</KEYBINDING>"]
        slots.append(f"k{i}")
        body.append(
            f"        k{i} = ('<KEYVALUE VALUETYPE=\"string\">' + esc({x})"
            f" + '</KEYVALUE>') if type({x}) is str else _kv({x})"
        )
    template += ["</INSTANCENAME>", plan.head.replace("%", "%%")]
    for i, (name, open_, close, prop, kind) in enumerate(plan.props):
        x = var(name)
        template += [open_.replace("%", "%%"), "%s", close.replace("%", "%%")]
        slots.append(f"s{i}")
        if kind == 1:
            expr = f"'' if {x} is None else '<VALUE>' + esc({x}) + '</VALUE>'"
        elif kind == 2:
            expr = f"'' if {x} is None else f'<VALUE>{{{x}}}</VALUE>'"
        elif prop.type is CIMType.BOOLEAN and not prop.is_array:
            expr = (
                f"'<VALUE>TRUE</VALUE>' if {x} is True else "
                f"'<VALUE>FALSE</VALUE>' if {x} is False else "
                f"'' if {x} is None else _pv(P[{i}], {x})"
            )
        elif prop.type is CIMType.DATETIME and not prop.is_array:
            expr = (
                f"'' if {x} is None else '<VALUE>' + {x}.text + '</VALUE>' "
                f"if type({x}) is CIMDateTime else _pv(P[{i}], {x})"
            )
        elif (
            prop.is_array
            and prop.type is CIMType.STRING
            and prop.embedded_class is None
        ):
            expr = f"'' if {x} is None else _sa(P[{i}], {x})"
        else:
            expr = f"'' if {x} is None else _pv(P[{i}], {x})"
        body.append(f"        s{i} = {expr}")
    template += ["</INSTANCE></VALUE.NAMEDINSTANCE>"]
    env["T"] = "".join(template)
    args = ", ".join(slots) + ("," if len(slots) == 1 else "")
    source = "\n".join(
        [
            "def named_rows(rows):",
            "    out = []",
            "    append = out.append",
            "    for v in rows:",
            "        g = v.get",
            *body,
            f"        append(T % ({args}))",
            "    return ''.join(out)",
        ]
    )
    exec(compile(source, f"<named_rows {plan.cls.name}>", "exec"), env)
    fn: Callable[[list[dict[str, Any]]], str] = env["named_rows"]
    return fn


# Plans for classes the repository has frozen (they never change), shared by
# every encoder: GetInstance builds one InstanceEncoder per request, and a plan
# (and its generated row function) is worth keeping across requests.
_SHARED_PLANS: dict[tuple[int, bool, frozenset[str] | None], _Plan] = {}


def _values_of(inst: CIMInstance) -> dict[str, Any]:
    # The model's own value dict (decoded once on first access): reading it
    # directly avoids one dict copy per instance on the hot path.
    return inst._vals()


class InstanceEncoder:
    """Encodes instances (and their names) with per-class plans.

    One encoder serves one response: its options are fixed at construction.
    """

    def __init__(
        self,
        *,
        include_class_origin: bool = False,
        property_list: Iterable[str] | None = None,
        host: str = "localhost",
        namespace: str = "root/cimv2",
    ) -> None:
        self.include_class_origin = include_class_origin
        self.wanted = (
            None
            if property_list is None
            else frozenset(p.lower() for p in property_list)
        )
        self.host = host
        self.namespace = namespace
        self._plans: dict[int, _Plan] = {}

    def _plan(self, cls: CIMClass) -> _Plan:
        plan = self._plans.get(id(cls))
        if plan is None or plan.cls is not cls:
            if len(self._plans) > 512:
                self._plans.clear()
            plan = self._shared_plan(cls)
            self._plans[id(cls)] = plan
        return plan

    def _shared_plan(self, cls: CIMClass) -> _Plan:
        # only a frozen class (facts computed by the repository) may be cached
        # beyond this encoder: any other class could still be edited
        if cls._facts is None:
            return _Plan(cls, self.include_class_origin, self.wanted)
        key = (id(cls), self.include_class_origin, self.wanted)
        plan = _SHARED_PLANS.get(key)
        if plan is None or plan.cls is not cls:
            if len(_SHARED_PLANS) > 1024:
                _SHARED_PLANS.clear()
            plan = _SHARED_PLANS[key] = _Plan(
                cls, self.include_class_origin, self.wanted
            )
        return plan

    def named_instances(self, cls: CIMClass, rows: list[dict[str, Any]]) -> str:
        """VALUE.NAMEDINSTANCE for each value dict of an instance of ``cls``
        (keyed by the class's property spellings, NULLs absent or None): the
        same text as ``named_instance`` on the instances, without them."""
        if not cls.key_names:
            return "".join(
                self.named_instance(CIMInstance.trusted(cls, v)) for v in rows
            )
        return self._plan(cls).named_rows(rows)

    def instance(self, inst: CIMInstance) -> str:
        cls = inst.cimclass
        if cls is None:
            return instance_xml(
                inst,
                include_class_origin=self.include_class_origin,
                property_list=self.wanted,
            )
        return self._plan(cls).instance(_values_of(inst))

    def instancename(self, inst: CIMInstance) -> str:
        cls = inst.cimclass
        if cls is None or not cls.key_names:
            path = inst.path
            if path is None:
                return (
                    f'<INSTANCENAME CLASSNAME="{esc(inst.classname)}"></INSTANCENAME>'
                )
            return instancename_xml(path)
        return self._plan(cls).instancename(_values_of(inst))

    def instancepath(self, inst: CIMInstance) -> str:
        ns = inst.namespace or self.namespace
        return f"<INSTANCEPATH>{_namespacepath(inst.server or self.host, ns)}{self.instancename(inst)}</INSTANCEPATH>"

    def named_instance(self, inst: CIMInstance) -> str:
        """VALUE.NAMEDINSTANCE (EnumerateInstances)."""
        return f"<VALUE.NAMEDINSTANCE>{self.instancename(inst)}{self.instance(inst)}</VALUE.NAMEDINSTANCE>"

    def instance_with_path(self, inst: CIMInstance) -> str:
        """VALUE.INSTANCEWITHPATH (pull operations)."""
        return f"<VALUE.INSTANCEWITHPATH>{self.instancepath(inst)}{self.instance(inst)}</VALUE.INSTANCEWITHPATH>"

    def object_with_path(self, inst: CIMInstance) -> str:
        """VALUE.OBJECTWITHPATH (Associators, References, ExecQuery)."""
        return f"<VALUE.OBJECTWITHPATH>{self.instancepath(inst)}{self.instance(inst)}</VALUE.OBJECTWITHPATH>"

    def object_path(self, inst: CIMInstance) -> str:
        """OBJECTPATH (AssociatorNames, ReferenceNames)."""
        return f"<OBJECTPATH>{self.instancepath(inst)}</OBJECTPATH>"


def instance_xml(
    inst: CIMInstance,
    *,
    include_class_origin: bool = False,
    property_list: Iterable[str] | None = None,
) -> str:
    """INSTANCE for any instance (typed by its class, or inferred when loose)."""
    cls = inst.cimclass
    if cls is not None:
        return _Plan(
            cls,
            include_class_origin,
            None
            if property_list is None
            else frozenset(p.lower() for p in property_list),
        ).instance(_values_of(inst))
    wanted = None if property_list is None else {p.lower() for p in property_list}
    out = [f'<INSTANCE CLASSNAME="{esc(inst.classname)}">']
    for name, value in inst.items():
        if wanted is not None and name.lower() not in wanted:
            continue
        t = type_of_value(value)
        if isinstance(value, ObjectPath) or (
            isinstance(value, list) and any(isinstance(v, ObjectPath) for v in value)
        ):
            t = CIMType.REFERENCE
        elif isinstance(value, CIMInstance) or (
            isinstance(value, list) and any(isinstance(v, CIMInstance) for v in value)
        ):
            t = CIMType.INSTANCE
        elif isinstance(value, CIMClass):
            t = CIMType.OBJECT
        prop = CIMProperty(name, t, is_array=isinstance(value, list))
        open_, close = _property_open(prop, include_class_origin=False)
        out.append(open_)
        out.append(_prop_value(prop, value))
        out.append(close)
    out.append("</INSTANCE>")
    return "".join(out)


# --- parameters, errors, envelopes --------------------------------------------------------------


def paramvalue_xml(
    name: str,
    value: Any,
    cimtype: CIMType,
    *,
    is_array: bool = False,
    element: str = "PARAMVALUE",
) -> str:
    """PARAMVALUE / RETURNVALUE, always with PARAMTYPE (Rule 3)."""
    tn = "reference" if cimtype is CIMType.REFERENCE else _type_name(cimtype)
    emb = _embedded_attr(cimtype)
    name_attr = f' NAME="{esc(name)}"' if element == "PARAMVALUE" else ""
    if value is None:
        body = ""
    elif cimtype is CIMType.REFERENCE:
        if is_array or isinstance(value, list):
            inner = "".join(
                "<VALUE.NULL/>" if v is None else _ref_value(v) for v in value
            )
            body = f"<VALUE.REFARRAY>{inner}</VALUE.REFARRAY>"
        else:
            body = _ref_value(value)
    else:
        body = value_xml(value, cimtype)
    return f'<{element}{name_attr} PARAMTYPE="{tn}"{emb}>{body}</{element}>'


def error_xml(code: int, description: str) -> str:
    return f'<ERROR CODE="{int(code)}" DESCRIPTION="{esc(description)}"/>'


def response_head(message_id: str, method: str, *, intrinsic: bool = True) -> str:
    """Everything before the result: XML declaration … (I)METHODRESPONSE open tag.

    ``method`` is echoed with the request's exact case.
    """
    tag = "IMETHODRESPONSE" if intrinsic else "METHODRESPONSE"
    return (
        f'{XML_HEAD}<CIM CIMVERSION="2.0" DTDVERSION="2.0">'
        f'<MESSAGE ID="{esc(message_id)}" PROTOCOLVERSION="1.0"><SIMPLERSP>'
        f'<{tag} NAME="{esc(method)}">'
    )


def response_tail(*, intrinsic: bool = True) -> str:
    tag = "IMETHODRESPONSE" if intrinsic else "METHODRESPONSE"
    return f"</{tag}></SIMPLERSP></MESSAGE></CIM>"
