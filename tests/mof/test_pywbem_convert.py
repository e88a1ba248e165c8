"""pywbem ↔ openwmi converters: round trips both ways, and the type rules."""

from __future__ import annotations

from typing import Any

import pytest
import pywbem

from openwmi.model import (
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
    qualifier_dict,
)
from openwmi.mof import _pywbem as conv


def q(name: str, value: Any, t: CIMType, **kw: bool) -> Qualifier:
    return Qualifier(name, value, t, **kw)


def props(*items: CIMProperty) -> NocaseDict[CIMProperty]:
    return NocaseDict((p.name, p) for p in items)


SAMPLE_CLASS = CIMClass(
    "Ex_Thing",
    "Ex_Base",
    props(
        CIMProperty(
            "Name",
            CIMType.STRING,
            qualifiers=qualifier_dict(
                [q("Key", True, CIMType.BOOLEAN, overridable=False)]
            ),
        ),
        CIMProperty("Count", CIMType.UINT32, default=3),
        CIMProperty("Big", CIMType.SINT64, default=-(2**63)),
        CIMProperty("Ratio", CIMType.REAL32, default=0.25),
        CIMProperty(
            "Flags", CIMType.UINT8, is_array=True, array_size=4, default=[1, 2]
        ),
        CIMProperty("Grade", CIMType.CHAR16, default="x"),
        CIMProperty(
            "When", CIMType.DATETIME, default=CIMDateTime("20240101000000.000000+060")
        ),
        CIMProperty("Owner", CIMType.REFERENCE, reference_class="Ex_Base"),
        CIMProperty(
            "Inner",
            CIMType.INSTANCE,
            embedded_class="Ex_Base",
            qualifiers=qualifier_dict(
                [q("EmbeddedInstance", "Ex_Base", CIMType.STRING)]
            ),
        ),
        CIMProperty(
            "Any",
            CIMType.OBJECT,
            qualifiers=qualifier_dict([q("EmbeddedObject", True, CIMType.BOOLEAN)]),
        ),
        CIMProperty(
            "Values",
            CIMType.UINT16,
            qualifiers=qualifier_dict(
                [
                    q("ValueMap", ["1", "2"], CIMType.STRING),
                    q("Values", ["one", "two"], CIMType.STRING, translatable=True),
                ]
            ),
        ),
    ),
    NocaseDict(
        [
            (
                "Run",
                CIMMethod(
                    "Run",
                    CIMType.UINT32,
                    NocaseDict(
                        [
                            (
                                "Cmd",
                                CIMParameter(
                                    "Cmd",
                                    CIMType.STRING,
                                    qualifiers=qualifier_dict(
                                        [q("In", True, CIMType.BOOLEAN)]
                                    ),
                                ),
                            ),
                            (
                                "Pid",
                                CIMParameter(
                                    "Pid",
                                    CIMType.UINT32,
                                    qualifiers=qualifier_dict(
                                        [q("Out", True, CIMType.BOOLEAN)]
                                    ),
                                ),
                            ),
                            (
                                "Targets",
                                CIMParameter(
                                    "Targets",
                                    CIMType.REFERENCE,
                                    is_array=True,
                                    reference_class="Ex_Base",
                                ),
                            ),
                            (
                                "Blob",
                                CIMParameter(
                                    "Blob",
                                    CIMType.INSTANCE,
                                    embedded_class="Ex_Base",
                                    qualifiers=qualifier_dict(
                                        [
                                            q(
                                                "EmbeddedInstance",
                                                "Ex_Base",
                                                CIMType.STRING,
                                            )
                                        ]
                                    ),
                                ),
                            ),
                        ]
                    ),
                    qualifier_dict([q("Static", True, CIMType.BOOLEAN)]),
                ),
            )
        ]
    ),
    qualifier_dict(
        [
            q("Description", "a thing", CIMType.STRING, translatable=True),
            q("Abstract", False, CIMType.BOOLEAN, tosubclass=False),
        ]
    ),
)


def test_class_round_trip_openwmi_pywbem_openwmi() -> None:
    back = conv.class_from_pywbem(conv.class_to_pywbem(SAMPLE_CLASS))
    assert back == SAMPLE_CLASS
    assert back.properties["Inner"].embedded_class == "Ex_Base"
    assert back.properties["Flags"].array_size == 4
    assert back.qualifiers["Description"].translatable
    assert not back.qualifiers["Abstract"].tosubclass
    assert not back.properties["Name"].qualifiers["Key"].overridable


