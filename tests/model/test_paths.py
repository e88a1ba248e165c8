"""Tests for ObjectPath: WMI and DMTF object paths (spec §7.5, MS-WMI §2.2.2)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openwmi.errors import HResult, InvalidObjectPathError
from openwmi.model import ObjectPath, format_key_value

# --- parsing ------------------------------------------------------------------------

Keys = tuple[tuple[str, Any], ...]


@pytest.mark.parametrize(
    ("text", "classname", "keys", "namespace", "server", "singleton"),
    [
        pytest.param(
            r'\\host\root\cimv2:Win32_Process.Handle="42"',
            "Win32_Process",
            (("Handle", "42"),),
            "root/cimv2",
            "host",
            False,
            id="wmi-full",
        ),
        pytest.param(
            r'root\cimv2:Win32_Process.Handle="42"',
            "Win32_Process",
            (("Handle", "42"),),
            "root/cimv2",
            None,
            False,
            id="wmi-namespace",
        ),
        pytest.param(
            'root/cimv2:C.K="v"',
            "C",
            (("K", "v"),),
            "root/cimv2",
            None,
            False,
            id="slash-separator",
        ),
        pytest.param(
            r'\\host/root\cimv2:C.K="v"',
            "C",
            (("K", "v"),),
            "root/cimv2",
            "host",
            False,
            id="mixed-separators",
        ),
        pytest.param(
            '//srv/root/cimv2:C.K="v"',
            "C",
            (("K", "v"),),
            "root/cimv2",
            "srv",
            False,
            id="dmtf-server",
        ),
        pytest.param(
            '/root/cimv2:C.K="v"',
            "C",
            (("K", "v"),),
            "root/cimv2",
            None,
            False,
            id="dmtf-no-server",
        ),
        pytest.param("C", "C", (), None, None, False, id="class-path"),
        pytest.param(
            r"root\cimv2:Win32_Process",
            "Win32_Process",
            (),
            "root/cimv2",
            None,
            False,
            id="class-path-namespace",
        ),
        pytest.param("C=@", "C", (), None, None, True, id="singleton"),
        pytest.param(
            r"root\default:__SystemSecurity=@",
            "__SystemSecurity",
            (),
            "root/default",
            None,
            True,
            id="singleton-namespace",
        ),
        pytest.param('C="v"', "C", (("", "v"),), None, None, False, id="unnamed-key"),
        pytest.param("C=7", "C", (("", 7),), None, None, False, id="unnamed-int-key"),
        pytest.param("C.K='v'", "C", (("K", "v"),), None, None, False, id="single"),
        pytest.param(
            "C.K='say \"hi\"'",
            "C",
            (("K", 'say "hi"'),),
            None,
            None,
            False,
            id="double-inside-single",
        ),
        pytest.param(
            r'C.K="a\"b"',
            "C",
            (("K", 'a"b'),),
            None,
            None,
            False,
            id="escaped-quote",
        ),
        pytest.param(
            r'C.K="C:\\Windows\\x"',
            "C",
            (("K", "C:\\Windows\\x"),),
            None,
            None,
            False,
            id="escaped-backslashes",
        ),
        pytest.param(
            r"C.K='it\'s'",
            "C",
            (("K", "it's"),),
            None,
            None,
            False,
            id="escaped-single-quote",
        ),
        pytest.param(
            'C.K="a:b.c=d,e"',
            "C",
            (("K", "a:b.c=d,e"),),
            None,
            None,
            False,
            id="separators-inside-quotes",
        ),
        pytest.param('C.K=""', "C", (("K", ""),), None, None, False, id="empty-str"),
        pytest.param("C.K=42", "C", (("K", 42),), None, None, False, id="int"),
        pytest.param("C.K=-42", "C", (("K", -42),), None, None, False, id="neg-int"),
        pytest.param("C.K=0x1F", "C", (("K", 31),), None, None, False, id="hex-int"),
        pytest.param("C.K=1.5", "C", (("K", 1.5),), None, None, False, id="real"),
        pytest.param("C.K=TRUE", "C", (("K", True),), None, None, False, id="true"),
        pytest.param("C.K=false", "C", (("K", False),), None, None, False, id="false"),
        pytest.param(
            'C.A="x",B=2,C=TRUE',
            "C",
            (("A", "x"), ("B", 2), ("C", True)),
            None,
            None,
            False,
            id="several-keys-in-order",
        ),
        pytest.param(
            '  C.K="v"  ', "C", (("K", "v"),), None, None, False, id="outer-space"
        ),
    ],
)
def test_parse(
    text: str,
    classname: str,
    keys: Keys,
    namespace: str | None,
    server: str | None,
    singleton: bool,
) -> None:
    """Spec §7.5: ``[\\\\machine\\]namespace:Class[.key=value[,key=value]]``."""
    p = ObjectPath.parse(text)
    assert p.classname == classname
    assert [(k, type(v), v) for k, v in p.keybindings] == [
        (k, type(v), v) for k, v in keys
    ]
    assert p.namespace == namespace
    assert p.server == server
    assert p.singleton is singleton
    assert p.is_instance is (bool(keys) or singleton)
    assert p.is_class is not p.is_instance


@pytest.mark.parametrize(
    "server",
    [
        pytest.param(".", id="dot-local"),
        pytest.param("host.example.com", id="fqdn"),
        pytest.param("10.0.0.1", id="ipv4"),
    ],
)
def test_parse_server_with_dots(server: str) -> None:
    """Spec §7.5 / MS-WMI §2.2.2: ``\\\\machine\\`` where machine may be ``.``."""
    p = ObjectPath.parse(f'\\\\{server}\\root\\cimv2:Win32_Process.Handle="42"')
    assert p.server == server
    assert p.namespace == "root/cimv2"
    assert p.keybindings == (("Handle", "42"),)


def test_parse_non_ascii_names() -> None:
    p = ObjectPath.parse('Ünïcode_Clâss.Kéy="v"')
    assert p.classname == "Ünïcode_Clâss"
    assert p.key("KÉY") == "v"


ERRORS: list[Any] = [
    pytest.param("", 1, "empty", id="empty"),
    pytest.param("   ", 1, "empty", id="blank"),
    pytest.param(r"ROOT\\CIMV2:C", 1, "empty segment", id="doubled-separator"),
    pytest.param("root//cimv2:C", 1, "empty segment", id="doubled-slash"),
    pytest.param("root\\:C", 1, "empty segment", id="trailing-separator"),
    pytest.param(":C", 1, "empty segment", id="empty-namespace"),
    pytest.param("ro-ot:C", 1, "not allowed", id="bad-namespace-char"),
    pytest.param("\\\\host:C", 1, "followed by a namespace", id="server-only"),
    pytest.param('C.K="abc', 9, "unterminated", id="unterminated-double"),
    pytest.param("C.K='abc", 9, "unterminated", id="unterminated-single"),
    pytest.param('C.K="ab\\"', 10, "unterminated", id="escaped-closing-quote"),
    pytest.param('C.K="abc"x', 10, "expected ','", id="garbage-after-value"),
    pytest.param('C="abc"x', 8, "unexpected text", id="garbage-after-unnamed"),
    pytest.param("C.K=abc", 5, "not a quoted string", id="bare-word"),
    pytest.param("C.K=1.2.3", 5, "not a quoted string", id="bad-number"),
    pytest.param("C.K=", 5, "expected a key value", id="missing-value"),
    pytest.param("C.K=1,", 7, "key property name", id="trailing-comma"),
    pytest.param("C.", 3, "key property name", id="dot-only"),
    pytest.param("C.K", 4, "expected '='", id="no-equals"),
    pytest.param(".K=1", 1, "class name", id="no-class"),
    pytest.param("C K", 2, "expected '.', '='", id="space-in-class"),
    pytest.param("C=@x", 3, "not a quoted string", id="singleton-garbage"),
]


@pytest.mark.parametrize(("text", "column", "fragment"), ERRORS)
def test_parse_errors(text: str, column: int, fragment: str) -> None:
    """Bad paths raise WBEM_E_INVALID_OBJECT_PATH naming the column."""
    with pytest.raises(InvalidObjectPathError) as info:
        ObjectPath.parse(text)
    err = info.value
    assert err.hresult == HResult.WBEM_E_INVALID_OBJECT_PATH
    assert fragment in err.message
    assert f"at column {column}:" in err.message
    assert err.details["column"] == column


def test_duplicate_key_is_rejected_with_column() -> None:
    """A key given twice (names compare without case) is an invalid path."""
    with pytest.raises(InvalidObjectPathError) as info:
        ObjectPath.parse("C.Name=1,NAME=2")
    err = info.value
    assert err.hresult == HResult.WBEM_E_INVALID_OBJECT_PATH
    assert "'NAME' is given twice" in err.message
    assert "column" in err.message
    assert isinstance(err.details["column"], int)
    assert err.details["path"] == "C.Name=1,NAME=2"


def test_duplicate_key_column_points_at_the_name() -> None:
    """Issue #2: the message points at the offending token."""
    with pytest.raises(InvalidObjectPathError) as info:
        ObjectPath.parse("C.Name=1,NAME=2")
    assert info.value.details["column"] == 10


