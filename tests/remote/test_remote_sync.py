"""Every synchronous ``Services`` operation over CIM-XML to openwmi's own
server (loopback socket): objects, classes, enumerations, queries and their
WMI error codes, associations, methods, namespaces, qualifiers, and the
embedded-only features that say so."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import openwmi
from openwmi import (
    WBEM_FLAG_CREATE_ONLY,
    WBEM_FLAG_SHALLOW,
    WBEM_FLAG_UPDATE_ONLY,
    CIMClass,
    CIMDateTime,
    CIMProperty,
    CIMType,
    HResult,
    NocaseDict,
    Qualifier,
    WbemError,
)
from openwmi.engine import CollectingSink
from openwmi.model import ObjectPath, qualifier_dict

from .conftest import NS, Env

KEY = qualifier_dict([Qualifier("Key", True)])


def names(objs: object) -> list[str]:
    return sorted(o["Name"] for o in objs)  # type: ignore[attr-defined]


# --- objects -----------------------------------------------------------------------------


def test_get_instance_typed_values_and_path(env: Env) -> None:
    inst = env.svc.get_object('R_Base.Name="a"')
    assert inst.classname == "R_Base"
    assert inst["N"] == 1
    assert inst["S"] == ["x", "y"]
    assert inst["When"] == CIMDateTime.parse("20240102030405.000000+000")
    assert inst.path.relpath == 'R_Base.Name="a"'
    assert inst.path.namespace == NS


def test_get_class_and_empty_path(env: Env) -> None:
    cls = env.svc.get_object("R_Sub")
    assert isinstance(cls, CIMClass)
    assert cls.superclass == "R_Base"
    assert list(cls.properties) == ["Name", "N", "S", "When", "Label", "B"]
    assert cls.properties["Name"].is_key
    assert env.svc.get_object(None).name == ""


@pytest.mark.parametrize(
    ("path", "code"),
    [
        pytest.param('R_Base.Name="zz"', HResult.WBEM_E_NOT_FOUND, id="no-instance"),
        pytest.param("R_Nope", HResult.WBEM_E_NOT_FOUND, id="no-class"),
        pytest.param(
            'R_Nope.Name="x"', HResult.WBEM_E_INVALID_CLASS, id="inst-of-no-class"
        ),
    ],
)
def test_get_object_errors(env: Env, path: str, code: int) -> None:
    with pytest.raises(WbemError) as info:
        env.svc.get_object(path)
    assert info.value.hresult == code


def test_put_instance_create_update_and_flags(env: Env) -> None:
    svc = env.svc
    inst = svc.spawn_instance("R_Base", Name="new", N=5)
    assert inst["Label"] == "dflt"  # class default from the server's class
    assert svc.put_instance(inst) == 'R_Base.Name="new"'
    inst["N"] = 6
    assert svc.put_instance(inst) == 'R_Base.Name="new"'  # exists: ModifyInstance
    assert env.manager.get_instance(NS, 'R_Base.Name="new"')["N"] == 6
    with pytest.raises(WbemError) as info:
        svc.put_instance(inst, WBEM_FLAG_CREATE_ONLY)
    assert info.value.hresult == HResult.WBEM_E_ALREADY_EXISTS
    ghost = svc.spawn_instance("R_Base", Name="ghost")
    with pytest.raises(WbemError) as info:
        svc.put_instance(ghost, WBEM_FLAG_UPDATE_ONLY)
    assert info.value.hresult == HResult.WBEM_E_NOT_FOUND
    # an instance read from the server goes back with its path
    got = svc.get_object('R_Base.Name="new"')
    got["N"] = 9
    svc.put_instance(got, WBEM_FLAG_UPDATE_ONLY)
    assert env.manager.get_instance(NS, 'R_Base.Name="new"')["N"] == 9


def test_spawn_instance_checks_against_the_server_class(env: Env) -> None:
    with pytest.raises(WbemError) as info:
        env.svc.spawn_instance("R_Base", Nope=1)
    assert info.value.hresult == HResult.WBEM_E_NOT_FOUND
    with pytest.raises(WbemError) as info:
        env.svc.spawn_instance("R_Nope")
    assert info.value.hresult == HResult.WBEM_E_INVALID_CLASS


def test_delete_instance(env: Env) -> None:
    env.svc.delete_instance('R_Base.Name="b"')
    with pytest.raises(WbemError) as info:
        env.svc.delete_instance('R_Base.Name="b"')
    assert info.value.hresult == HResult.WBEM_E_NOT_FOUND
    assert names(env.svc.create_instance_enum("R_Base")) == ["a", "s"]


def test_unnamed_key_path(env: Env) -> None:
    assert env.svc.get_object('R_Base="a"')["N"] == 1
    assert env.svc.get_object("R_Other=7")["Tag"] == "seven"


# --- classes -----------------------------------------------------------------------------


def test_put_and_delete_class(env: Env) -> None:
    svc = env.svc
    cls = CIMClass(
        "R_New",
        properties=NocaseDict(
            {
                "Id": CIMProperty("Id", CIMType.UINT32, qualifiers=KEY),
                "V": CIMProperty("V", CIMType.STRING),
            }
        ),
    )
    svc.put_class(cls)
    assert list(svc.get_object("R_New").properties) == ["Id", "V"]
    with pytest.raises(WbemError) as info:
        svc.put_class(cls, WBEM_FLAG_CREATE_ONLY)
    assert info.value.hresult == HResult.WBEM_E_ALREADY_EXISTS
    cls.properties["W"] = CIMProperty("W", CIMType.BOOLEAN)
    svc.put_class(cls)  # exists: ModifyClass
    assert "W" in svc.get_object("R_New").properties
    svc.put_instance(svc.spawn_instance("R_New", Id=1, W=True))
    assert svc.get_object("R_New.Id=1")["W"] is True
    svc.delete_class("R_New")
    with pytest.raises(WbemError) as info:
        svc.get_object("R_New")
    assert info.value.hresult == HResult.WBEM_E_NOT_FOUND


def test_class_enum_deep_and_shallow(env: Env) -> None:
    deep = {c.name for c in env.svc.create_class_enum("R_Base")}
    assert deep == {"R_Sub"}
    top = {c.name for c in env.svc.create_class_enum(None, WBEM_FLAG_SHALLOW)}
    assert {"R_Base", "R_Other", "R_Link"} <= top
    assert "R_Sub" not in top
    assert "R_Sub" in {c.name for c in env.svc.create_class_enum()}
    with pytest.raises(WbemError) as info:
        env.svc.create_class_enum("R_Nope")
    assert info.value.hresult == HResult.WBEM_E_INVALID_CLASS


# --- enumerations and queries --------------------------------------------------------------


def test_instance_enum_deep_and_shallow(env: Env) -> None:
    deep = list(env.svc.create_instance_enum("R_Base"))
    assert names(deep) == ["a", "b", "s"]
    sub = next(i for i in deep if i["Name"] == "s")
    assert sub.classname == "R_Sub"
    assert sub["B"] is True
    assert names(env.svc.create_instance_enum("R_Base", WBEM_FLAG_SHALLOW)) == [
        "a",
        "b",
    ]
    assert len(env.app.contexts) == 0  # the pull ran to its end


def test_instance_enum_unknown_class_raises_at_the_call(env: Env) -> None:
    with pytest.raises(WbemError) as info:
        env.svc.create_instance_enum("R_Nope")
    assert info.value.hresult == HResult.WBEM_E_INVALID_CLASS


def test_enumeration_spanning_many_pages(env: Env) -> None:
    manager = env.svc.manager
    manager.first_page, manager.page_size = 2, 3  # type: ignore[attr-defined]
    for i in range(20):
        env.svc.put_instance(env.svc.spawn_instance("R_Other", Id=100 + i))
    ids = sorted(i["Id"] for i in env.svc.create_instance_enum("R_Other"))
    assert ids == [7, *range(100, 120)]
    assert len(env.app.contexts) == 0


def test_closing_an_enumeration_early_closes_the_server_provider(env: Env) -> None:
    it = env.svc.create_instance_enum("R_Endless")
    first = [next(it) for _ in range(5)]
    assert [i["Name"] for i in first] == [f"e{i:08d}" for i in range(5)]
    assert len(env.app.contexts) == 1
    it.close()  # type: ignore[union-attr]
    assert env.endless.closed.wait(10)
    assert len(env.app.contexts) == 0


def test_exec_query(env: Env) -> None:
    rows = list(env.svc.exec_query("SELECT Name, N FROM R_Base WHERE N >= 2"))
    assert sorted((r["Name"], r["N"]) for r in rows) == [("b", 2), ("s", 3)]
    assert list(env.svc.exec_query("SELECT * FROM R_Base WHERE N > 99")) == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param("SELECT FROM", HResult.WBEM_E_INVALID_QUERY, id="syntax"),
        pytest.param("SELECT * FROM R_Nope", HResult.WBEM_E_INVALID_CLASS, id="class"),
        pytest.param(
            "SELECT Nope FROM R_Base", HResult.WBEM_E_INVALID_QUERY, id="property"
        ),
    ],
)
def test_exec_query_errors_keep_their_wmi_code(env: Env, query: str, code: int) -> None:
    with pytest.raises(WbemError) as info:
        env.svc.exec_query(query)  # raised at the call, as embedded
    assert info.value.hresult == code
    sink = CollectingSink()
    env.svc.exec_query_async(query, sink)
    assert sink.wait(10) == code


def test_exec_query_other_language(env: Env) -> None:
    with pytest.raises(WbemError) as info:
        env.svc.exec_query("SELECT * FROM R_Base", language="CQL")
    assert info.value.hresult == HResult.WBEM_E_INVALID_QUERY_TYPE


# --- associations ---------------------------------------------------------------------------


def test_associators_and_references(env: Env) -> None:
    others = list(env.svc.associators('R_Base.Name="a"'))
    assert [(o.classname, o["Id"]) for o in others] == [("R_Other", 7)]
    links = list(env.svc.references('R_Base.Name="a"'))
    assert [link.classname for link in links] == ["R_Link"]
    assert links[0]["Right"] == ObjectPath.parse("R_Other.Id=7").with_namespace(NS)
    assert list(env.svc.associators('R_Base.Name="a"', result_class="R_Base")) == []
    assert list(env.svc.references('R_Base.Name="b"')) == []
    back = list(env.svc.associators("R_Other.Id=7", assoc_class="R_Link"))
    assert [b["Name"] for b in back] == ["a"]


# --- methods ---------------------------------------------------------------------------------


def test_exec_method_static_and_instance(env: Env) -> None:
    out = env.svc.exec_method("R_Calc", "Add", {"A": 2, "B": -5})
    assert out["ReturnValue"] == 0
    assert out["Sum"] == -3
    out = env.svc.exec_method("R_Calc.Id=1", "echo", {"Text": "hi"})
    assert out["Back"] == "R_Calc.Id=1:hi"


def test_exec_method_errors(env: Env) -> None:
    with pytest.raises(WbemError) as info:
        env.svc.exec_method("R_Calc", "Nope", {})
    assert info.value.hresult == HResult.WBEM_E_INVALID_METHOD
    with pytest.raises(WbemError) as info:
        env.svc.exec_method("R_Calc", "Add", {"Z": 1})
    assert info.value.hresult == HResult.WBEM_E_INVALID_PARAMETER


# --- namespaces, qualifiers ------------------------------------------------------------------


def test_open_namespace(env: Env) -> None:
    root = openwmi.connect(env.url, namespace="root")
    try:
        child = root.open_namespace("cimv2")
        assert child.namespace == "root/cimv2"
        assert names(child.create_instance_enum("R_Base")) == ["a", "b", "s"]
        with pytest.raises(WbemError) as info:
            root.open_namespace("nope")
        assert info.value.hresult == HResult.WBEM_E_INVALID_NAMESPACE
    finally:
        root.close()
    assert "root/cimv2" in env.svc.manager.list_namespaces()


def test_unknown_namespace_at_connect(env: Env) -> None:
    with pytest.raises(WbemError) as info:
        openwmi.connect(env.url, namespace="root/nope")
    assert info.value.hresult == HResult.WBEM_E_INVALID_NAMESPACE


def test_qualifier_declarations(env: Env) -> None:
    mgr = env.svc.manager
    key = mgr.get_qualifier(NS, "Key")
    assert key.type is CIMType.BOOLEAN
    assert "Key" in {d.name for d in mgr.list_qualifiers(NS)}


# --- embedded only ---------------------------------------------------------------------------


def test_embedded_only_features_say_so(env: Env) -> None:
    svc = env.svc
    calls: list[Callable[[], object]] = [
        lambda: svc.register_provider("R_Base", object()),
        lambda: svc.compile_mof("class X {};"),
        lambda: svc.explain("SELECT * FROM R_Base"),
        # event calls work remotely (a listener of the client's own): see
        # test_remote_events.py
    ]
    for call in calls:
        with pytest.raises(WbemError) as info:
            call()
        assert info.value.hresult == HResult.WBEM_E_NOT_SUPPORTED
        assert "embedded" in info.value.message
