"""Tests for CIMClass and resolve_class (DSP0004 §5.1, §5.6, §7; spec §7.6)."""

from __future__ import annotations

from typing import Any

import pytest

from openwmi.errors import (
    HResult,
    InvalidParameterError,
    TypeMismatchError,
    WbemError,
)
from openwmi.model import (
    CIMClass,
    CIMMethod,
    CIMParameter,
    CIMProperty,
    CIMType,
    NocaseDict,
    Qualifier,
    qualifier_dict,
    resolve_class,
)

KEY = Qualifier("Key", True, CIMType.BOOLEAN, overridable=False)


def prop(
    name: str,
    t: CIMType = CIMType.STRING,
    *quals: Qualifier,
    default: Any = None,
    is_array: bool = False,
) -> CIMProperty:
    return CIMProperty(
        name, t, is_array=is_array, default=default, qualifiers=qualifier_dict(quals)
    )


def cls(
    name: str,
    superclass: str | None = None,
    props: list[CIMProperty] | None = None,
    quals: list[Qualifier] | None = None,
    methods: list[CIMMethod] | None = None,
    namespace: str | None = None,
    server: str | None = None,
) -> CIMClass:
    return CIMClass(
        name,
        superclass,
        NocaseDict((p.name, p) for p in props or []),
        NocaseDict((m.name, m) for m in methods or []),
        qualifier_dict(quals or []),
        namespace=namespace,
        server=server,
    )


@pytest.fixture
def hierarchy() -> tuple[CIMClass, CIMClass, CIMClass]:
    """CIM_Base (abstract) <- CIM_Mid <- CIM_Leaf, resolved top-down."""
    base = resolve_class(
        cls(
            "CIM_Base",
            props=[prop("Name", CIMType.STRING, KEY), prop("Caption")],
            quals=[
                Qualifier("Abstract", True, CIMType.BOOLEAN, tosubclass=False),
                Qualifier("Description", "base", CIMType.STRING),
                Qualifier("Restricted", "x", CIMType.STRING, tosubclass=False),
            ],
            methods=[CIMMethod("Reset", CIMType.UINT32)],
            namespace="root/cimv2",
        ),
        None,
    )
    mid = resolve_class(
        cls(
            "CIM_Mid",
            "CIM_Base",
            props=[prop("Size", CIMType.UINT64)],
            namespace="root/cimv2",
        ),
        base,
    )
    leaf = resolve_class(
        cls(
            "CIM_Leaf",
            "CIM_Mid",
            props=[prop("Caption", default="leaf"), prop("Extra", CIMType.BOOLEAN)],
            methods=[
                CIMMethod("Reset", CIMType.UINT32),
                CIMMethod("Go", CIMType.UINT8),
            ],
            namespace="root/cimv2",
            server="srv",
        ),
        mid,
    )
    return base, mid, leaf


# --- inheritance -----------------------------------------------------------------------


def test_root_class_resolution(hierarchy: tuple[CIMClass, CIMClass, CIMClass]) -> None:
    """DSP0004 §5.1.2.7: a class's own properties have it as class origin."""
    base, _, _ = hierarchy
    assert base.derivation == ()
    assert base.superclass is None
    assert [
        (p.name, p.class_origin, p.propagated) for p in base.properties.values()
    ] == [
        ("Name", "CIM_Base", False),
        ("Caption", "CIM_Base", False),
    ]


def test_inherited_properties_are_propagated(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass],
) -> None:
    """DSP0004 §5.1.2.7: subclasses inherit every property with its class origin."""
    _, mid, leaf = hierarchy
    assert list(mid.properties) == ["Name", "Caption", "Size"]
    assert [(p.class_origin, p.propagated) for p in mid.properties.values()] == [
        ("CIM_Base", True),
        ("CIM_Base", True),
        ("CIM_Mid", False),
    ]
    assert list(leaf.properties) == ["Name", "Caption", "Size", "Extra"]
    assert leaf.properties["size"].class_origin == "CIM_Mid"
    assert leaf.properties["size"].propagated is True


def test_override_keeps_class_origin_and_is_local(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass],
) -> None:
    """DSP0004 §5.1.2.8: an override is local to the subclass; its origin stays."""
    _, _, leaf = hierarchy
    caption = leaf.properties["Caption"]
    assert caption.class_origin == "CIM_Base"
    assert caption.propagated is False
    assert caption.default == "leaf"
    assert leaf["caption"] == "leaf"


def test_derivation_nearest_first(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass],
) -> None:
    """Spec §7.6: __DERIVATION is the parent chain, nearest first."""
    _, mid, leaf = hierarchy
    assert mid.derivation == ("CIM_Base",)
    assert leaf.derivation == ("CIM_Mid", "CIM_Base")
    assert leaf.superclass == "CIM_Mid"
    assert leaf.dynasty == "CIM_Base"