def test_error_message_shows_a_caret() -> None:
    with pytest.raises(InvalidObjectPathError) as info:
        ObjectPath.parse('C.K="abc"x')
    assert info.value.message.endswith('C.K="abc"x\n         ^')


@pytest.mark.parametrize(
    "value", [pytest.param(5, id="int"), pytest.param(None, id="none")]
)
def test_parse_non_string(value: Any) -> None:
    with pytest.raises(InvalidObjectPathError):
        ObjectPath.parse(value)


@given(st.text())
def test_parse_never_raises_anything_else(text: str) -> None:
    """For any text, parse returns a path or raises InvalidObjectPathError."""
    error: InvalidObjectPathError | None = None
    try:
        p = ObjectPath.parse(text)
    except InvalidObjectPathError as exc:
        error = exc
    if error is None:
        assert p.classname
    else:
        assert error.hresult == HResult.WBEM_E_INVALID_OBJECT_PATH


# --- formatting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "wmi", "dmtf"),
    [
        pytest.param(
            ObjectPath("Win32_Process", (("Handle", "42"),), "root/cimv2", "host"),
            r'\\host\root\cimv2:Win32_Process.Handle="42"',
            '//host/root/cimv2:Win32_Process.Handle="42"',
            id="full",
        ),
        pytest.param(
            ObjectPath("C", (("K", 1), ("B", True)), "root\\cimv2"),
            r"root\cimv2:C.K=1,B=TRUE",
            "/root/cimv2:C.K=1,B=TRUE",
            id="namespace-backslash-input",
        ),
        pytest.param(ObjectPath("C"), "C", "C", id="class"),
        pytest.param(
            ObjectPath("C", singleton=True, namespace="root"),
            "root:C=@",
            "/root:C=@",
            id="singleton",
        ),
        pytest.param(
            ObjectPath("C", (("K", 'a"b\\c'),)),
            r'C.K="a\"b\\c"',
            r'C.K="a\"b\\c"',
            id="escaping",
        ),
        pytest.param(
            ObjectPath("C", (("K", False), ("R", 2.5))),
            "C.K=FALSE,R=2.5",
            "C.K=FALSE,R=2.5",
            id="bool-real",
        ),
    ],
)
def test_format(path: ObjectPath, wmi: str, dmtf: str) -> None:
    assert str(path) == wmi
    assert path.to_dmtf() == dmtf