def test_class_round_trip_pywbem_openwmi_pywbem() -> None:
    py = conv.class_to_pywbem(SAMPLE_CLASS)
    assert conv.class_to_pywbem(conv.class_from_pywbem(py)) == py


def test_pywbem_shapes() -> None:
    py = conv.class_to_pywbem(SAMPLE_CLASS)
    assert py.superclass == "Ex_Base"
    assert py.properties["Inner"].type == "string"
    assert py.properties["Inner"].embedded_object == "instance"
    assert py.properties["Any"].embedded_object == "object"
    assert py.properties["Owner"].type == "reference"
    assert isinstance(py.properties["Count"].value, pywbem.Uint32)
    assert py.properties["Grade"].type == "char16"
    assert isinstance(py.properties["When"].value, pywbem.CIMDateTime)
    assert py.methods["Run"].parameters["Blob"].embedded_object == "instance"


def test_embedded_instance_without_qualifier_gains_it() -> None:
    prop = CIMProperty("E", CIMType.INSTANCE, embedded_class="X")
    py = conv.property_to_pywbem(prop)
    assert py.qualifiers["EmbeddedInstance"].value == "X"
    back = conv.property_from_pywbem(py)
    assert (back.type, back.embedded_class) == (CIMType.INSTANCE, "X")


def test_resolved_class_keeps_origin_and_propagation() -> None:
    cls = CIMClass(
        "Ex_Sub",
        "Ex_Base",
        props(
            CIMProperty("Id", CIMType.STRING, class_origin="Ex_Base", propagated=True)
        ),
        namespace="root/x",
    )
    py = conv.class_to_pywbem(cls)
    assert py.path.namespace == "root/x"
    back = conv.class_from_pywbem(py)
    assert back.properties["Id"].propagated
    assert back.properties["Id"].class_origin == "Ex_Base"
    assert back.namespace == "root/x"


@pytest.mark.parametrize(
    "decl",
    [
        pytest.param(
            QualifierDeclaration(
                "Key",
                CIMType.BOOLEAN,
                default=False,
                scopes=frozenset({"property", "reference"}),
                overridable=False,
            ),
            id="key",
        ),
        pytest.param(
            QualifierDeclaration(
                "Values",
                CIMType.STRING,
                is_array=True,
                scopes=frozenset({"property", "method", "parameter"}),
                translatable=True,
            ),
            id="values",
        ),
        pytest.param(
            QualifierDeclaration(
                "Abstract",
                CIMType.BOOLEAN,
                default=False,
                scopes=frozenset({"class", "association", "indication"}),
                tosubclass=False,
            ),
            id="restricted",
        ),
        pytest.param(
            QualifierDeclaration("Order", CIMType.SINT32, is_array=True, array_size=3),
            id="any-scope-array-size",
        ),
        pytest.param(
            QualifierDeclaration("MaxLen", CIMType.UINT32, default=16, toinstance=True),
            id="toinstance",
        ),
    ],
)
def test_qualifier_declaration_round_trip(decl: QualifierDeclaration) -> None:
    py = conv.qualifier_declaration_to_pywbem(decl)
    assert conv.qualifier_declaration_from_pywbem(py) == decl
    assert (
        conv.qualifier_declaration_to_pywbem(conv.qualifier_declaration_from_pywbem(py))
        == py
    )


def test_unspecified_pywbem_flavors_get_dsp0004_defaults() -> None:
    py = pywbem.CIMQualifierDeclaration("Q", "string", scopes={"CLASS": True})
    decl = conv.qualifier_declaration_from_pywbem(py)
    assert (decl.overridable, decl.tosubclass, decl.toinstance, decl.translatable) == (
        True,
        True,
        False,
        False,
    )
    assert decl.scopes == frozenset({"class"})
    qual = conv.qualifier_from_pywbem(pywbem.CIMQualifier("Q", "v"))
    assert (qual.overridable, qual.tosubclass, qual.type) == (
        True,
        True,
        CIMType.STRING,
    )


