"""MOF compilation into a dict-backed ``MofTarget``: what compiles (qualifier
declarations, classes, instances, aliases, pragmas) and what fails (the right
HRESULT, ``file:line:column`` and a caret under the token, the target unchanged).

The fake target lives here, not in a conftest: a second ``conftest`` module
would clash with ``tests/conftest.py`` under mypy.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from openwmi.errors import (
    HResult,
    InvalidClassError,
    InvalidParameterError,
    NotFoundError,
    TypeMismatchError,
    WbemError,
)
from openwmi.model import (
    CIMClass,
    CIMDateTime,
    CIMInstance,
    CIMType,
    NocaseDict,
    ObjectPath,
    QualifierDeclaration,
    resolve_class,
)
from openwmi.mof import (
    ClassItem,
    InstanceItem,
    MofItem,
    MofResult,
    QualifierDeclItem,
    compile_mof,
    compile_mof_files,
    standard_qualifiers_mof,
)

NS = "root/test"


def _key(ns: str) -> str:
    return ns.replace("\\", "/").strip("/").lower()


class FakeTarget:
    """Namespaces of qualifier declarations, local classes and instances."""

    def __init__(self) -> None:
        self.quals: dict[str, NocaseDict[QualifierDeclaration]] = {}
        self.classes: dict[str, NocaseDict[CIMClass]] = {}
        self.instances: dict[str, list[CIMInstance]] = {}
        self.namespaces: list[str] = []
        self.apply_calls: list[tuple[str, list[MofItem]]] = []
        self.fail_at: int | None = None  # apply_mof fails on this item index

    # --- MofTarget ---------------------------------------------------------------
    def get_qualifier_declaration(
        self, namespace: str, name: str
    ) -> QualifierDeclaration | None:
        return self.quals.get(_key(namespace), NocaseDict()).get(name)

    def list_qualifier_declarations(self, namespace: str) -> list[QualifierDeclaration]:
        return list(self.quals.get(_key(namespace), NocaseDict()).values())

    def get_class(self, namespace: str, name: str) -> CIMClass | None:
        local = self.classes.get(_key(namespace), NocaseDict()).get(name)
        if local is None:
            return None
        parent = None
        if local.superclass:
            parent = self.get_class(namespace, local.superclass)
            assert parent is not None
        return resolve_class(local, parent)

    def ensure_namespace(self, namespace: str) -> None:
        if _key(namespace) not in self.namespaces:
            self.namespaces.append(_key(namespace))

    def apply_mof(self, namespace: str, items: list[MofItem]) -> None:
        self.apply_calls.append((namespace, list(items)))
        saved = self.snapshot()
        try:
            for i, item in enumerate(items):
                if i == self.fail_at:
                    raise InvalidClassError("refused by the fake target", item=i)
                self._apply(item)
        except WbemError:
            self.quals, self.classes, self.instances = saved
            raise

    def _apply(self, item: MofItem) -> None:
        ns = _key(item.namespace)
        if isinstance(item, QualifierDeclItem):
            self.quals.setdefault(ns, NocaseDict())[item.decl.name] = item.decl
        elif isinstance(item, ClassItem):
            self.classes.setdefault(ns, NocaseDict())[item.cls.name] = item.cls
        else:
            assert isinstance(item, InstanceItem)
            self.instances.setdefault(ns, []).append(item.inst)

    # --- test helpers ----------------------------------------------------------------
    def snapshot(self) -> Any:
        return copy.deepcopy((self.quals, self.classes, self.instances))

    def cls(self, namespace: str, name: str) -> CIMClass:
        found = self.get_class(namespace, name)
        assert found is not None, name
        return found

    def qdecl(self, namespace: str, name: str) -> QualifierDeclaration:
        found = self.get_qualifier_declaration(namespace, name)
        assert found is not None, name
        return found

    def instances_of(self, namespace: str, classname: str) -> list[CIMInstance]:
        return [
            i
            for i in self.instances.get(_key(namespace), [])
            if i.classname.lower() == classname.lower()
        ]


@pytest.fixture
def target() -> FakeTarget:
    return FakeTarget()


QUALS = """
Qualifier Key : boolean = false, Scope(property, reference),
    Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any),
    Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier Abstract : boolean = false, Scope(class, association, indication),
    Flavor(EnableOverride, Restricted);