def test_unnamed_key_round_trip() -> None:
    p = ObjectPath.parse('C="v"')
    assert p.relpath == 'C="v"'
    assert ObjectPath.parse(str(p)) == p


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        pytest.param(True, "TRUE", id="true"),
        pytest.param(False, "FALSE", id="false"),
        pytest.param(-3, "-3", id="int"),
        pytest.param(0.5, "0.5", id="real"),
        pytest.param('q"b\\', '"q\\"b\\\\"', id="string"),
        pytest.param(ObjectPath("A", (("K", "x"),)), '"A.K=\\"x\\""', id="reference"),
    ],
)
def test_format_key_value(value: Any, literal: str) -> None:
    assert format_key_value(value) == literal


def test_reference_key_round_trip() -> None:
    """An association key holding a path is a quoted, escaped string."""
    ref = ObjectPath("Win32_Process", (("Handle", "42"),), "root/cimv2", "host")
    p = ObjectPath("Assoc", (("Antecedent", ref),))
    back = ObjectPath.parse(str(p))
    assert ObjectPath.parse(back.key("antecedent")) == ref


# --- identity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        pytest.param('C.K="v"', 'c.k="V"', True, id="names-and-string-value-nocase"),
        pytest.param("C.A=1,B=2", "C.B=2,A=1", True, id="key-order"),
        pytest.param("C.K='v'", 'C.K="v"', True, id="quote-style"),
        pytest.param(
            'root\\cimv2:C.K="v"', 'C.K="v"', True, id="relative-matches-absolute"
        ),
        pytest.param(
            'C.K="v"', 'root/cimv2:C.K="v"', True, id="absolute-matches-relative"
        ),
        pytest.param(
            'ROOT\\CIMV2:C.K="v"', '/root/cimv2:C.K="v"', True, id="namespace-nocase"
        ),
        pytest.param(
            'root\\cimv2:C.K="v"', 'root\\other:C.K="v"', False, id="other-namespace"
        ),
        pytest.param('C.K="v"', 'C.K="w"', False, id="other-value"),
        pytest.param('C.K="v"', 'D.K="v"', False, id="other-class"),
        pytest.param("C.K=1", 'C.K="1"', False, id="int-vs-string"),
        pytest.param("C.K=TRUE", "C.K=1", False, id="bool-vs-int"),
        pytest.param("C.K=1", "C.K=1.0", True, id="int-vs-equal-real"),
        pytest.param("C=@", "C", False, id="singleton-vs-class"),
        pytest.param("C.A=1", "C.A=1,B=2", False, id="fewer-keys"),
    ],
)
def test_equality_and_hash(a: str, b: str, equal: bool) -> None:
    """Class/key names and string key values compare case-insensitively; a
    relative path matches wherever it is resolved."""
    pa, pb = ObjectPath.parse(a), ObjectPath.parse(b)
    assert (pa == pb) is equal
    assert (pb == pa) is equal
    assert (pa != pb) is not equal
    if equal:
        assert hash(pa) == hash(pb)
        assert len({pa, pb}) == 1


