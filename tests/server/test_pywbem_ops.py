"""Every DSP0200 operation through the real pywbem client over a loopback socket."""

from __future__ import annotations

import pytest
import pywbem
from pywbem import CIMClassName, CIMError, CIMInstance, CIMInstanceName, Uint32

from .conftest import Env

NS = "root/cimv2"


def _code(info: pytest.ExceptionInfo[CIMError]) -> int:
    return int(info.value.status_code)


def path(cls: str, **keys: object) -> CIMInstanceName:
    return CIMInstanceName(cls, keys, namespace=NS)


# --- classes -------------------------------------------------------------------------


def test_get_class_options(env: Env) -> None:
    c = env.conn()
    sub = c.GetClass("T_Sub")  # LocalOnly defaults to true
    assert list(sub.properties) == ["B"]
    full = c.GetClass("T_Sub", LocalOnly=False, IncludeClassOrigin=True)
    assert set(full.properties) == {"Name", "N", "S", "Label", "B"}
    assert full.properties["N"].class_origin == "T_Base"
    assert full.properties["Label"].qualifiers["Description"].value == "static"
    bare = c.GetClass("T_Base", IncludeQualifiers=False, PropertyList=["N"])
    assert list(bare.properties) == ["N"]
    assert not bare.properties["N"].qualifiers
    with pytest.raises(CIMError) as info:
        c.GetClass("T_Nope")
    assert _code(info) == 6


def test_enumerate_classes_and_names(env: Env) -> None:
    c = env.conn()
    names = c.EnumerateClassNames(DeepInheritance=True)
    assert {"T_Base", "T_Sub", "T_Link"} <= set(names)
    assert c.EnumerateClassNames(ClassName="T_Base") == ["T_Sub"]
    classes = c.EnumerateClasses(ClassName="T_Base", LocalOnly=False)
    assert [k.classname for k in classes] == ["T_Sub"]
    assert "N" in classes[0].properties
    with pytest.raises(CIMError) as info:
        c.EnumerateClassNames(ClassName="T_Nope")
    assert _code(info) == 5


def test_create_modify_delete_class(env: Env) -> None:
    c = env.conn()
    new = pywbem.CIMClass(
        "T_New",
        superclass="T_Base",
        properties=[pywbem.CIMProperty("Extra", None, type="uint16")],
    )
    c.CreateClass(new)
    assert "Extra" in c.GetClass("T_New").properties
    with pytest.raises(CIMError) as info:
        c.CreateClass(new)
    assert _code(info) == 11
    new.properties["More"] = pywbem.CIMProperty("More", None, type="string")
    c.ModifyClass(new)
    assert "More" in c.GetClass("T_New").properties
    c.DeleteClass("T_New")
    with pytest.raises(CIMError) as info:
        c.GetClass("T_New")
    assert _code(info) == 6
    orphan = pywbem.CIMClass("T_Orphan", superclass="T_Missing")
    with pytest.raises(CIMError) as info:
        c.CreateClass(orphan)
    assert _code(info) == 10


# --- instances ---------------------------------------------------------------------------


def test_get_instance_and_property_list(env: Env) -> None:
    c = env.conn()
    inst = c.GetInstance(path("T_Base", Name="a"))
    assert inst["N"] == 1
    assert inst["S"] == ["x", "y"]
    assert inst.path.keybindings["Name"] == "a"
    only = c.GetInstance(path("T_Base", Name="a"), PropertyList=["N"])
    assert list(only.properties) == ["N"]
    with pytest.raises(CIMError) as info:
        c.GetInstance(path("T_Base", Name="zz"))
    assert _code(info) == 6
    with pytest.raises(CIMError) as info:
        c.GetInstance(CIMInstanceName("T_Base", {"Name": "a"}, namespace="root/nope"))
    assert _code(info) == 3
    with pytest.raises(CIMError) as info:
        c.GetInstance(path("T_Nope", Name="a"))
    assert _code(info) == 5


