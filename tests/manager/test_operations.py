"""Synchronous IWbemServices operations of the embedded object manager (issue 2).

Each test names the spec section it checks (spec = shared/spec/wmi-semantics.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import openwmi
from openwmi import (
    WBEM_FLAG_CREATE_ONLY,
    WBEM_FLAG_DIRECT_READ,
    WBEM_FLAG_SEND_STATUS,
    WBEM_FLAG_SHALLOW,
    WBEM_FLAG_UPDATE_FORCE_MODE,
    WBEM_FLAG_UPDATE_ONLY,
    WBEM_FLAG_UPDATE_SAFE_MODE,
    CIMClass,
    CIMInstance,
    CIMProperty,
    CIMType,
    HResult,
    NocaseDict,
    ObjectPath,
    Qualifier,
    WbemError,
)
from openwmi.model import qualifier_dict

KEY = Qualifier("Key", True, CIMType.BOOLEAN)


def prop(
    name: str, t: CIMType, *quals: Qualifier, array: bool = False, **kw: Any
) -> CIMProperty:
    return CIMProperty(name, t, array, qualifiers=qualifier_dict(quals), **kw)


def klass(
    name: str, superclass: str | None, *props: CIMProperty, **quals: Any
) -> CIMClass:
    return CIMClass(
        name,
        superclass,
        NocaseDict((p.name, p) for p in props),
        qualifiers=qualifier_dict(Qualifier(k, v) for k, v in quals.items()),
    )


@pytest.fixture
def schema(svc: openwmi.Services) -> openwmi.Services:
    """Test_Base (abstract) ← Test_Item ← Test_Special; Test_Link association;
    Test_Single singleton."""
    svc.put_class(
        klass(
            "Test_Base",
            None,
            prop("Name", CIMType.STRING, KEY),
            prop("Caption", CIMType.STRING),
            Abstract=True,
        )
    )
    svc.put_class(
        klass(
            "Test_Item",
            "Test_Base",
            prop("Count", CIMType.UINT8),
            prop("Size", CIMType.SINT64),
            prop("Ratio", CIMType.REAL64),
            prop("Flag", CIMType.BOOLEAN),
            prop("When", CIMType.DATETIME),
            prop("Tags", CIMType.STRING, array=True),
        )
    )
    svc.put_class(klass("Test_Special", "Test_Item", prop("Extra", CIMType.UINT32)))
    svc.put_class(
        klass(
            "Test_Link",
            None,
            prop("A", CIMType.REFERENCE, KEY, reference_class="Test_Item"),
            prop("B", CIMType.REFERENCE, KEY, reference_class="Test_Item"),
            Association=True,
        )
    )
    svc.put_class(
        klass("Test_Single", None, prop("Value", CIMType.UINT32), Singleton=True)
    )
    return svc


def code(exc: pytest.ExceptionInfo[WbemError]) -> str:
    return exc.value.name


# --- GetObject (spec §4.2 opnum 6) -------------------------------------------------------
def test_get_object_null_and_empty_path_give_empty_class(svc: openwmi.Services) -> None:
    """spec §4.2 GetObject: [OBS] GetObject(NULL) and GetObject("") return an empty
    class object."""
    for path in (None, "", "   "):
        obj = svc.get_object(path)
        assert isinstance(obj, CIMClass)
        assert obj.name == ""
        assert len(obj.properties) == 0


def test_get_class_returns_resolved_copy(schema: openwmi.Services) -> None:
    """spec §7.6: a class carries its derivation; inherited properties are propagated."""
    cls = schema.get_object("Test_Special")
    assert cls.derivation == ("Test_Item", "Test_Base")
    assert cls["__DYNASTY"] == "Test_Base"
    assert cls.properties["name"].propagated
    assert not cls.properties["extra"].propagated
    cls.properties["Extra"].default = 99  # the caller's copy, not the repository's
    assert schema.get_object("Test_Special").properties["Extra"].default is None


def test_get_instance_by_key_case_insensitive(schema: openwmi.Services) -> None:
    """spec §7.1: string comparison is case-insensitive; class names too (§1.4)."""
    schema.put_instance(schema.spawn_instance("Test_Item", Name="Alpha", Count=3))
    inst = schema.get_object('test_item.name="ALPHA"')
    assert isinstance(inst, CIMInstance)
    assert inst.Name == "Alpha"
    assert inst.count == 3
    assert inst["__GENUS"] == 2
    assert inst["__RELPATH"] == 'Test_Item.Name="Alpha"'
    assert inst["__PATH"].endswith(r'\root\cimv2:Test_Item.Name="Alpha"')


def test_single_unnamed_key_and_singleton_paths(schema: openwmi.Services) -> None:
    """spec §7.5: ``Class="v"`` for a one-key class; ``Class=@`` names the singleton."""
    schema.put_instance(schema.spawn_instance("Test_Item", Name="k"))
    assert schema.get_object('Test_Item="k"').Name == "k"
    schema.put_instance(schema.spawn_instance("Test_Single", Value=7))
    assert schema.get_object("Test_Single=@").Value == 7


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("Nope", "WBEM_E_NOT_FOUND", id="unknown-class"),
        pytest.param(
            'Nope.Name="x"', "WBEM_E_INVALID_CLASS", id="unknown-class-instance"
        ),
        pytest.param(
            'Test_Item.Name="missing"', "WBEM_E_NOT_FOUND", id="unknown-instance"
        ),
        pytest.param(
            'Test_Item.Bogus="x"', "WBEM_E_INVALID_OBJECT_PATH", id="not-a-key"
        ),
        pytest.param("Test_Item=@", "WBEM_E_INVALID_OBJECT_PATH", id="not-singleton"),
        pytest.param(
            'Test_Item.Name="x', "WBEM_E_INVALID_OBJECT_PATH", id="unterminated"
        ),
        pytest.param("Test_Item.", "WBEM_E_INVALID_OBJECT_PATH", id="dangling-dot"),
        pytest.param(
            'Test_Link.A="Test_Item.Name=\\"a\\""',
            "WBEM_E_INVALID_OBJECT_PATH",
            id="missing-key",
        ),
        pytest.param(
            'root/nowhere:Test_Item.Name="x"',
            "WBEM_E_INVALID_NAMESPACE",
            id="unknown-namespace",
        ),
    ],
)
def test_get_object_errors(schema: openwmi.Services, path: str, expected: str) -> None:
    """spec §4.2 GetObject, §9.2: each bad path gets its own code and a message."""
    with pytest.raises(WbemError) as exc:
        schema.get_object(path)
    assert code(exc) == expected
    assert exc.value.message


# --- PutInstance (spec §4.2 opnum 14) ----------------------------------------------------
def test_put_instance_returns_relpath_and_roundtrips_every_type(
    schema: openwmi.Services,
) -> None:
    """spec §3.2: PutInstance's result string is the object path of the instance."""
    import datetime as dt

    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    inst = schema.spawn_instance(
        "Test_Item",
        Name="a",
        Caption="c",
        Count=255,
        Size=-(2**63),
        Ratio=1.5,
        Flag=True,
        When=when,
        Tags=["x", None, "y"],
    )
    assert schema.put_instance(inst) == 'Test_Item.Name="a"'
    got = schema.get_object('Test_Item.Name="a"')
    assert got == inst
    assert got.When.to_python() == when
    assert got.Tags == ["x", None, "y"]
    assert isinstance(got.Ratio, float)