def test_text_keeps_case() -> None:
    p = ObjectPath.parse('Root\\CimV2:My_Class.KeyProp="MiXeD"')
    assert str(p) == 'Root\\CimV2:My_Class.KeyProp="MiXeD"'


def test_path_is_not_equal_to_its_text() -> None:
    p = ObjectPath.parse('C.K="v"')
    assert p != 'C.K="v"'


def test_key_lookup() -> None:
    p = ObjectPath.parse('C.Name="x",Id=3')
    assert p.key("NAME") == "x"
    assert p.key("id") == 3
    assert p.keys() == {"Name": "x", "Id": 3}
    with pytest.raises(KeyError):
        p.key("Other")


@pytest.mark.parametrize(
    ("path", "relpath"),
    [
        pytest.param('\\\\h\\root:C.K="v"', 'C.K="v"', id="instance"),
        pytest.param("root:C=@", "C=@", id="singleton"),
        pytest.param("root:C", "C", id="class"),
    ],
)
def test_relpath(path: str, relpath: str) -> None:
    assert ObjectPath.parse(path).relpath == relpath


def test_with_namespace() -> None:
    p = ObjectPath.parse('C.K="v"')
    q = p.with_namespace("root/cimv2", "srv")
    assert str(q) == '\\\\srv\\root\\cimv2:C.K="v"'
    assert p.namespace is None  # frozen original untouched
    assert q.with_namespace("root/x").server == "srv"


@pytest.mark.parametrize(
    ("keys", "relpath"),
    [
        pytest.param({"A": 1, "B": "x"}, 'C.A=1,B="x"', id="mapping"),
        pytest.param([("A", 1)], "C.A=1", id="pairs"),
        pytest.param({}, "C=@", id="no-keys-singleton"),
    ],
)
def test_for_instance(keys: Any, relpath: str) -> None:
    p = ObjectPath.for_instance("C", keys, namespace="root")
    assert p.relpath == relpath
    assert p.namespace == "root"
    assert p.is_instance


# --- hypothesis round-trips --------------------------------------------------------------

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]*", fullmatch=True).filter(
    lambda s: len(s) <= 30
)
key_values = st.one_of(
    st.text(),
    st.text(alphabet="\"'\\:.,=@ "),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)


@st.composite
def object_paths(draw: st.DrawFn) -> ObjectPath:
    classname = draw(names)
    namespace = draw(st.none() | st.lists(names, min_size=1, max_size=3).map("/".join))
    server = draw(st.none() | names) if namespace else None
    kind = draw(st.sampled_from(["class", "singleton", "keys"]))
    if kind != "keys":
        return ObjectPath(classname, (), namespace, server, kind == "singleton")
    key_names = draw(
        st.lists(names, min_size=1, max_size=4, unique_by=lambda s: s.lower())
    )
    keys = tuple((k, draw(key_values)) for k in key_names)
    return ObjectPath(classname, keys, namespace, server)


def typed(p: ObjectPath) -> list[tuple[str, type, Any]]:
    return [(k, type(v), v) for k, v in p.keybindings]


@given(object_paths())
def test_wmi_form_round_trip(p: ObjectPath) -> None:
    """``ObjectPath.parse(str(p)) == p``, keeping spellings, types and order."""
    back = ObjectPath.parse(str(p))
    assert back == p
    assert typed(back) == typed(p)
    assert back.server == p.server
    assert back.namespace == p.namespace
    assert str(back) == str(p)


@given(object_paths())
def test_dmtf_form_round_trip(p: ObjectPath) -> None:
    """``ObjectPath.parse(p.to_dmtf()) == p``."""
    back = ObjectPath.parse(p.to_dmtf())
    assert back == p
    assert typed(back) == typed(p)
    assert back.server == p.server
    assert back.to_dmtf() == p.to_dmtf()