Qualifier Association : boolean = false, Scope(association),
    Flavor(DisableOverride, ToSubclass);
Qualifier Indication : boolean = false, Scope(class, indication),
    Flavor(DisableOverride, ToSubclass);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Static : boolean = false, Scope(property, method),
    Flavor(DisableOverride, ToSubclass);
Qualifier Override : string = null, Scope(property, reference, method),
    Flavor(EnableOverride, Restricted);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
Qualifier EmbeddedObject : boolean = false, Scope(property, method, parameter),
    Flavor(DisableOverride, ToSubclass);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter);
Qualifier Version : string = null, Scope(class, association, indication),
    Flavor(EnableOverride, Restricted, Translatable);
"""


def compile_(target: FakeTarget, text: str, **kw: Any) -> MofResult:
    return compile_mof(QUALS + text, target, namespace=NS, filename="t.mof", **kw)


# --- qualifier declarations ------------------------------------------------------


@pytest.mark.parametrize(
    ("mof", "name", "expected"),
    [
        pytest.param(
            "Qualifier Q1 : boolean = false, Scope(property);",
            "Q1",
            {"type": CIMType.BOOLEAN, "default": False, "scopes": {"property"}},
            id="boolean-property-scope",
        ),
        pytest.param(
            "Qualifier Q2 : string[], Scope(class, method), Flavor(Translatable);",
            "Q2",
            {"type": CIMType.STRING, "is_array": True, "translatable": True},
            id="array-translatable",
        ),
        pytest.param(
            "Qualifier Q3 : uint32 = 7, Scope(any), Flavor(DisableOverride, Restricted);",
            "Q3",
            {"default": 7, "overridable": False, "tosubclass": False},
            id="disableoverride-restricted",
        ),
        pytest.param(
            "Qualifier Q4 : sint32[], Scope(property, reference);",
            "Q4",
            {"type": CIMType.SINT32, "scopes": {"property", "reference"}},
            id="sint32-array-two-scopes",
        ),
        pytest.param(
            'Qualifier Q5 : string = "x", Scope(association, indication);',
            "Q5",
            {"default": "x", "overridable": True, "tosubclass": True},
            id="dsp0004-default-flavors",
        ),
    ],
)
def test_qualifier_declarations(
    target: FakeTarget, mof: str, name: str, expected: dict[str, Any]
) -> None:
    result = compile_mof(mof, target, namespace=NS)
    assert result.qualifiers == 1
    decl = target.qdecl(NS, name)
    for attr, value in expected.items():
        got = getattr(decl, attr)
        assert (set(got) if attr == "scopes" else got) == value, attr


# --- classes ----------------------------------------------------------------------


def test_class_with_keys_arrays_defaults(target: FakeTarget) -> None:
    compile_(
        target,
        """
        [Description("a thing"), Version("1.0")]
        class T_Thing {
            [Key, MaxLen(64)] string Name;
            uint8 Small = 7;
            real64 Ratio = 0.5;
            string Tags[] = {"a", "b"};
            uint16 Fixed[4];
            datetime When = "20240101120000.000000+000";
            char16 Grade = 'A';
            boolean On = true;
        };
        """,
    )
    cls = target.cls(NS, "t_thing")
    assert cls is not None
    assert cls.key_names == ["Name"]
    assert cls.properties["name"].qualifier("MaxLen") == 64
    assert cls.properties["Small"].default == 7
    assert cls.properties["Ratio"].default == 0.5
    assert cls.properties["Tags"].is_array
    assert cls.properties["Tags"].default == ["a", "b"]
    assert cls.properties["Fixed"].array_size == 4
    assert cls.properties["When"].default == CIMDateTime("20240101120000.000000+000")
    assert cls.properties["Grade"].default == "A"
    assert cls.properties["On"].default is True
    assert cls.qualifiers["Description"].value == "a thing"


def test_inheritance_and_override(target: FakeTarget) -> None:
    compile_(
        target,
        """
        [Abstract] class T_Base { [Key] string Id; string Caption = "base"; };
        class T_Child : T_Base {
            [Override("Caption")] string Caption = "child";
            uint32 Extra;
        };
        """,
    )
    items = target.apply_calls[0][1]
    child_item = [i for i in items if isinstance(i, ClassItem)][-1]
    assert set(child_item.cls.properties) == {"Caption", "Extra"}  # local only
    assert child_item.cls.superclass == "T_Base"
    child = target.cls(NS, "T_Child")
    assert child.derivation == ("T_Base",)
    assert child.key_names == ["Id"]
    assert child.properties["Caption"].default == "child"
    assert not child.is_abstract  # Abstract is Restricted


def test_references_association_and_embedded(target: FakeTarget) -> None:
    compile_(
        target,
        """
        class T_A { [Key] string Id; };
        class T_Holder {
            [Key] string Id;
            [EmbeddedInstance("T_A")] string Inner;
            [EmbeddedObject] string Anything;
        };
        [Association] class T_Link {
            [Key] T_A REF Left;
            [Key] T_A REF Right;
        };
        """,
    )
    link = target.cls(NS, "T_Link")
    assert link.is_association
    assert link.properties["Left"].type is CIMType.REFERENCE
    assert link.properties["Left"].reference_class == "T_A"
    holder = target.cls(NS, "T_Holder")
    inner = holder.properties["Inner"]
    assert inner.type is CIMType.INSTANCE
    assert inner.embedded_class == "T_A"
    assert inner.qualifier("EmbeddedInstance") == "T_A"
    assert holder.properties["Anything"].type is CIMType.OBJECT


def test_methods_with_in_out_parameters(target: FakeTarget) -> None:
    compile_(
        target,
        """
        class T_Svc {
            [Key] string Name;
            [Static] uint32 Create([In] string CommandLine,
                                   [In, Out] uint32 Flags,
                                   [Out] uint32 ProcessId,
                                   [In] string Args[]);
            uint32 Stop();
        };
        """,
    )
    cls = target.cls(NS, "T_Svc")
    create = cls.methods["create"]
    assert create.is_static
    assert create.return_type is CIMType.UINT32
    params = create.parameters
    assert list(params) == ["CommandLine", "Flags", "ProcessId", "Args"]
    assert params["CommandLine"].is_in
    assert not params["CommandLine"].is_out
    assert params["Flags"].is_in
    assert params["Flags"].is_out
    assert params["ProcessId"].is_out
    assert params["Args"].is_array
    assert len(cls.methods["Stop"].parameters) == 0


def test_indication_class(target: FakeTarget) -> None:
    compile_(
        target,
        """
        [Indication, Abstract] class T_Event { datetime Time; };
        class T_Alert : T_Event { string Message; };
        """,
    )
    alert = target.cls(NS, "T_Alert")
    assert alert.is_indication
    assert set(alert.properties) == {"Time", "Message"}


# --- instances and aliases -----------------------------------------------------------


def test_instances_with_aliases_and_references(target: FakeTarget) -> None:
    result = compile_(
        target,
        """
        class T_Node { [Key] string Name; uint32 Size; };
        [Association] class T_Edge { [Key] T_Node REF A; [Key] T_Node REF B; };
        instance of T_Node as $n1 { Name = "one"; Size = 1; };
        instance of T_Node as $n2 { Name = "two"; };
        instance of T_Edge { A = $n1; B = $n2; };
        instance of T_Edge { A = $n2; B = "T_Node.Name=\\"one\\""; };
        """,
    )
    assert (result.classes, result.instances) == (2, 4)
    nodes = target.instances_of(NS, "T_Node")
    assert nodes == [
        CIMInstance("T_Node", {"Name": "one", "Size": 1}),
        CIMInstance("T_Node", {"Name": "two"}),
    ]
    edges = target.instances_of(NS, "T_Edge")
    one = ObjectPath("T_Node", (("Name", "one"),))
    two = ObjectPath("T_Node", (("Name", "two"),))
    assert edges[0]["A"] == one
    assert edges[0]["B"] == two
    assert edges[1]["A"] == two
    assert edges[1]["B"] == one


def test_instance_values_of_every_type(target: FakeTarget) -> None:
    compile_(
        target,
        """
        class T_All {
            [Key] string K; boolean B; uint8 U8; sint8 S8; uint64 U64; sint64 S64;
            real32 R32; real64 R64; char16 C; datetime D; datetime I;
            string Arr[]; uint32 Nums[];
        };
        instance of T_All {
            K = "k"; B = false; U8 = 255; S8 = -128; U64 = 18446744073709551615;
            S64 = -9223372036854775808; R32 = 1.5; R64 = 2; C = '\\n';
            D = "20240229235959.999999-300"; I = "00000001020304.000005:000";
            Arr = {"x", NULL, "z"}; Nums = {};
        };
        """,
    )
    (inst,) = target.instances_of(NS, "T_All")
    assert inst["B"] is False
    assert inst["U8"] == 255
    assert type(inst["U8"]) is int
    assert inst["S8"] == -128
    assert inst["U64"] == 2**64 - 1
    assert inst["S64"] == -(2**63)
    assert inst["R32"] == 1.5
    assert type(inst["R32"]) is float
    assert inst["R64"] == 2.0
    assert type(inst["R64"]) is float
    assert inst["C"] == "\n"
    assert inst["D"] == CIMDateTime("20240229235959.999999-300")
    assert inst["I"].is_interval
    assert inst["Arr"] == ["x", None, "z"]
    assert inst["Nums"] == []


def test_embedded_instance_value(target: FakeTarget) -> None:
    compile_(
        target,
        """
        class T_Inner { string Text; };
        class T_Outer { [Key] string Id; [EmbeddedInstance("T_Inner")] string Inner; };
        instance of T_Outer {
            Id = "o";
            Inner = "instance of T_Inner { Text = \\"hi\\"; };";
        };
        """,
    )
    (outer,) = target.instances_of(NS, "T_Outer")
    assert outer["Inner"] == CIMInstance("T_Inner", {"Text": "hi"})


def test_items_in_source_order_applied_once(target: FakeTarget) -> None:
    compile_(
        target,
        """
        class T_X { [Key] string Id; };
        instance of T_X { Id = "1"; };
        Qualifier Late : boolean = false, Scope(class);
        """,
    )
    assert len(target.apply_calls) == 1
    ns, items = target.apply_calls[0]
    assert ns == NS
    kinds = [type(i) for i in items]
    assert kinds[-3:] == [ClassItem, InstanceItem, QualifierDeclItem]


def test_existing_classes_and_qualifiers_of_the_target_resolve(
    target: FakeTarget,
) -> None:
    compile_(target, "class T_Base { [Key] string Id; };")
    result = compile_mof(
        'class T_Sub : T_Base { [Description("d")] string More; };\n'
        'instance of T_Sub { Id = "s"; More = "m"; };',
        target,
        namespace=NS,
    )
    assert (result.qualifiers, result.classes, result.instances) == (0, 1, 1)
    assert target.cls(NS, "T_Sub").key_names == ["Id"]


def test_redefinition_is_create_or_update(target: FakeTarget) -> None:
    compile_(target, "class T_R { [Key] string Id; };")
    compile_mof("class T_R { [Key] string Id; uint8 New; };", target, namespace=NS)
    assert "New" in target.cls(NS, "T_R").properties


# --- pragmas -------------------------------------------------------------------------


def test_pragma_namespace(target: FakeTarget) -> None:
    result = compile_(
        target,
        """
        class T_Here { [Key] string Id; };
        #pragma namespace("root/other")
        class T_There { string Id; };
        instance of T_There { Id = "x"; };
        """,
    )
    assert result.namespaces == (NS, "root/other")
    assert target.namespaces == [NS, "root/other"]
    assert target.get_class("root/other", "T_There") is not None
    assert target.get_class(NS, "T_There") is None
    assert target.instances_of("root/other", "T_There")


@pytest.mark.parametrize(
    "spelling",
    [
        '"root/other"',
        '"root\\\\other"',
        '"\\\\\\\\.\\\\root\\\\other"',
        '"/root/other"',
    ],
    ids=["dmtf", "wmi-backslash", "wmi-local-server", "leading-slash"],
)
def test_pragma_namespace_spellings(target: FakeTarget, spelling: str) -> None:
    result = compile_mof(
        f"#pragma namespace({spelling})\nclass T_Ns {{ }};", target, namespace=NS
    )
    assert result.namespaces == ("root/other",)


def test_pragma_include(target: FakeTarget, tmp_path: Path) -> None:
    (tmp_path / "quals.mof").write_text(QUALS)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "base.mof").write_text("class T_Base { [Key] string Id; };\n")
    main = tmp_path / "main.mof"
    main.write_text(
        '#pragma include("quals.mof")\n'
        '#pragma include("sub/base.mof")\n'
        "class T_Sub : T_Base { };\n"
        'instance of T_Sub { Id = "x"; };\n'
    )
    result = compile_mof_files([main], target, namespace=NS)
    assert (result.classes, result.instances) == (2, 1)
    assert target.cls(NS, "T_Sub").derivation == ("T_Base",)


def test_include_found_on_search_path(target: FakeTarget, tmp_path: Path) -> None:
    lib = tmp_path / "lib" / "deep"
    lib.mkdir(parents=True)
    (lib / "base.mof").write_text("class T_Base { string Id; };\n")
    result = compile_mof(
        '#pragma include("base.mof")\nclass T_Sub : T_Base { };',
        target,
        namespace=NS,
        filename=str(tmp_path / "main.mof"),
        search_paths=[tmp_path / "lib"],
    )
    assert result.classes == 2


def test_superclass_found_on_search_path(target: FakeTarget, tmp_path: Path) -> None:
    (tmp_path / "T_Base.mof").write_text("class T_Base { string Id; };\n")
    result = compile_mof(
        "class T_Sub : T_Base { };", target, namespace=NS, search_paths=[tmp_path]
    )
    assert result.classes == 2


def test_utf16_file(target: FakeTarget, tmp_path: Path) -> None:
    path = tmp_path / "wmi.mof"
    path.write_bytes('class T_Uni { string Name = "naïve"; };'.encode("utf-16"))
    assert compile_mof_files([path], target, namespace=NS).classes == 1
    assert target.cls(NS, "T_Uni").properties["Name"].default == "naïve"


def test_several_files_share_aliases_and_apply_once(
    target: FakeTarget, tmp_path: Path
) -> None:
    a = tmp_path / "a.mof"
    a.write_text(
        QUALS + 'class T_N { [Key] string Id; };\ninstance of T_N as $x { Id = "1"; };'
    )
    b = tmp_path / "b.mof"
    b.write_text("class T_Ref { [Key] T_N REF To; };\ninstance of T_Ref { To = $x; };")
    result = compile_mof_files([a, b], target, namespace=NS)
    assert result.instances == 2
    assert len(target.apply_calls) == 1
    (ref,) = target.instances_of(NS, "T_Ref")
    assert ref["To"] == ObjectPath("T_N", (("Id", "1"),))


# --- standard qualifiers ----------------------------------------------------------------


def test_standard_qualifiers_are_declared_when_namespace_has_none(
    target: FakeTarget,
) -> None:
    result = compile_mof(
        '[Dynamic, Provider("p")] class T_W { [Key, Indexed] string Id; };',
        target,
        namespace=NS,
    )
    assert result.qualifiers > 50
    assert target.qdecl(NS, "Order").type is CIMType.SINT32


def test_standard_qualifiers_can_be_turned_off(target: FakeTarget) -> None:
    result = compile_mof(
        "class T_Plain { string Id; };", target, namespace=NS, standard_qualifiers=False
    )
    assert result.qualifiers == 0


def test_standard_qualifiers_mof_declares_the_expected_set(target: FakeTarget) -> None:
    compile_mof(standard_qualifiers_mof(), target, namespace=NS)
    names = {d.name.lower() for d in target.list_qualifier_declarations(NS)}
    for expected in [
        "abstract",
        "aggregate",
        "aggregation",
        "association",
        "description",
        "displayname",
        "embeddedinstance",
        "embeddedobject",
        "exception",
        "experimental",
        "in",
        "indication",
        "key",
        "mappingstrings",
        "max",
        "maxlen",
        "maxvalue",
        "min",
        "minlen",
        "minvalue",
        "modelcorrespondence",
        "out",
        "override",
        "propagated",
        "read",
        "required",
        "static",
        "terminal",
        "units",
        "valuemap",
        "values",
        "version",
        "write",
        "singleton",
        "deprecated",
        "arraytype",
        "bitmap",
        "bitvalues",
        "counter",
        "gauge",
        "ispunit",
        "composition",
        "octetstring",
        "punit",
        "weak",
        "implemented",
        "dynamic",
        "provider",
        "indexed",
        "order",
        "not_null",
        "privileges",
    ]:
        assert expected in names, expected
    key = target.qdecl(NS, "Key")
    assert (key.type, key.overridable, key.tosubclass) == (CIMType.BOOLEAN, False, True)
    assert key.scopes == frozenset({"property", "reference"})
    order = target.qdecl(NS, "Order")
    assert (order.type, order.is_array) == (CIMType.SINT32, True)
    values = target.qdecl(NS, "Values")
    assert values.translatable
    assert values.is_array


def test_nothing_is_printed(
    target: FakeTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    compile_(target, "class T_Q { [Key] string Id; };")
    with pytest.raises(Exception):  # noqa: B017, PT011  # any compile failure
        compile_mof("class {", target, namespace=NS)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


# ======================================================================
# errors

PRELUDE = """\
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter);
Qualifier Fixed : string = "a", Scope(class, property), Flavor(DisableOverride, ToSubclass);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
class E_Base { [Key] string Id; uint8 Small; string Label; };
"""
BASE_LINES = PRELUDE.count("\n")

# (id, body, HRESULT, line within body (1-based), column, caret text, reason fragment)
CASES = [
    (
        "missing-semicolon",
        "class E_A {\n  string x\n};",
        HResult.WBEM_E_INVALID_SYNTAX,
        3,
        1,
        "}",
        "syntax error: unexpected '}'",
    ),
    (
        "illegal-character",
        "class E_A { uint8 a; @ };",
        HResult.WBEM_E_INVALID_SYNTAX,
        1,
        22,
        "@",
        "illegal character",
    ),
    (
        "unexpected-eof",
        "class E_A {\n  uint8 a;\n",
        HResult.WBEM_E_INVALID_SYNTAX,
        2,
        11,
        None,
        "unexpected end of file",
    ),
    (
        "missing-keyword",
        "instance E_Base { };",
        HResult.WBEM_E_INVALID_SYNTAX,
        1,
        10,
        "E_Base",
        "syntax error: unexpected 'E_Base'",
    ),
    (
        "unknown-superclass",
        "class E_A : E_Nope {\n};",
        HResult.WBEM_E_INVALID_SUPERCLASS,
        1,
        13,
        "E_Nope",
        "superclass E_Nope of class E_A does not exist",
    ),
    (
        "unknown-qualifier",
        "class E_A {\n    [Bogus] string x;\n};",
        HResult.WBEM_E_INVALID_PARAMETER,
        2,
        6,
        "Bogus",
        "qualifier Bogus is not declared",
    ),
    (
        "qualifier-out-of-scope",
        "class E_A {\n  [In] string x;\n};",
        HResult.WBEM_E_INVALID_PARAMETER,
        2,
        4,
        "In",
        "may not be used on property E_A.x",
    ),
    (
        "qualifier-value-wrong-type",
        'class E_A {\n  [MaxLen("ten")] string x;\n};',
        HResult.WBEM_E_TYPE_MISMATCH,
        2,
        4,
        "MaxLen",
        "invalid value",
    ),
    (
        "boolean-qualifier-given-number",
        "class E_A { [Key(3)] string x; };",
        HResult.WBEM_E_TYPE_MISMATCH,
        1,
        14,
        "Key",
        "3 is not a valid boolean",
    ),
    (
        "array-given-to-scalar-qualifier",
        'class E_A { [Description{"a", "b"}] string x; };',
        HResult.WBEM_E_TYPE_MISMATCH,
        1,
        14,
        "Description",
        "expected a single string",
    ),
    (
        "default-out-of-range",
        "class E_A {\n  uint8 x = 300;\n};",
        HResult.WBEM_E_TYPE_MISMATCH,
        2,
        13,
        "300",
        "out of range",
    ),
    (
        "default-real-for-integer",
        "class E_A {\n  uint8 x = 1.5;\n};",
        HResult.WBEM_E_TYPE_MISMATCH,
        2,
        13,
        "1.5",
        "not a valid uint8",
    ),
    (
        "default-number-for-string",
        "class E_A {\n  string x = 3;\n};",
        HResult.WBEM_E_TYPE_MISMATCH,
        2,
        14,
        "3",
        "not a valid string",
    ),
    (
        "override-changes-type",
        "class E_A : E_Base {\n  uint16 Small;\n};",
        HResult.WBEM_E_TYPE_MISMATCH,
        2,
        10,
        "Small",
        "different type",
    ),
    (
        "disableoverride-changed",
        '[Fixed("a")] class E_F { };\n[Fixed("b")] class E_G : E_F { };',
        HResult.WBEM_E_OVERRIDE_NOT_ALLOWED,
        2,
        2,
        "Fixed",
        "DisableOverride",
    ),
    (
        "unknown-reference-class",
        "class E_A {\n  E_Nope REF r;\n};",
        HResult.WBEM_E_INVALID_CLASS,
        2,
        3,
        "E_Nope",
        "class E_Nope referenced in class E_A does not exist",
    ),
    (
        "unknown-embedded-instance-class",
        'class E_A {\n  [EmbeddedInstance("E_Nope")] string e;\n};',
        HResult.WBEM_E_INVALID_CLASS,
        2,
        4,
        "EmbeddedInstance",
        "E_Nope",
    ),
    (
        "instance-of-unknown-class",
        "instance of E_Nope {\n  Id = 1;\n};",
        HResult.WBEM_E_INVALID_CLASS,
        1,
        13,
        "E_Nope",
        "class E_Nope does not exist",
    ),
    (
        "undeclared-property",
        'instance of E_Base {\n  Id = "x";\n  Nope = 1;\n};',
        HResult.WBEM_E_INVALID_PROPERTY,
        3,
        3,
        "Nope",
        "property Nope is not declared in class E_Base",
    ),
    (
        "value-out-of-range",
        'instance of E_Base {\n  Id = "x";\n  Small = 256;\n};',
        HResult.WBEM_E_TYPE_MISMATCH,
        3,
        11,
        "256",
        "out of range",
    ),
    (
        "real-for-integer",
        'instance of E_Base { Id = "x"; Small = 2.5; };',
        HResult.WBEM_E_TYPE_MISMATCH,
        1,
        40,
        "2.5",
        "E_Base.Small: 2.5 is not a valid uint8",
    ),
    (
        "number-for-string",
        "instance of E_Base { Id = 12; };",
        HResult.WBEM_E_TYPE_MISMATCH,
        1,
        27,
        "12",
        "is not a valid string",
    ),
    (
        "string-for-integer",
        'instance of E_Base { Id = "x"; Small = "big"; };',
        HResult.WBEM_E_TYPE_MISMATCH,
        1,
        40,
        '"big"',
        "Small",
    ),
    (
        "array-for-scalar",
        'instance of E_Base { Id = "x"; Label = {"a"}; };',
        HResult.WBEM_E_TYPE_MISMATCH,
        1,
        40,
        '{"a"}',
        "Label",
    ),
    (
        "property-given-twice",
        'instance of E_Base {\n  Id = "x";\n  Id = "y";\n};',
        HResult.WBEM_E_INVALID_SYNTAX,
        3,
        3,
        "Id",
        "given more than once",
    ),
    (
        "undefined-alias",
        "class E_R { E_Base REF r; };\ninstance of E_R {\n  r = $nope;\n};",
        HResult.WBEM_E_INVALID_SYNTAX,
        3,
        7,
        "$nope",
        "alias $nope is not defined",
    ),
    (
        "bad-pragma-namespace",
        '#pragma namespace("//host/root")',
        HResult.WBEM_E_INVALID_NAMESPACE,
        1,
        19,
        '"//host/root"',
        "#pragma namespace",
    ),
    (
        "include-not-found",
        '\n#pragma include("nowhere.mof")',
        HResult.WBEM_E_NOT_FOUND,
        2,
        17,
        '"nowhere.mof"',
        "nowhere.mof",
    ),
]


@pytest.mark.parametrize(
    ("body", "hresult", "line", "column", "token", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_error_kind_and_position(
    target: FakeTarget,
    body: str,
    hresult: int,
    line: int,
    column: int,
    token: str | None,
    reason: str,
) -> None:
    before = target.snapshot()
    with pytest.raises(WbemError) as info:
        compile_mof(PRELUDE + body, target, namespace=NS, filename="bad.mof")
    err = info.value
    assert err.hresult == hresult, str(err)
    full_line = BASE_LINES + line
    assert err.details["file"] == "bad.mof"
    assert (err.details["line"], err.details["column"]) == (full_line, column), str(err)
    head, src, caret = err.message.split("\n")
    assert head.startswith(f"bad.mof:{full_line}:{column}: ")
    assert reason in head
    assert caret.index("^") == column - 1
    if token is not None:
        assert src[column - 1 :].startswith(token)
        assert caret.strip() == "^" * len(token)
    # nothing reached the target
    assert target.apply_calls == []
    assert target.snapshot() == before


def test_error_classes_are_the_specific_subclasses(target: FakeTarget) -> None:
    with pytest.raises(TypeMismatchError):
        compile_mof(
            PRELUDE + 'instance of E_Base { Small = "x"; };', target, namespace=NS
        )
    with pytest.raises(InvalidClassError):
        compile_mof(PRELUDE + 'instance of E_None { Id = "x"; };', target, namespace=NS)
    with pytest.raises(InvalidParameterError):
        compile_mof(PRELUDE + "[Nope] class E_Q { };", target, namespace=NS)


def test_target_unchanged_after_failure_late_in_the_file(target: FakeTarget) -> None:
    compile_mof(PRELUDE, target, namespace=NS)
    before = target.snapshot()
    calls = len(target.apply_calls)
    with pytest.raises(WbemError):
        compile_mof(
            "Qualifier New : string, Scope(any);\nclass E_New { };\n"
            'instance of E_Base { Id = "ok"; };\ninstance of E_Base { Id = 5; };',
            target,
            namespace=NS,
        )
    assert target.snapshot() == before
    assert len(target.apply_calls) == calls


def test_error_in_included_file_names_that_file(
    target: FakeTarget, tmp_path: Path
) -> None:
    (tmp_path / "inc.mof").write_text("class E_Inc {\n  uint8 a = 1.5;\n};\n")
    main = tmp_path / "main.mof"
    main.write_text('// main\n#pragma include("inc.mof")\n')
    with pytest.raises(TypeMismatchError) as info:
        compile_mof_files([main], target, namespace=NS)
    err = info.value
    assert err.details["file"].endswith("inc.mof")
    assert (err.details["line"], err.details["column"]) == (2, 13)
    assert target.apply_calls == []


def test_syntax_error_after_an_include_names_the_outer_file(
    target: FakeTarget, tmp_path: Path
) -> None:
    (tmp_path / "ok.mof").write_text("class E_Ok { };\n")
    main = tmp_path / "main.mof"
    main.write_text('#pragma include("ok.mof")\nclass E_Bad {\n')
    with pytest.raises(WbemError) as info:
        compile_mof_files([main], target, namespace=NS)
    assert info.value.details["file"] == str(main)
    assert info.value.hresult == HResult.WBEM_E_INVALID_SYNTAX


def test_include_cycle(target: FakeTarget, tmp_path: Path) -> None:
    a = tmp_path / "a.mof"
    a.write_text('#pragma include("a.mof")\n')
    with pytest.raises(InvalidParameterError, match="includes itself"):
        compile_mof_files([a], target, namespace=NS)


def test_missing_top_level_file(target: FakeTarget, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        compile_mof_files([tmp_path / "absent.mof"], target, namespace=NS)


def test_apply_failure_is_located_at_its_item(target: FakeTarget) -> None:
    target.fail_at = 1
    with pytest.raises(InvalidClassError) as info:
        compile_mof(
            "class E_One { };\n\n  class E_Two { };",
            target,
            namespace=NS,
            filename="x.mof",
        )
    err = info.value
    assert err.message.startswith("x.mof:3:3: refused by the fake target")
    assert target.snapshot() == (target.quals, {}, {})


def test_text_must_be_str(target: FakeTarget) -> None:
    with pytest.raises(InvalidParameterError):
        compile_mof(b"class X { };", target, namespace=NS)  # type: ignore[arg-type]


def test_bad_namespace_argument(target: FakeTarget) -> None:
    with pytest.raises(WbemError) as info:
        compile_mof("class X { };", target, namespace="")
    assert info.value.hresult == HResult.WBEM_E_INVALID_NAMESPACE


def test_target_read_errors_keep_their_code_and_gain_a_position(
    target: FakeTarget,
) -> None:
    class Broken(FakeTarget):
        def get_class(self, namespace: str, name: str) -> CIMClass | None:
            raise WbemError.of(HResult.WBEM_E_PROVIDER_FAILURE, "disk on fire")

    broken = Broken()
    with pytest.raises(WbemError) as info:
        compile_mof("class E_X : E_Y { };", broken, namespace=NS, filename="r.mof")
    assert info.value.hresult == HResult.WBEM_E_PROVIDER_FAILURE
    assert info.value.message.startswith("r.mof:1:1: disk on fire")