@pytest.mark.parametrize(
    ("classname", "values", "expected"),
    [
        pytest.param(
            "Test_Item", {"Count": 256}, "WBEM_E_TYPE_MISMATCH", id="uint8-range"
        ),
        pytest.param(
            "Test_Item", {"Count": "1"}, "WBEM_E_TYPE_MISMATCH", id="uint8-str"
        ),
        pytest.param("Test_Item", {"Flag": 1}, "WBEM_E_TYPE_MISMATCH", id="bool-int"),
        pytest.param(
            "Test_Item", {"Tags": "x"}, "WBEM_E_TYPE_MISMATCH", id="array-scalar"
        ),
        pytest.param(
            "Test_Item", {"When": "yesterday"}, "WBEM_E_TYPE_MISMATCH", id="datetime"
        ),
        pytest.param("Test_Item", {"Nope": 1}, "WBEM_E_NOT_FOUND", id="undeclared"),
    ],
)
def test_spawn_rejects_bad_values(
    schema: openwmi.Services, classname: str, values: dict[str, Any], expected: str
) -> None:
    """Issue 2 bad input: values are checked against the class as they are set."""
    with pytest.raises(WbemError) as exc:
        schema.spawn_instance(classname, Name="k", **values)
    assert code(exc) == expected
    assert next(iter(values)).lower() in exc.value.message.lower()