def test_methods_are_inherited(hierarchy: tuple[CIMClass, CIMClass, CIMClass]) -> None:
    _, mid, leaf = hierarchy
    assert mid.methods["reset"].propagated is True
    assert mid.methods["reset"].class_origin == "CIM_Base"
    assert leaf.methods["Reset"].propagated is False  # overridden in CIM_Leaf
    assert leaf.methods["Reset"].class_origin == "CIM_Base"
    assert leaf.methods["Go"].class_origin == "CIM_Leaf"


def test_resolve_does_not_mutate_inputs(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass],
) -> None:
    base, mid, _ = hierarchy
    assert base.properties["Name"].propagated is False
    assert base.properties["Caption"].default is None
    assert mid.properties["Caption"].class_origin == "CIM_Base"
    assert not base.qualifiers["Description"].propagated


@pytest.mark.parametrize(
    ("qualifier", "inherited"),
    [
        pytest.param("Description", True, id="tosubclass"),
        pytest.param("Restricted", False, id="restricted-flavor"),
        pytest.param("Abstract", False, id="abstract-never"),
    ],
)
def test_class_qualifier_propagation(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass], qualifier: str, inherited: bool
) -> None:
    """DSP0004 §5.6.1: ToSubclass qualifiers propagate; Restricted ones do not."""
    _, mid, leaf = hierarchy
    for sub in (mid, leaf):
        assert (qualifier in sub.qualifiers) is inherited
        if inherited:
            assert sub.qualifiers[qualifier].propagated is True
            assert sub.qualifiers[qualifier].value == "base"


def test_abstract_is_not_inherited(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass],
) -> None:
    """DSP0004 §5.6.3.3: Abstract is Restricted; subclasses are concrete."""
    base, mid, leaf = hierarchy
    assert base.is_abstract
    assert not mid.is_abstract
    assert not leaf.is_abstract


def test_local_qualifier_overrides_inherited() -> None:
    parent = resolve_class(
        cls("P", quals=[Qualifier("Description", "p", CIMType.STRING)]), None
    )
    child = resolve_class(
        cls("C", "P", quals=[Qualifier("DESCRIPTION", "c", CIMType.STRING)]), parent
    )
    q = child.qualifiers["description"]
    assert q.value == "c"
    assert q.propagated is False


def test_property_qualifiers_propagate(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass],
) -> None:
    """Key (ToSubclass) on an inherited property keeps it a key in subclasses."""
    _, mid, leaf = hierarchy
    assert mid.properties["Name"].is_key
    assert mid.properties["Name"].qualifiers["key"].propagated is True
    assert leaf.key_names == ["Name"]


def test_restricted_property_qualifier_not_propagated() -> None:
    parent = resolve_class(
        cls(
            "P",
            props=[
                prop(
                    "A",
                    CIMType.STRING,
                    Qualifier("Only", 1, CIMType.SINT32, tosubclass=False),
                    Qualifier("Units", "bytes", CIMType.STRING),
                )
            ],
        ),
        None,
    )
    child = resolve_class(cls("C", "P"), parent)
    assert "Only" not in child.properties["A"].qualifiers
    assert child.properties["A"].qualifier("units") == "bytes"


def test_overriding_property_merges_qualifiers() -> None:
    parent = resolve_class(
        cls("P", props=[prop("A", CIMType.STRING, Qualifier("Units", "b"))]), None
    )
    child = resolve_class(
        cls("C", "P", props=[prop("a", CIMType.STRING, Qualifier("MaxLen", 10))]),
        parent,
    )
    a = child.properties["A"]
    assert a.qualifier("Units") == "b"
    assert a.qualifiers["Units"].propagated is True
    assert a.qualifier("MaxLen") == 10
    assert a.qualifiers["MaxLen"].propagated is False


@pytest.mark.parametrize(
    ("child_prop"),
    [
        pytest.param(prop("Size", CIMType.UINT32), id="other-integer-type"),
        pytest.param(prop("Size", CIMType.STRING), id="string"),
        pytest.param(prop("size", CIMType.UINT64, is_array=True), id="array"),
    ],
)
def test_override_with_different_type_rejected(child_prop: CIMProperty) -> None:
    """DSP0004 §5.1.2.8: an override keeps the inherited type."""
    parent = resolve_class(cls("P", props=[prop("Size", CIMType.UINT64)]), None)
    with pytest.raises(TypeMismatchError) as info:
        resolve_class(cls("C", "P", props=[child_prop]), parent)
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH
    assert "class C" in info.value.message
    assert "p.size" in info.value.message.lower()


