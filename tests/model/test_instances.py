"""Tests for CIMInstance and coerce_property (DSP0004 §5.1, §5.2; spec §7.6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from openwmi.errors import HResult, NotFoundError, TypeMismatchError
from openwmi.model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMProperty,
    CIMType,
    NocaseDict,
    ObjectPath,
    Qualifier,
    coerce_property,
    qualifier_dict,
    resolve_class,
)

KEY = Qualifier("Key", True, CIMType.BOOLEAN, overridable=False)


def prop(
    name: str,
    t: CIMType = CIMType.STRING,
    *quals: Qualifier,
    is_array: bool = False,
    reference_class: str | None = None,
    embedded_class: str | None = None,
) -> CIMProperty:
    return CIMProperty(
        name,
        t,
        is_array=is_array,
        qualifiers=qualifier_dict(quals),
        reference_class=reference_class,
        embedded_class=embedded_class,
    )


def make_class(
    name: str,
    superclass: str | None,
    props: list[CIMProperty],
    quals: list[Qualifier] | None = None,
    namespace: str | None = "root/cimv2",
) -> CIMClass:
    return CIMClass(
        name,
        superclass,
        NocaseDict((p.name, p) for p in props),
        qualifiers=qualifier_dict(quals or []),
        namespace=namespace,
    )


BASE = resolve_class(make_class("CIM_Base", None, [prop("Caption")]), None)
PROCESS = resolve_class(
    make_class(
        "CIM_Process",
        "CIM_Base",
        [
            prop("Handle", CIMType.STRING, KEY),
            prop("Count", CIMType.UINT8),
            prop("Flag", CIMType.BOOLEAN),
            prop("Sizes", CIMType.UINT32, is_array=True),
            prop("Started", CIMType.DATETIME),
            prop("Owner", CIMType.REFERENCE, reference_class="CIM_Account"),
            prop("Peers", CIMType.REFERENCE, is_array=True),
            prop("Detail", CIMType.INSTANCE, embedded_class="CIM_Thing"),
            prop("AnyObject", CIMType.OBJECT),
            prop("EmbText", CIMType.STRING, embedded_class="CIM_Thing"),
        ],
    ),
    BASE,
)
THING = resolve_class(
    make_class("CIM_Thing", None, [prop("Id", CIMType.UINT32, KEY)]), None
)
PAIR = resolve_class(
    make_class(
        "CIM_Pair",
        None,
        [prop("B", CIMType.UINT32, KEY), prop("Other"), prop("A", CIMType.STRING, KEY)],
    ),
    None,
)
SINGLE = resolve_class(
    make_class(
        "CIM_Single",
        None,
        [prop("Value", CIMType.UINT32)],
        quals=[Qualifier("Singleton", True, CIMType.BOOLEAN)],
    ),
    None,
)
KEYLESS = resolve_class(make_class("CIM_Keyless", None, [prop("V")]), None)


def process(**values: Any) -> CIMInstance:
    return CIMInstance(PROCESS, values)


# --- get / set ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Handle", "handle", "HANDLE", "hAnDlE"])
def test_get_and_set_case_insensitive(spelling: str) -> None:
    """DSP0004 §5.1: property names compare without case; the class spelling is kept."""
    inst = CIMInstance(PROCESS)
    inst[spelling] = "42"
    assert inst["Handle"] == "42"
    assert inst[spelling.swapcase()] == "42"
    assert getattr(inst, spelling) == "42"
    assert inst.values_set() == {"Handle": "42"}


def test_attribute_set() -> None:
    inst = CIMInstance(PROCESS)
    inst.count = 7
    inst.HANDLE = "1"
    assert inst["Count"] == 7
    assert inst.values_set() == {"Count": 7, "Handle": "1"}


@pytest.mark.parametrize("name", ["Caption", "count", "STARTED", "Sizes"])
def test_declared_unset_reads_null(name: str) -> None:
    """Spec §7.6 note: a declared property with no value is NULL."""
    inst = process(Handle="1")
    assert inst[name] is None
    assert getattr(inst, name) is None
    assert inst.get(name, "dflt") == "dflt"
    assert name in inst


def test_undeclared_read_raises() -> None:
    inst = process(Handle="1")
    with pytest.raises(KeyError, match="Nope"):
        inst["Nope"]
    with pytest.raises(AttributeError, match="Nope"):
        inst.Nope  # noqa: B018
    assert inst.get("Nope", 5) == 5
    assert "Nope" not in inst


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda inst: inst.__setitem__("Nope", 1), id="item"),
        pytest.param(lambda inst: setattr(inst, "Nope", 1), id="attribute"),
        pytest.param(lambda inst: CIMInstance(PROCESS, {"Nope": 1}), id="constructor"),
    ],
)
def test_undeclared_write_is_not_found(write: Callable[[CIMInstance], object]) -> None:
    """IWbemClassObject::Put of an undeclared name gives WBEM_E_NOT_FOUND."""
    inst = CIMInstance(PROCESS)
    with pytest.raises(NotFoundError) as info:
        write(inst)
    assert info.value.hresult == HResult.WBEM_E_NOT_FOUND
    assert "'Nope'" in info.value.message
    assert "CIM_Process" in info.value.message
    assert inst.values_set() == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("Count", 256, id="uint8-overflow"),
        pytest.param("Count", -1, id="uint8-negative"),
        pytest.param("Count", "1", id="string-for-int"),
        pytest.param("Flag", 1, id="int-for-bool"),
        pytest.param("Handle", 42, id="int-for-string"),
        pytest.param("Sizes", 5, id="scalar-for-array"),
        pytest.param("Sizes", [1, -1], id="array-element"),
        pytest.param("Count", [1], id="array-for-scalar"),
        pytest.param("Started", "noon", id="bad-datetime"),
    ],
)
def test_coercion_errors(name: str, value: Any) -> None:
    """Values are checked against the declared type (WBEM_E_TYPE_MISMATCH)."""
    inst = process(Handle="1", Count=3)
    with pytest.raises(TypeMismatchError) as info:
        inst[name] = value
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH
    assert f"CIM_Process.{name}" in info.value.message
    assert inst.values_set() == {"Handle": "1", "Count": 3}  # unchanged


def test_coercion_normalises() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    inst = process(Started=when, Sizes=(1, None, 3))
    assert inst.Started == CIMDateTime("20240102030405.000000+000")
    assert inst.Sizes == [1, None, 3]


# --- references and embedded objects -----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(ObjectPath("CIM_Account", (("Name", "bob"),)), id="path"),
        pytest.param('CIM_Account.Name="bob"', id="string"),
        pytest.param(
            CIMInstance(
                "CIM_Account", path=ObjectPath("CIM_Account", (("Name", "bob"),))
            ),
            id="instance-with-path",
        ),
    ],
)
def test_reference_accepts(value: Any) -> None:
    inst = process(Owner=value)
    assert isinstance(inst.Owner, ObjectPath)
    assert inst.Owner == ObjectPath("CIM_Account", (("Name", "bob"),))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("not a path!", id="garbage-string"),
        pytest.param('C.K="unterminated', id="bad-path"),
        pytest.param(5, id="int"),
        pytest.param(
            CIMInstance("CIM_Account", {"Name": "bob"}), id="instance-no-path"
        ),
        pytest.param([ObjectPath("C")], id="array-for-scalar"),
    ],
)
def test_reference_rejects(value: Any) -> None:
    with pytest.raises(TypeMismatchError) as info:
        process(Owner=value)
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH
    assert "CIM_Process.Owner" in info.value.message


def test_reference_array() -> None:
    inst = process(Peers=["C.K=1", None, ObjectPath("C", (("K", 2),))])
    assert inst.Peers == [
        ObjectPath("C", (("K", 1),)),
        None,
        ObjectPath("C", (("K", 2),)),
    ]
    with pytest.raises(TypeMismatchError, match=r"CIM_Process\.Peers\[1\]"):
        process(Peers=["C.K=1", "??"])
    with pytest.raises(TypeMismatchError):
        process(Peers="C.K=1")


@pytest.mark.parametrize("name", ["Detail", "AnyObject", "EmbText"])
def test_embedded_instance_accepted(name: str) -> None:
    thing = CIMInstance(THING, {"Id": 1})
    inst = process(**{name: thing})
    assert inst[name] is thing


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("Detail", THING, id="class-for-instance"),
        pytest.param("Detail", "instance of CIM_Thing", id="string-for-instance"),
        pytest.param("EmbText", "plain text", id="text-for-embedded-string"),
        pytest.param("AnyObject", {"Id": 1}, id="dict-for-object"),
    ],
)
def test_embedded_rejects(name: str, value: Any) -> None:
    with pytest.raises(TypeMismatchError) as info:
        process(**{name: value})
    assert f"CIM_Process.{name}" in info.value.message


def test_embedded_object_accepts_a_class() -> None:
    """WMI ``object`` holds a class or an instance."""
    assert process(AnyObject=THING).AnyObject is THING


def test_embedded_instance_of_wrong_class_rejected() -> None:
    with pytest.raises(TypeMismatchError):
        process(Detail=CIMInstance(PAIR, {"A": "x", "B": 1}))


def test_coerce_property_direct() -> None:
    p = prop("R", CIMType.REFERENCE)
    assert coerce_property(p, "C.K=1", "X.R") == ObjectPath("C", (("K", 1),))
    assert coerce_property(p, None, "X.R") is None
    with pytest.raises(TypeMismatchError) as info:
        coerce_property(prop("N", CIMType.SINT8), 200, "X.R")
    assert info.value.message.startswith("X.R: 200 is out of range for sint8")


# --- path ----------------------------------------------------------------------------------


def test_path_from_keys() -> None:
    inst = process(Handle="42", Count=1)
    assert inst.path == ObjectPath("CIM_Process", (("Handle", "42"),), "root/cimv2")
    assert str(inst.path) == 'root\\cimv2:CIM_Process.Handle="42"'


def test_path_follows_key_changes() -> None:
    inst = process(Handle="42")
    assert inst.path is not None
    inst.Handle = "43"
    assert inst.path is not None
    assert inst.path.key("handle") == "43"
    del inst["Handle"]
    inst["Handle"] = "44"
    assert inst.path.relpath == 'CIM_Process.Handle="44"'


def test_path_keys_in_class_order() -> None:
    inst = CIMInstance(PAIR, {"a": "x", "b": 7, "Other": "o"})
    assert inst.path is not None
    assert inst.path.relpath == 'CIM_Pair.B=7,A="x"'


def test_singleton_path() -> None:
    """Spec §7.5: a singleton's path is ``Class=@``."""
    inst = CIMInstance(SINGLE, {"Value": 1})
    assert inst.path is not None
    assert inst.path.singleton
    assert inst.path.relpath == "CIM_Single=@"
    assert inst["__RELPATH"] == "CIM_Single=@"