def _loose(classname: str, **values: Any) -> CIMInstance:
    return CIMInstance(classname, values)


@pytest.mark.parametrize(
    ("inst", "expected"),
    [
        pytest.param(
            _loose("Test_Item", Name="a", Bogus=1),
            "WBEM_E_INVALID_PROPERTY",
            id="undeclared-property",
        ),
        pytest.param(
            _loose("Test_Item", Name="a", Count=-1),
            "WBEM_E_TYPE_MISMATCH",
            id="wrong-type",
        ),
        pytest.param(_loose("Test_Item", Count=1), "WBEM_E_NO_KEY", id="no-key"),
        pytest.param(
            _loose("Test_Link", A='Test_Item.Name="a"'),
            "WBEM_E_ILLEGAL_NULL",
            id="one-key-null",
        ),
        pytest.param(
            _loose("Test_Base", Name="a"), "WBEM_E_INVALID_OPERATION", id="abstract"
        ),
        pytest.param(
            _loose("Nope", Name="a"), "WBEM_E_INVALID_CLASS", id="unknown-class"
        ),
        pytest.param(
            _loose("__NAMESPACE", Name="a/b"),
            "WBEM_E_INVALID_PARAMETER",
            id="namespace-name",
        ),
    ],
)
def test_put_instance_errors_leave_repository_unchanged(
    schema: openwmi.Services, inst: CIMInstance, expected: str
) -> None:
    """Issue 2 bad input: the right code, and nothing written after a failed put."""
    before = [i.path for i in schema.create_instance_enum("Test_Base")]
    with pytest.raises(WbemError) as exc:
        schema.put_instance(inst)
    assert code(exc) == expected
    assert [i.path for i in schema.create_instance_enum("Test_Base")] == before


def test_put_instance_flags(schema: openwmi.Services) -> None:
    """spec §4.1: CREATE_ONLY → WBEM_E_ALREADY_EXISTS if present; UPDATE_ONLY →
    WBEM_E_NOT_FOUND if absent; CREATE_OR_UPDATE replaces the whole instance."""
    with pytest.raises(WbemError) as exc:
        schema.put_instance(
            schema.spawn_instance("Test_Item", Name="a"), WBEM_FLAG_UPDATE_ONLY
        )
    assert code(exc) == "WBEM_E_NOT_FOUND"
    schema.put_instance(
        schema.spawn_instance("Test_Item", Name="a", Count=1), WBEM_FLAG_CREATE_ONLY
    )
    with pytest.raises(WbemError) as exc:
        schema.put_instance(
            schema.spawn_instance("Test_Item", Name="A"), WBEM_FLAG_CREATE_ONLY
        )
    assert code(exc) == "WBEM_E_ALREADY_EXISTS"
    schema.put_instance(
        schema.spawn_instance("Test_Item", Name="a", Size=5), WBEM_FLAG_UPDATE_ONLY
    )
    got = schema.get_object('Test_Item.Name="a"')
    assert got.Size == 5
    assert got.Count is None  # PutInstance replaces; unset properties become NULL