def test_enumerate_instances_deep_and_shallow(env: Env) -> None:
    c = env.conn()
    deep = c.EnumerateInstances("T_Base")
    assert sorted(i["Name"] for i in deep) == ["a", "b", "s"]
    sub = next(i for i in deep if i.classname == "T_Sub")
    assert sub["B"] is True
    shallow = c.EnumerateInstances("T_Base", DeepInheritance=False)
    sub = next(i for i in shallow if i.classname == "T_Sub")
    assert "B" not in sub.properties  # only the requested class's properties
    names = c.EnumerateInstanceNames("T_Base")
    assert sorted(n["Name"] for n in names) == ["a", "b", "s"]
    assert c.EnumerateInstances("T_Base", PropertyList=["N"])[0].properties.keys() == {
        "N"
    }


def test_create_modify_delete_instance(env: Env) -> None:
    c = env.conn()
    new = c.CreateInstance(CIMInstance("T_Base", {"Name": "new", "N": Uint32(5)}))
    assert new.classname == "T_Base"
    assert new.keybindings["Name"] == "new"
    with pytest.raises(CIMError) as info:
        c.CreateInstance(CIMInstance("T_Base", {"Name": "new"}))
    assert _code(info) == 11
    mod = c.GetInstance(new)
    mod["N"] = Uint32(9)
    mod["S"] = ["changed"]
    c.ModifyInstance(mod, PropertyList=["N"])
    got = c.GetInstance(new)
    assert got["N"] == 9
    assert got["S"] is None  # not in PropertyList: unchanged
    c.ModifyInstance(mod)
    assert c.GetInstance(new)["S"] == ["changed"]
    c.DeleteInstance(new)
    with pytest.raises(CIMError) as info:
        c.DeleteInstance(new)
    assert _code(info) == 6


def _get_property(c: pywbem.WBEMConnection, name: str) -> object:
    # pywbem 1.9 dropped GetProperty/SetProperty methods; its request machinery
    # still sends them exactly as DSP0200 defines
    result = c._imethodcall(
        "GetProperty",
        NS,
        InstanceName=CIMInstanceName("T_Base", {"Name": "a"}),
        PropertyName=name,
    )
    return result[0][2][0]


def test_get_and_set_property(env: Env) -> None:
    c = env.conn()
    assert _get_property(c, "N") == "1"  # untyped VALUE text, as DSP0200 returns it
    assert _get_property(c, "S") == ["x", "y"]
    c._imethodcall(
        "SetProperty",
        NS,
        has_return_value=False,
        InstanceName=CIMInstanceName("T_Base", {"Name": "a"}),
        PropertyName="N",
        NewValue=Uint32(42),
    )
    assert c.GetInstance(path("T_Base", Name="a"))["N"] == 42
    with pytest.raises(CIMError) as info:
        _get_property(c, "Nope")
    assert _code(info) == 12


# --- qualifiers --------------------------------------------------------------------------


def test_qualifier_operations(env: Env) -> None:
    c = env.conn()
    quals = c.EnumerateQualifiers()
    assert "Key" in {q.name for q in quals}
    key = c.GetQualifier("Key")
    assert key.type == "boolean"
    decl = pywbem.CIMQualifierDeclaration(
        "T_Tag", "string", value="v", scopes={"ANY": True}, overridable=True
    )
    c.SetQualifier(decl)
    got = c.GetQualifier("T_Tag")
    assert got.value == "v"
    assert got.scopes["CLASS"]
    assert got.scopes["PROPERTY"]
    c.DeleteQualifier("T_Tag")
    with pytest.raises(CIMError) as info:
        c.GetQualifier("T_Tag")
    assert _code(info) == 6


# --- associations --------------------------------------------------------------------------