def test_keyless_class_has_no_path() -> None:
    inst = CIMInstance(KEYLESS, {"V": "x"})
    assert inst.path is None
    assert inst["__PATH"] is None
    assert inst["__RELPATH"] is None


def test_unset_key_gives_no_path() -> None:
    inst = process(Count=1)
    assert inst.path is None
    assert inst["__RELPATH"] is None


def test_path_follows_namespace_change() -> None:
    inst = process(Handle="1")
    assert inst.path is not None
    inst.namespace = "root/other"
    assert inst.path.namespace == "root/other"


# --- system properties (spec §7.6) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("__GENUS", 2, id="genus-instance"),
        pytest.param("__CLASS", "CIM_Process", id="class"),
        pytest.param("__SUPERCLASS", "CIM_Base", id="superclass"),
        pytest.param("__DYNASTY", "CIM_Base", id="dynasty"),
        pytest.param("__DERIVATION", ["CIM_Base"], id="derivation"),
        pytest.param("__NAMESPACE", "root/cimv2", id="namespace"),
        pytest.param("__SERVER", "srv", id="server"),
        pytest.param("__RELPATH", 'CIM_Process.Handle="42"', id="relpath"),
        pytest.param(
            "__PATH", '\\\\srv\\root\\cimv2:CIM_Process.Handle="42"', id="path"
        ),
        pytest.param("__PROPERTY_COUNT", 11, id="property-count"),
        pytest.param("__relpath", 'CIM_Process.Handle="42"', id="lowercase"),
    ],
)
def test_instance_system_properties(name: str, expected: Any) -> None:
    """Spec §7.6: the system properties of an instance."""
    inst = CIMInstance(PROCESS, {"Handle": "42"}, server="srv")
    assert inst[name] == expected
    assert getattr(inst, name) == expected
    assert inst.system_property(name) == expected