def test_same_key_in_subclass_is_one_object(schema: openwmi.Services) -> None:
    """A path names one object in a class hierarchy: the key cannot be reused by a
    subclass instance."""
    schema.put_instance(schema.spawn_instance("Test_Item", Name="dup"))
    with pytest.raises(WbemError) as exc:
        schema.put_instance(schema.spawn_instance("Test_Special", Name="dup"))
    assert code(exc) == "WBEM_E_ALREADY_EXISTS"


# --- flags (spec §4.1 flag validation rule) --------------------------------------------------
@pytest.mark.parametrize(
    ("call", "flags"),
    [
        pytest.param(
            lambda s, f: s.get_object("Test_Item", f),
            WBEM_FLAG_SHALLOW,
            id="get-shallow",
        ),
        pytest.param(
            lambda s, f: s.get_object("Test_Item", f),
            WBEM_FLAG_SEND_STATUS,
            id="get-send-status-sync",
        ),
        pytest.param(
            lambda s, f: s.put_instance(s.spawn_instance("Test_Item", Name="z"), f),
            WBEM_FLAG_SHALLOW | WBEM_FLAG_CREATE_ONLY | WBEM_FLAG_UPDATE_ONLY,
            id="put-instance-create-and-update",
        ),
        pytest.param(
            lambda s, f: s.put_instance(s.spawn_instance("Test_Item", Name="z"), f),
            0x1000,
            id="put-instance-reserved",
        ),
        pytest.param(
            lambda s, f: s.delete_instance('Test_Item.Name="z"', f),
            WBEM_FLAG_SHALLOW,
            id="delete-instance-shallow",
        ),
        pytest.param(
            lambda s, f: s.create_instance_enum("Test_Item", f),
            0x100000,
            id="enum-strong-validation",
        ),
        pytest.param(
            lambda s, f: s.create_class_enum(None, f),
            WBEM_FLAG_DIRECT_READ,
            id="class-enum-direct-read",
        ),
        pytest.param(
            lambda s, f: s.put_class(klass("Test_Z", None), f),
            WBEM_FLAG_UPDATE_SAFE_MODE | WBEM_FLAG_UPDATE_FORCE_MODE,
            id="class-safe-force",
        ),
        pytest.param(
            lambda s, f: s.delete_class("Test_Item", f),
            WBEM_FLAG_SHALLOW,
            id="delete-class-shallow",
        ),
        pytest.param(
            lambda s, f: s.open_namespace("x", f), WBEM_FLAG_SHALLOW, id="open-ns"
        ),
        pytest.param(lambda s, f: s.get_object("Test_Item", f), -1, id="negative"),
    ],
)
def test_disallowed_flags(schema: openwmi.Services, call: Any, flags: int) -> None:
    """spec §4.1: a flag a method does not allow → WBEM_E_INVALID_PARAMETER, no effect."""
    with pytest.raises(WbemError) as exc:
        call(schema, flags)
    assert code(exc) == "WBEM_E_INVALID_PARAMETER"
    assert schema.get_object("Test_Item").name == "Test_Item"


# --- DeleteInstance / CreateInstanceEnum -------------------------------------------------------
def test_delete_instance(schema: openwmi.Services) -> None:
    """spec §1.3: DeleteInstance MUST fail if the path does not exist."""
    schema.put_instance(schema.spawn_instance("Test_Item", Name="a"))
    schema.delete_instance('Test_Item.Name="A"')
    with pytest.raises(WbemError) as exc:
        schema.delete_instance('Test_Item.Name="a"')
    assert code(exc) == "WBEM_E_NOT_FOUND"
    with pytest.raises(WbemError) as exc:
        schema.delete_instance("Test_Item")
    assert code(exc) == "WBEM_E_INVALID_OBJECT_PATH"