def test_disable_override_class_qualifier() -> None:
    """DSP0004 §5.6.1.3: a DisableOverride qualifier cannot change value below."""
    parent = resolve_class(
        cls(
            "P", quals=[Qualifier("Version", "1.0", CIMType.STRING, overridable=False)]
        ),
        None,
    )
    with pytest.raises(WbemError) as info:
        resolve_class(
            cls("C", "P", quals=[Qualifier("version", "2.0", CIMType.STRING)]), parent
        )
    assert info.value.hresult == HResult.WBEM_E_OVERRIDE_NOT_ALLOWED
    assert "qualifier version" in info.value.message.lower()


def test_disable_override_property_qualifier() -> None:
    parent = resolve_class(cls("P", props=[prop("Name", CIMType.STRING, KEY)]), None)
    local = cls("C", "P", props=[prop("Name", CIMType.STRING, Qualifier("Key", False))])
    with pytest.raises(WbemError) as info:
        resolve_class(local, parent)
    assert info.value.hresult == HResult.WBEM_E_OVERRIDE_NOT_ALLOWED
    assert "C.Name" in info.value.message


def test_disable_override_same_value_is_allowed() -> None:
    parent = resolve_class(cls("P", props=[prop("Name", CIMType.STRING, KEY)]), None)
    child = resolve_class(
        cls("C", "P", props=[prop("Name", CIMType.STRING, KEY)]), parent
    )
    assert child.key_names == ["Name"]
    assert child.properties["Name"].qualifiers["Key"].propagated is False


@pytest.mark.parametrize("flag", ["Association", "Indication"])
def test_association_and_indication_implied_for_subclasses(flag: str) -> None:
    """DSP0004 §5.6.3: a subclass of an association is an association."""
    parent = resolve_class(
        cls("P", quals=[Qualifier(flag, True, CIMType.BOOLEAN, tosubclass=False)]),
        None,
    )
    child = resolve_class(cls("C", "P"), parent)
    grandchild = resolve_class(cls("G", "C"), child)
    attr = f"is_{flag.lower()}"
    for c in (parent, child, grandchild):
        assert getattr(c, attr) is True
    assert child.qualifiers[flag].propagated is True
    assert flag not in child.local().qualifiers


@pytest.mark.parametrize(
    ("local", "parent"),
    [
        pytest.param(cls("C", "P"), None, id="named-superclass-missing"),
        pytest.param(cls("C"), cls("P"), id="parent-given-without-superclass"),
        pytest.param(cls("C", "Q"), cls("P"), id="wrong-parent"),
    ],
)
def test_superclass_mismatch(local: CIMClass, parent: CIMClass | None) -> None:
    with pytest.raises(InvalidParameterError) as info:
        resolve_class(local, parent)
    assert info.value.hresult == HResult.WBEM_E_INVALID_PARAMETER
    assert "class C" in info.value.message


def test_superclass_name_matches_without_case() -> None:
    child = resolve_class(
        cls("C", "cim_PARENT"), resolve_class(cls("CIM_Parent"), None)
    )
    assert child.superclass == "CIM_Parent"
    assert child.derivation == ("CIM_Parent",)


# --- derived facts ----------------------------------------------------------------------


def test_key_names_in_declaration_order() -> None:
    c = resolve_class(
        cls(
            "C",
            props=[
                prop("B", CIMType.STRING, KEY),
                prop("X"),
                prop("A", CIMType.UINT32, KEY),
                prop("N", CIMType.STRING, Qualifier("Key", False)),
            ],
        ),
        None,
    )
    assert c.key_names == ["B", "A"]
    assert c.properties["b"].is_key
    assert not c.properties["N"].is_key


@pytest.mark.parametrize(
    ("qualifier", "attr"),
    [
        ("Abstract", "is_abstract"),
        ("Association", "is_association"),
        ("Indication", "is_indication"),
        ("Singleton", "is_singleton"),
    ],
)
@pytest.mark.parametrize("value", [True, False, None])
def test_boolean_class_qualifiers(
    qualifier: str, attr: str, value: bool | None
) -> None:
    quals = [] if value is None else [Qualifier(qualifier, value, CIMType.BOOLEAN)]
    assert getattr(cls("C", quals=quals), attr) is bool(value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("CIM_Leaf", True), ("cim_mid", True), ("CIM_BASE", True), ("Other", False)],
)
def test_is_subclass_of(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass], name: str, expected: bool
) -> None:
    assert hierarchy[2].is_subclass_of(name) is expected


def test_parameter_direction() -> None:
    """DSP0004: In defaults to true, Out to false."""
    plain = CIMParameter("P", CIMType.UINT32)
    out_only = CIMParameter(
        "O",
        CIMType.STRING,
        qualifiers=qualifier_dict([Qualifier("In", False), Qualifier("Out", True)]),
    )
    assert (plain.is_in, plain.is_out) == (True, False)
    assert (out_only.is_in, out_only.is_out) == (False, True)