def test_instance_path_without_server_uses_local_machine() -> None:
    inst = process(Handle="42")
    assert inst["__PATH"] == '\\\\.\\root\\cimv2:CIM_Process.Handle="42"'
    assert inst["__PROPERTY_COUNT"] == len(PROCESS.properties)


def test_system_property_count_excludes_system_properties() -> None:
    assert CIMInstance(PAIR)["__PROPERTY_COUNT"] == 3


def test_unknown_system_property() -> None:
    with pytest.raises(KeyError):
        process()["__NOPE"]


def test_instance_path_system_property_parses_back() -> None:
    inst = process(Handle="42")
    assert ObjectPath.parse(inst["__PATH"]) == inst.path


# --- equality / copy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        pytest.param(
            process(Handle="1", Count=None),
            process(Handle="1"),
            True,
            id="null-equals-missing",
        ),
        pytest.param(
            CIMInstance(PROCESS, {"Handle": "1"}, namespace="root/a"),
            CIMInstance(PROCESS, {"Handle": "1"}, namespace="root/b", server="x"),
            True,
            id="namespace-and-server-ignored",
        ),
        pytest.param(
            process(Handle="1", Count=2),
            CIMInstance("cim_process", {"HANDLE": "1", "count": 2}),
            True,
            id="names-nocase-loose",
        ),
        pytest.param(process(Handle="1"), process(Handle="2"), False, id="other-value"),
        pytest.param(
            process(Handle="a"), process(Handle="A"), False, id="string-values-case"
        ),
        pytest.param(
            process(Handle="1", Count=2), process(Handle="1"), False, id="extra-value"
        ),
        pytest.param(
            CIMInstance("A", {"K": 1}), CIMInstance("B", {"K": 1}), False, id="class"
        ),
    ],
)
def test_equality_by_value(a: CIMInstance, b: CIMInstance, equal: bool) -> None:
    """Issue #2: equality by value (class name and values; NULL = missing)."""
    assert (a == b) is equal
    assert (b == a) is equal