def test_instance_enum_deep_shallow(schema: openwmi.Services) -> None:
    """spec §4.1: DEEP = class plus subclasses (each with its own properties);
    SHALLOW/DIRECT_READ = this class only; an unknown class → WBEM_E_INVALID_CLASS."""
    schema.put_instance(schema.spawn_instance("Test_Item", Name="i"))
    schema.put_instance(schema.spawn_instance("Test_Special", Name="s", Extra=9))
    deep = {i.Name: i for i in schema.create_instance_enum("Test_Item")}
    assert set(deep) == {"i", "s"}
    assert deep["s"].classname == "Test_Special"
    assert deep["s"].Extra == 9
    assert {i.Name for i in schema.create_instance_enum("Test_Base")} == {"i", "s"}
    for flags in (WBEM_FLAG_SHALLOW, WBEM_FLAG_DIRECT_READ):
        assert [i.Name for i in schema.create_instance_enum("Test_Item", flags)] == [
            "i"
        ]
    assert list(schema.create_instance_enum("Test_Single")) == []
    with pytest.raises(WbemError) as exc:
        schema.create_instance_enum("Nope")
    assert code(exc) == "WBEM_E_INVALID_CLASS"


# --- classes ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "flags", "expected"),
    [
        pytest.param(
            klass("_Hidden", None),
            0,
            "WBEM_E_INVALID_OPERATION",
            id="leading-underscore",
        ),
        pytest.param(
            klass("Trailing_", None),
            0,
            "WBEM_E_INVALID_OBJECT",
            id="trailing-underscore",
        ),
        pytest.param(
            klass("Test_Orphan", "Nope"), 0, "WBEM_E_NOT_FOUND", id="no-superclass"
        ),
        pytest.param(
            klass("Test_Item", "Test_Base"),
            WBEM_FLAG_CREATE_ONLY,
            "WBEM_E_ALREADY_EXISTS",
            id="create-only",
        ),
        pytest.param(
            klass("Test_New", None),
            WBEM_FLAG_UPDATE_ONLY,
            "WBEM_E_NOT_FOUND",
            id="update-only",
        ),
        pytest.param(
            klass("Test_Bad", "Test_Base", prop("Name", CIMType.UINT32)),
            0,
            "WBEM_E_TYPE_MISMATCH",
            id="override-type",
        ),
        pytest.param(
            klass("Test_Item", None),
            0,
            "WBEM_E_INVALID_SUPERCLASS",
            id="change-superclass",
        ),
    ],
)
def test_put_class_errors(
    schema: openwmi.Services, cls: CIMClass, flags: int, expected: str
) -> None:
    """spec §1.3 PutClassAsync validation and §4.1 create/update flags."""
    before = sorted(c.name for c in schema.create_class_enum())
    with pytest.raises(WbemError) as exc:
        schema.put_class(cls, flags)
    assert code(exc) == expected
    assert sorted(c.name for c in schema.create_class_enum()) == before


def test_class_update_rules(schema: openwmi.Services) -> None:
    """spec §4.1 UPDATE_SAFE_MODE / UPDATE_FORCE_MODE: a class with instances keeps
    them only when the change is compatible; with children, safe mode re-derives them."""
    schema.put_instance(schema.spawn_instance("Test_Special", Name="s", Extra=1))
    changed = schema.get_object("Test_Item")
    changed.properties["NewProp"] = CIMProperty("NewProp", CIMType.STRING)
    with pytest.raises(WbemError) as exc:
        schema.put_class(changed)
    assert code(exc) == "WBEM_E_CLASS_HAS_CHILDREN"
    schema.put_class(changed, WBEM_FLAG_UPDATE_SAFE_MODE)
    special = schema.get_object("Test_Special")
    assert "NewProp" in special.properties  # subclasses re-derived
    assert schema.get_object('Test_Special.Name="s"').Extra == 1
    # removing a property from a class with instances needs FORCE mode
    leaf = schema.get_object("Test_Special")
    del leaf.properties["Extra"]
    with pytest.raises(WbemError) as exc:
        schema.put_class(leaf, WBEM_FLAG_UPDATE_SAFE_MODE)
    assert code(exc) == "WBEM_E_CLASS_HAS_INSTANCES"
    schema.put_class(leaf, WBEM_FLAG_UPDATE_FORCE_MODE)
    assert "Extra" not in schema.get_object("Test_Special").properties