def test_associations(env: Env) -> None:
    c = env.conn()
    a = path("T_Base", Name="a")
    assoc = c.Associators(a)
    assert [(i.classname, i["Id"]) for i in assoc] == [("T_Other", 7)]
    assert assoc[0].path.keybindings["Id"] == 7
    names = c.AssociatorNames(a, AssocClass="T_Link", ResultClass="T_Other")
    assert [n.keybindings["Id"] for n in names] == [7]
    refs = c.References(a)
    assert [r.classname for r in refs] == ["T_Link"]
    assert refs[0]["Right"].keybindings["Id"] == 7
    assert [r.classname for r in c.ReferenceNames(a, Role="Left")] == ["T_Link"]
    assert c.ReferenceNames(a, Role="Right") == []
    # class level
    assert [k[1].classname for k in c.References("T_Base")] == ["T_Link"]
    assert [k.classname for k in c.AssociatorNames("T_Base")] == ["T_Other"]


# --- queries -------------------------------------------------------------------------------


def test_exec_query(env: Env) -> None:
    c = env.conn()
    got = c.ExecQuery("WQL", "SELECT * FROM T_Base WHERE N >= 2")
    assert sorted(i["Name"] for i in got) == ["b", "s"]
    with pytest.raises(CIMError) as info:
        c.ExecQuery("DMTF:CQL", "SELECT * FROM T_Base")
    assert _code(info) == 14
    with pytest.raises(CIMError) as info:
        c.ExecQuery("WQL", "SELECT FROM")
    assert _code(info) == 15


# --- extrinsic methods -----------------------------------------------------------------------


def test_invoke_static_method_typed(env: Env) -> None:
    c = env.conn()
    rv, out = c.InvokeMethod(
        "Add",
        CIMClassName("T_Calc", namespace=NS),
        [("A", pywbem.Sint32(2)), ("B", pywbem.Sint32(40))],
    )
    assert rv == 0
    assert isinstance(rv, pywbem.Uint32)  # typed return value
    assert out["Sum"] == 42
    assert isinstance(out["Sum"], pywbem.Sint64)
    assert out["Note"] == "2+40"


def test_invoke_instance_method_with_arrays(env: Env) -> None:
    c = env.conn()
    rv, out = c.InvokeMethod(
        "Echo",
        path("T_Calc", Id=Uint32(1)),
        [("Text", "hi"), ("Codes", [pywbem.Uint8(1), pywbem.Uint8(2)])],
    )
    assert rv == 2
    assert out["Back"] == ["hi", "T_Calc.Id=1"]
    with pytest.raises(CIMError) as info:
        c.InvokeMethod("Nope", path("T_Calc", Id=Uint32(1)))
    assert _code(info) == 17


# --- interop ---------------------------------------------------------------------------------


def test_interop_namespace_for_wbemserver(env: Env) -> None:
    server = pywbem.WBEMServer(env.conn())
    assert server.interop_ns == "root/interop"
    assert server.brand == "openwmi"
    assert {"root/cimv2", "root/interop"} <= set(server.namespaces)
    profiles = server.get_selected_profiles("DMTF", "Profile Registration")
    assert [p["RegisteredVersion"] for p in profiles] == ["1.0.0"]
    om = env.conn("root/interop").EnumerateInstances("CIM_ObjectManager")
    assert len(om) == 1
    assert om[0]["SystemName"] == env.manager.server
    got = env.conn("root/interop").GetInstance(om[0].path)
    assert got["ElementName"] == "openwmi"


def test_namespace_create_and_delete_through_cim_namespace(env: Env) -> None:
    server = pywbem.WBEMServer(env.conn())
    server.create_namespace("root/made")
    assert "root/made" in env.manager.list_namespaces()
    c = env.conn("root/made")
    assert "__NAMESPACE" in c.EnumerateClassNames(DeepInheritance=True)
    # WBEMServer.delete_namespace refuses client-side: every namespace holds
    # WMI's system classes (__SystemClass…), so delete the CIM_Namespace itself
    interop = env.conn("root/interop")
    made = [
        p
        for p in interop.EnumerateInstanceNames("CIM_Namespace")
        if p["Name"] == "root/made"
    ]
    interop.DeleteInstance(made[0])
    assert "root/made" not in env.manager.list_namespaces()


def test_unknown_namespace_and_operation(env: Env) -> None:
    c = env.conn("root/nowhere")
    with pytest.raises(CIMError) as info:
        c.EnumerateInstances("T_Base")
    assert _code(info) == 3