def test_instances_are_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(process())


def test_not_equal_to_dict() -> None:
    assert process(Handle="1") != {"Handle": "1"}


def test_copy_is_independent() -> None:
    inst = CIMInstance(PROCESS, {"Handle": "1", "Count": 2}, server="srv")
    c = inst.copy()
    assert c == inst
    assert c.cimclass is PROCESS
    assert (c.namespace, c.server) == ("root/cimv2", "srv")
    c.Count = 3
    c["Handle"] = "2"
    assert inst.Count == 2
    assert inst.Handle == "1"
    assert inst.path is not None
    assert inst.path.key("Handle") == "1"
    assert c.path is not None
    assert c.path.key("Handle") == "2"
    with pytest.raises(TypeMismatchError):
        c.Count = 999  # the copy is still checked against the class


def test_copy_of_loose_instance() -> None:
    inst = CIMInstance("Foo", {"A": 1}, namespace="root")
    c = inst.copy()
    c["B"] = 2
    assert inst.property_names() == ["A"]
    assert c.property_names() == ["A", "B"]
    assert c.namespace == "root"


def test_delete_value() -> None:
    inst = process(Handle="1", Count=2)
    del inst["COUNT"]
    assert inst.Count is None
    assert inst.values_set() == {"Handle": "1"}
    del inst["Nope"]  # undeclared: nothing to delete
    assert inst.values_set() == {"Handle": "1"}