def test_delete_class_removes_subclasses_and_instances(
    schema: openwmi.Services,
) -> None:
    """spec §4.2 DeleteClass: deletes instances and subclasses recursively."""
    schema.put_instance(schema.spawn_instance("Test_Special", Name="s"))
    schema.delete_class("test_item")
    for name in ("Test_Item", "Test_Special"):
        with pytest.raises(WbemError) as exc:
            schema.get_object(name)
        assert code(exc) == "WBEM_E_NOT_FOUND"
    assert list(schema.create_instance_enum("Test_Base")) == []
    with pytest.raises(WbemError) as exc:
        schema.delete_class("Test_Item")
    assert code(exc) == "WBEM_E_NOT_FOUND"
    with pytest.raises(WbemError) as exc:
        schema.delete_class("__NAMESPACE")
    assert code(exc) == "WBEM_E_INVALID_OPERATION"


def test_class_enum_deep_shallow(schema: openwmi.Services) -> None:
    """spec §4.1: class enum DEEP = all subclasses (not the class itself); SHALLOW =
    immediate; NULL/"" = every class in the namespace."""
    assert [c.name for c in schema.create_class_enum("Test_Base")] == [
        "Test_Item",
        "Test_Special",
    ]
    assert [
        c.name for c in schema.create_class_enum("Test_Base", WBEM_FLAG_SHALLOW)
    ] == ["Test_Item"]
    every = {c.name for c in schema.create_class_enum("")}
    assert {
        "Test_Base",
        "Test_Special",
        "__NAMESPACE",
        "__InstanceCreationEvent",
    } <= every
    top = {c.name for c in schema.create_class_enum(None, WBEM_FLAG_SHALLOW)}
    assert "Test_Base" in top
    assert "Test_Item" not in top
    with pytest.raises(WbemError) as exc:
        list(schema.create_class_enum("Nope"))
    assert code(exc) == "WBEM_E_INVALID_CLASS"


# --- namespaces ---------------------------------------------------------------------------
def test_namespaces_via_namespace_instances(svc: openwmi.Services) -> None:
    """spec §4.2 PutInstance: a __NAMESPACE instance creates a namespace;
    OpenNamespace opens children only; DeleteInstance of it removes it."""
    svc.put_instance(svc.spawn_instance("__NAMESPACE", Name="test"))
    child = svc.open_namespace("test")
    assert child.namespace == "root/cimv2/test"
    child.put_class(klass("Test_C", None, prop("K", CIMType.STRING, KEY)))
    assert [i.Name for i in svc.create_instance_enum("__NAMESPACE")] == ["test"]
    with pytest.raises(WbemError) as exc:
        svc.open_namespace("missing")
    assert code(exc) == "WBEM_E_INVALID_NAMESPACE"
    with pytest.raises(WbemError) as exc:
        svc.put_instance(
            svc.spawn_instance("__NAMESPACE", Name="test"), WBEM_FLAG_CREATE_ONLY
        )
    assert code(exc) == "WBEM_E_ALREADY_EXISTS"
    svc.delete_instance('__NAMESPACE.Name="test"')
    with pytest.raises(WbemError) as exc:
        svc.open_namespace("test")
    assert code(exc) == "WBEM_E_INVALID_NAMESPACE"
    with pytest.raises(WbemError) as exc:
        child.get_object("Test_C")
    assert code(exc) == "WBEM_E_INVALID_NAMESPACE"


@pytest.mark.parametrize(
    "namespace", ["root/nowhere", "ROOT//CIMV2", "", "root\\\\cimv2"], ids=repr
)
def test_connect_to_bad_namespace(namespace: str, tmp_path: Path) -> None:
    """spec §7.5: unknown or doubled-separator namespaces → WBEM_E_INVALID_NAMESPACE
    (a file repository is never given namespaces it did not have)."""
    with pytest.raises(WbemError) as exc:
        openwmi.connect(
            repository=tmp_path / "r.sqlite", namespace=namespace, providers=False
        )
    assert exc.value.hresult == HResult.WBEM_E_INVALID_NAMESPACE