def test_static_method() -> None:
    m = CIMMethod(
        "Create", CIMType.UINT32, qualifiers=qualifier_dict([Qualifier("Static", True)])
    )
    assert m.is_static
    assert not CIMMethod("Stop", CIMType.UINT32).is_static


# --- system properties (spec §7.6) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("__CLASS", "CIM_Leaf", id="class"),
        pytest.param("__SUPERCLASS", "CIM_Mid", id="superclass"),
        pytest.param("__DYNASTY", "CIM_Base", id="dynasty"),
        pytest.param("__DERIVATION", ["CIM_Mid", "CIM_Base"], id="derivation"),
        pytest.param("__GENUS", 1, id="genus-class"),
        pytest.param("__NAMESPACE", "root/cimv2", id="namespace"),
        pytest.param("__SERVER", "srv", id="server"),
        pytest.param("__RELPATH", "CIM_Leaf", id="relpath"),
        pytest.param("__PATH", "\\\\srv\\root\\cimv2:CIM_Leaf", id="path"),
        pytest.param("__PROPERTY_COUNT", 4, id="property-count"),
        pytest.param("__genus", 1, id="lowercase-name"),
    ],
)
def test_class_system_properties(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass], name: str, expected: Any
) -> None:
    """Spec §7.6: the system properties of a class object."""
    leaf = hierarchy[2]
    assert leaf.system_property(name) == expected
    assert leaf[name] == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("__SUPERCLASS", None, id="superclass-null"),
        pytest.param("__DYNASTY", "CIM_Base", id="dynasty-is-itself"),
        pytest.param("__DERIVATION", [], id="derivation-empty"),
        pytest.param("__PROPERTY_COUNT", 2, id="property-count"),
        pytest.param("__PATH", "\\\\.\\root\\cimv2:CIM_Base", id="path-local-server"),
    ],
)
def test_root_class_system_properties(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass], name: str, expected: Any
) -> None:
    assert hierarchy[0][name] == expected


def test_class_without_namespace_has_null_path() -> None:
    """Spec §7.6: "values might be NULL" when a property does not apply."""
    c = cls("C")
    assert c["__PATH"] is None
    assert c["__NAMESPACE"] is None
    assert c["__RELPATH"] == "C"


def test_unknown_system_property_raises_key_error() -> None:
    with pytest.raises(KeyError):
        cls("C")["__NOPE"]


def test_class_item_is_property_default() -> None:
    c = cls("C", props=[prop("A", default="d")])
    assert c["a"] == "d"
    with pytest.raises(KeyError):
        c["B"]


# --- local / copy / equality ----------------------------------------------------------------


def test_local_drops_inherited_members(
    hierarchy: tuple[CIMClass, CIMClass, CIMClass],
) -> None:
    """local() is what MOF would declare for the class."""
    _, _, leaf = hierarchy
    local = leaf.local()
    assert list(local.properties) == ["Caption", "Extra"]
    assert list(local.methods) == ["Reset", "Go"]
    assert "Description" not in local.qualifiers
    assert local.derivation == ()
    assert local.superclass == "CIM_Mid"
    assert local.namespace == "root/cimv2"
    # resolving the local form again against the parent gives the class back
    assert resolve_class(local, hierarchy[1]) == leaf


def test_copy_is_independent(hierarchy: tuple[CIMClass, CIMClass, CIMClass]) -> None:
    _, _, leaf = hierarchy
    c = leaf.copy()
    c.properties["New"] = prop("New")
    c.properties["Caption"].qualifiers["Units"] = Qualifier("Units", "x")
    c.qualifiers["Description"] = Qualifier("Description", "changed")
    c.methods["Other"] = CIMMethod("Other", CIMType.UINT8)
    assert "New" not in leaf.properties
    assert "Units" not in leaf.properties["Caption"].qualifiers
    assert leaf.qualifiers["Description"].value == "base"
    assert "Other" not in leaf.methods
    assert c != leaf


@pytest.mark.parametrize(
    ("other", "equal"),
    [
        pytest.param(cls("c", "p", [prop("a")]), True, id="names-nocase"),
        pytest.param(
            cls("C", "P", [prop("A")], namespace="root"), True, id="ns-ignored"
        ),
        pytest.param(cls("C", "P", [prop("A", CIMType.UINT8)]), False, id="prop-type"),
        pytest.param(cls("C", "P", [prop("A", default="x")]), False, id="default"),
        pytest.param(cls("C", None, [prop("A")]), False, id="superclass"),
        pytest.param(
            cls("C", "P", [prop("A")], quals=[Qualifier("Abstract", True)]),
            False,
            id="qualifier",
        ),
    ],
)
def test_class_equality(other: CIMClass, equal: bool) -> None:
    assert (cls("C", "P", [prop("A")]) == other) is equal


def test_repr() -> None:
    assert repr(cls("C", "P", [prop("A")])) == "<CIMClass C : P (1 properties)>"