def test_items_properties_and_iteration() -> None:
    inst = CIMInstance(PAIR, {"a": "x"})
    assert list(inst) == ["B", "Other", "A"]
    assert inst.items() == [("B", None), ("Other", None), ("A", "x")]
    assert inst.properties() == {"B": None, "Other": None, "A": "x"}
    assert inst.values_set() == {"A": "x"}


def test_namespace_defaults_to_class_namespace() -> None:
    assert CIMInstance(PROCESS).namespace == "root/cimv2"
    assert CIMInstance(PROCESS, namespace="root/x").namespace == "root/x"
    assert CIMInstance(PROCESS).classname == "CIM_Process"


def test_repr() -> None:
    assert repr(process(Handle="1")) == '<CIMInstance CIM_Process.Handle="1">'
    assert repr(CIMInstance("Loose")) == "<CIMInstance Loose>"


# --- loose instances ------------------------------------------------------------------------------


def test_loose_instance() -> None:
    """A class-less instance (decoded remote objects, events) takes any name."""
    inst = CIMInstance("Ev", {"Name": "x"})
    inst.Count = 3
    inst["NAME"] = "y"
    assert inst.cimclass is None
    assert inst.classname == "Ev"
    assert inst["name"] == "y"
    assert inst.property_names() == ["Name", "Count"]
    assert inst.path is None
    assert inst["__GENUS"] == 2
    assert inst["__PROPERTY_COUNT"] == 2
    assert inst["__DERIVATION"] is None
    assert inst["__SUPERCLASS"] is None
    with pytest.raises(KeyError):
        inst["Missing"]


def test_loose_instance_values_are_not_coerced() -> None:
    inst = CIMInstance("Ev", {"N": 300, "S": [1, "a"]})
    assert inst.N == 300
    assert inst.S == [1, "a"]


def test_loose_instance_with_given_path_only() -> None:
    path = ObjectPath.parse('root:Ev.K="v"')
    inst = CIMInstance("Ev", path=path)
    assert inst.path is path
    assert inst["__RELPATH"] == 'Ev.K="v"'


def test_loose_instance_with_given_path_and_values() -> None:
    path = ObjectPath.parse('root:Ev.K="v"')
    inst = CIMInstance("Ev", {"K": "v"}, path=path)
    assert inst.path is path
    assert inst["__RELPATH"] == 'Ev.K="v"'


# --- trusted instances with a lazy loader ---------------------------------------------------


class CountingLoader:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.calls: list[tuple[CIMClass, Any]] = []

    def __call__(self, cimclass: CIMClass, raw: Any) -> dict[str, Any]:
        self.calls.append((cimclass, raw))
        return dict(self.values)


def test_trusted_loader_called_once_on_first_access() -> None:
    loader = CountingLoader({"Handle": "42", "Count": 5})
    inst = CIMInstance.trusted(PROCESS, None, loader=(loader, b"raw-row"))
    # identity facts need no decoding
    assert inst.classname == "CIM_Process"
    assert inst.namespace == "root/cimv2"
    assert inst.cimclass is PROCESS
    assert loader.calls == []
    assert inst["count"] == 5
    assert loader.calls == [(PROCESS, b"raw-row")]
    assert inst.Handle == "42"
    assert inst.path is not None
    assert inst.path.key("Handle") == "42"
    assert inst == process(Handle="42", Count=5)
    inst.Count = 6
    assert inst.Count == 6
    assert len(loader.calls) == 1


def test_trusted_loader_first_access_by_write() -> None:
    loader = CountingLoader({"Handle": "1"})
    inst = CIMInstance.trusted(PROCESS, None, loader=(loader, None), namespace="root/x")
    inst.Count = 1
    assert inst.values_set() == {"Handle": "1", "Count": 1}
    assert inst.namespace == "root/x"
    assert len(loader.calls) == 1


def test_trusted_with_values_uses_them_as_given() -> None:
    values: dict[str, Any] = {"Handle": "1"}
    inst = CIMInstance.trusted(PROCESS, values)
    assert inst.Handle == "1"
    assert inst.server is None
    inst.Count = 2
    assert values == {"Handle": "1", "Count": 2}  # no copy: the caller hands it over