def test_scratch_repository_creates_its_namespace() -> None:
    """Issue 2 contract: ``connect(repository=":memory:", namespace="root/test")``."""
    with openwmi.connect(
        repository=":memory:", namespace="root/test", providers=False
    ) as svc:
        assert svc.namespace == "root/test"
        svc.compile_mof("class T_In_Test { [Key] string K; };")
        assert svc.get_object("T_In_Test").name == "T_In_Test"


def test_system_namespaces_exist(svc: openwmi.Services) -> None:
    """Issue 2: root, root/cimv2 and an interop namespace exist on first start."""
    names = svc.manager.list_namespaces()
    assert {"root", "root/cimv2", "root/interop"} <= set(names)


# --- associations -----------------------------------------------------------------------
def test_associators_and_references(schema: openwmi.Services) -> None:
    """spec §7.2: ASSOCIATORS OF returns each endpoint once per association;
    REFERENCES OF returns the association instances; role filters apply."""
    for n in ("a", "b", "c"):
        schema.put_instance(schema.spawn_instance("Test_Item", Name=n))
    schema.put_instance(
        schema.spawn_instance(
            "Test_Link", A='Test_Item.Name="a"', B='Test_Item.Name="b"'
        )
    )
    schema.put_instance(
        schema.spawn_instance(
            "Test_Link", A='Test_Item.Name="c"', B='Test_Item.Name="a"'
        )
    )
    assert sorted(i.Name for i in schema.associators('Test_Item.Name="a"')) == [
        "b",
        "c",
    ]
    assert [i.Name for i in schema.associators('Test_Item.Name="a"', role="A")] == ["b"]
    assert [
        i.Name for i in schema.associators('Test_Item.Name="a"', result_role="A")
    ] == ["c"]
    refs = list(schema.references('Test_Item.Name="a"'))
    assert len(refs) == 2
    assert all(r.classname == "Test_Link" for r in refs)
    assert len(list(schema.references('Test_Item.Name="b"', role="B"))) == 1
    assert list(schema.references('Test_Item.Name="b"', role="A")) == []
    assert (
        list(schema.associators('Test_Item.Name="a"', result_class="Test_Special"))
        == []
    )


# --- persistence -----------------------------------------------------------------------------
def test_file_repository_persists_and_is_atomic(tmp_path: Path) -> None:
    """Issue 2: a file repository survives a reopen; a failed write leaves nothing."""
    path = tmp_path / "repo.sqlite"
    with openwmi.connect(repository=path) as svc:
        svc.put_class(
            klass(
                "Test_P", None, prop("K", CIMType.STRING, KEY), prop("V", CIMType.UINT8)
            )
        )
        svc.put_instance(svc.spawn_instance("Test_P", K="x", V=1))
        with pytest.raises(WbemError):
            svc.put_instance(CIMInstance("Test_P", {"K": "y", "V": 999}))
    with openwmi.connect(repository=path) as svc:
        assert [(i.K, i.V) for i in svc.create_instance_enum("Test_P")] == [("x", 1)]


def test_closed_connection_refuses_calls(svc: openwmi.Services) -> None:
    svc.close()
    with pytest.raises(WbemError) as exc:
        svc.get_object("__NAMESPACE")
    assert exc.value.hresult == HResult.WBEM_E_SHUTTING_DOWN


def test_object_path_of_instance(schema: openwmi.Services) -> None:
    inst = schema.spawn_instance(
        "Test_Link", A='Test_Item.Name="a"', B='Test_Item.Name="b"'
    )
    assert isinstance(inst.path, ObjectPath)
    assert inst.path.keys() == {
        "A": ObjectPath.parse('Test_Item.Name="a"'),
        "B": ObjectPath.parse('Test_Item.Name="b"'),
    }
    rel = schema.put_instance(inst)
    assert schema.get_object(rel) == inst