INNER = CIMInstance("Ex_Base", {"Id": "inner"})


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"Name": "a", "Count": 3, "Flag": True}, id="scalars"),
        pytest.param({"Ratio": 0.5, "Neg": -4, "Tags": ["x", None]}, id="reals-arrays"),
        pytest.param({"When": CIMDateTime("20240101000000.000000+000")}, id="datetime"),
        pytest.param(
            {"Ref": ObjectPath("Ex_Base", (("Id", "1"),), "root/x")}, id="reference"
        ),
        pytest.param(
            {"Refs": [ObjectPath("Ex_Base", (("N", 5),))]}, id="reference-array"
        ),
        pytest.param({"Inner": INNER}, id="embedded-instance"),
        pytest.param(
            {"Single": ObjectPath("Ex_Single", singleton=True)}, id="singleton-ref"
        ),
    ],
)
def test_loose_instance_round_trip(values: dict[str, Any]) -> None:
    inst = CIMInstance("Ex_Thing", values)
    py = conv.instance_to_pywbem(inst)
    assert conv.instance_from_pywbem(py) == inst


def test_instance_typed_by_its_class() -> None:
    inst = CIMInstance(
        "Ex_Thing", {"Name": "n", "Count": 3, "Flags": [1], "Grade": "g"}
    )
    py = conv.instance_to_pywbem(inst, SAMPLE_CLASS)
    assert isinstance(py.properties["Count"].value, pywbem.Uint32)
    assert isinstance(py.properties["Flags"].value[0], pywbem.Uint8)
    assert py.properties["Grade"].type == "char16"
    assert conv.instance_from_pywbem(py) == inst


def test_instance_with_class_and_path() -> None:
    base = CIMClass(
        "Ex_K",
        properties=props(
            CIMProperty(
                "Id",
                CIMType.STRING,
                qualifiers=qualifier_dict([q("Key", True, CIMType.BOOLEAN)]),
            ),
            CIMProperty("N", CIMType.UINT8),
        ),
        namespace="root/x",
    )
    inst = CIMInstance(base, {"Id": "k1", "N": 2})
    py = conv.instance_to_pywbem(inst)
    assert py.path == pywbem.CIMInstanceName("Ex_K", {"Id": "k1"}, namespace="root/x")
    assert py.properties["N"].value == pywbem.Uint8(2)
    back = conv.instance_from_pywbem(py)
    assert back == inst
    assert back.namespace == "root/x"


@pytest.mark.parametrize(
    "path",
    [
        ObjectPath("C", (("K", "v"),), "root/cimv2", "host"),
        ObjectPath("C", (("A", 1), ("B", True))),
        ObjectPath("C", (("R", ObjectPath("D", (("K", "x"),))),)),
        ObjectPath("C", singleton=True),
        ObjectPath("C", namespace="root/x"),
    ],
    ids=[
        "string-key-ns-host",
        "int-bool-keys",
        "nested-ref",
        "singleton",
        "class-path",
    ],
)
def test_path_round_trip(path: ObjectPath) -> None:
    back = conv.path_from_pywbem(conv.path_to_pywbem(path))
    assert back == path
    assert back.namespace == path.namespace
    assert back.server == path.server
    assert back.is_class == path.is_class


@pytest.mark.parametrize(
    ("value", "cimtype"),
    [
        (None, CIMType.STRING),
        (7, CIMType.UINT64),
        (-7, CIMType.SINT16),
        (1.5, CIMType.REAL64),
        (True, CIMType.BOOLEAN),
        ("c", CIMType.CHAR16),
        ([1, None, 3], CIMType.UINT8),
        (CIMDateTime("00000001000000.000000:000"), CIMType.DATETIME),
        (INNER, CIMType.INSTANCE),
        (SAMPLE_CLASS, CIMType.OBJECT),
    ],
)
def test_value_round_trip(value: Any, cimtype: CIMType) -> None:
    back = conv.value_from_pywbem(conv.value_to_pywbem(value, cimtype))
    assert back == value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert type(back) is type(value)


def test_values_from_python_datetime_and_string_reference() -> None:
    import datetime as dt

    stamp = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert conv.value_from_pywbem(stamp) == CIMDateTime("20240102030405.000000+000")
    py = conv.value_to_pywbem('C.K="v"', CIMType.REFERENCE)
    assert isinstance(py, pywbem.CIMInstanceName)
    assert conv.value_from_pywbem(pywbem.CIMClassName("C")) == ObjectPath("C")
