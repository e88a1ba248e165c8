"""CIM-XML encode/decode: round trips, cross-checks against pywbem's own parser
on our output, the interop rules, and the safe parser's refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pywbem import _cim_xml
from pywbem._cim_obj import tocimxml
from pywbem._tupleparse import TupleParser
from pywbem._tupletree import xml_to_tupletree_sax

from openwmi.errors import TypeMismatchError
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
    resolve_class,
)
from openwmi.mof._pywbem import (
    class_from_pywbem,
    instance_from_pywbem,
    instance_to_pywbem,
    path_from_pywbem,
    qualifier_declaration_from_pywbem,
    qualifier_declaration_to_pywbem,
)
from openwmi.protocol import (
    InstanceEncoder,
    IntrinsicCall,
    MethodCall,
    ProtocolError,
    basic_credentials,
    check_headers,
    class_xml,
    decode_class,
    decode_instance,
    decode_named_instance,
    decode_qualifier_declaration,
    error_response,
    instance_xml,
    paramvalue_xml,
    parse_document,
    parse_request,
    qualifier_declaration_xml,
)


def _key() -> NocaseDict[Qualifier]:
    return NocaseDict([("Key", Qualifier("Key", True, CIMType.BOOLEAN))])


def make_class() -> CIMClass:
    props = [
        CIMProperty("K", CIMType.STRING, qualifiers=_key()),
        CIMProperty("U8", CIMType.UINT8),
        CIMProperty("S64", CIMType.SINT64),
        CIMProperty("R", CIMType.REAL64),
        CIMProperty("B", CIMType.BOOLEAN),
        CIMProperty("C", CIMType.CHAR16),
        CIMProperty("D", CIMType.DATETIME),
        CIMProperty("SA", CIMType.STRING, is_array=True),
        CIMProperty("IA", CIMType.UINT32, is_array=True),
        CIMProperty("Ref", CIMType.REFERENCE, reference_class="T_All"),
        CIMProperty("Emb", CIMType.INSTANCE),
        CIMProperty("Obj", CIMType.OBJECT),
    ]
    m = CIMMethod(
        "Go",
        CIMType.UINT32,
        NocaseDict(
            [
                ("In1", CIMParameter("In1", CIMType.STRING)),
                ("Arr", CIMParameter("Arr", CIMType.SINT16, is_array=True)),
                ("P", CIMParameter("P", CIMType.REFERENCE, reference_class="T_All")),
            ]
        ),
    )
    cls = CIMClass(
        "T_All",
        None,
        NocaseDict((p.name, p) for p in props),
        NocaseDict([("Go", m)]),
        NocaseDict(
            [
                (
                    "Description",
                    Qualifier("Description", "a <test> & more", CIMType.STRING),
                )
            ]
        ),
        namespace="root/cimv2",
    )
    return resolve_class(cls, None)


CLS = make_class()


def make_instance(key: str = "k&<>\"'") -> CIMInstance:
    inner = CIMInstance(CLS, {"K": "inner", "U8": 1})
    return CIMInstance(
        CLS,
        {
            "K": key,
            "U8": 255,
            "S64": -(2**63),
            "R": 1.5,
            "B": False,
            "C": "x",
            "D": CIMDateTime("20240229235959.123456-060"),
            "SA": ["a", "", "c&d"],
            "IA": [0, 4294967295],
            "Ref": ObjectPath("T_All", (("K", "other"),), "root/cimv2"),
            "Emb": inner,
            "Obj": inner,
        },
        namespace="root/cimv2",
    )


def pywbem_parse(xml: str) -> Any:
    return TupleParser().parse_any(xml_to_tupletree_sax(xml, "test"))


# --- round trips ---------------------------------------------------------------------


def test_instance_round_trip_through_our_decoder():
    inst = make_instance()
    xml = InstanceEncoder().named_instance(inst)
    back = decode_named_instance(parse_document(xml.encode()))
    assert back == inst
    assert back.path == inst.path


def test_instance_cross_checked_by_pywbem_parser():
    inst = make_instance()
    parsed = pywbem_parse(InstanceEncoder().named_instance(inst))
    assert instance_from_pywbem(parsed) == inst
    assert path_from_pywbem(parsed.path) == inst.path
    assert parsed.properties["Emb"].embedded_object == "instance"


def test_pywbem_encoded_instance_decodes():
    inst = make_instance()
    xml = instance_to_pywbem(inst).tocimxmlstr()  # VALUE.OBJECTWITHLOCALPATH
    back = decode_named_instance(parse_document(xml.encode()))
    assert back == inst
    assert back.path == inst.path


def test_class_cross_checked_by_pywbem_parser():
    xml = class_xml(CLS, include_class_origin=True)
    parsed = class_from_pywbem(pywbem_parse(xml))
    assert parsed == CLS
    assert decode_class(parse_document(xml.encode())) == CLS


def test_local_only_and_property_list():
    sub = resolve_class(
        CIMClass(
            "T_Sub", "T_All", NocaseDict([("X", CIMProperty("X", CIMType.UINT16))])
        ),
        CLS,
    )
    local = decode_class(parse_document(class_xml(sub, local_only=True).encode()))
    assert list(local.properties) == ["X"]
    only = decode_class(parse_document(class_xml(sub, property_list=["k"]).encode()))
    assert list(only.properties) == ["K"]
    noq = class_xml(sub, include_qualifiers=False)
    assert "<QUALIFIER " not in noq


def test_property_elements_are_never_self_closing():
    """wbemcli cannot read <PROPERTY .../>: every one is an open/close pair."""
    empty = CIMInstance(CLS, {"K": "only-key"})
    xml = InstanceEncoder().named_instance(empty) + class_xml(CLS) + instance_xml(empty)
    assert not re.search(r"<PROPERTY[^>]*/>", xml)
    assert xml.count("<PROPERTY") == xml.count("</PROPERTY")


def test_qualifier_declaration_scope_any_accepted_never_sent():
    decl = QualifierDeclaration(
        "Foo", CIMType.STRING, default="d", scopes=frozenset({"any"})
    )
    xml = qualifier_declaration_xml(decl)
    assert 'ANY="' not in xml
    assert qualifier_declaration_from_pywbem(pywbem_parse(xml)).scopes >= {
        "class",
        "property",
    }
    # pywbem sends Scope(any) as <SCOPE ANY="true"/> (pywbem_mock and pywbemcli do)
    sent_by_pywbem = re.sub(
        r"<SCOPE[^>]*/>",
        '<SCOPE ANY="true"/>',
        qualifier_declaration_to_pywbem(decl).tocimxmlstr(),
    )
    back = decode_qualifier_declaration(parse_document(sent_by_pywbem.encode()))
    assert back.scopes == frozenset({"any"})
    assert back.default == "d"


def test_paramvalue_always_typed():
    assert 'PARAMTYPE="uint32"' in paramvalue_xml(
        "", 0, CIMType.UINT32, element="RETURNVALUE"
    )
    assert 'PARAMTYPE="uint32"' in paramvalue_xml("Out", None, CIMType.UINT32)
    xml = paramvalue_xml("P", ObjectPath("T_All", (("K", "a"),)), CIMType.REFERENCE)
    assert 'PARAMTYPE="reference"' in xml
    assert "<VALUE.REFERENCE>" in xml


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
        ),
        max_size=40,
    )
)
def test_any_string_value_survives_both_parsers(text):
    inst = CIMInstance(CLS, {"K": "k", "SA": [text]})
    xml = InstanceEncoder().named_instance(inst)
    assert decode_named_instance(parse_document(xml.encode()))["SA"] == [text]
    assert pywbem_parse(xml).properties["SA"].value == [text]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(-(2**63), 2**63 - 1), st.booleans())
def test_numbers_round_trip(u, s, b):
    cls = resolve_class(
        CIMClass(
            "N",
            None,
            NocaseDict(
                [
                    ("K", CIMProperty("K", CIMType.UINT64, qualifiers=_key())),
                    ("S", CIMProperty("S", CIMType.SINT64)),
                    ("B", CIMProperty("B", CIMType.BOOLEAN)),
                ]
            ),
        ),
        None,
    )
    inst = CIMInstance(cls, {"K": u, "S": s, "B": b})
    xml = InstanceEncoder().named_instance(inst)
    back = decode_named_instance(parse_document(xml.encode()))
    assert (back["K"], back["S"], back["B"]) == (u, s, b)
    assert back.path is not None
    assert back.path.key("K") == u
    assert instance_from_pywbem(pywbem_parse(xml)) == inst


# --- requests ---------------------------------------------------------------------------


def _request(method: str, namespace: str = "root/cimv2", **params: Any) -> bytes:
    plist = [_cim_xml.IPARAMVALUE(k, tocimxml(v)) for k, v in params.items()]
    req = _cim_xml.CIM(
        _cim_xml.MESSAGE(
            _cim_xml.SIMPLEREQ(
                _cim_xml.IMETHODCALL(
                    method,
                    _cim_xml.LOCALNAMESPACEPATH(
                        [_cim_xml.NAMESPACE(n) for n in namespace.split("/")]
                    ),
                    plist,
                )
            ),
            "42",
            "1.0",
        ),
        "2.0",
        "2.0",
    )
    return str(req.toxml()).encode()


def test_intrinsic_request_as_pywbem_sends_it():
    import pywbem

    body = _request(
        "EnumerateInstances",
        ClassName=pywbem.CIMClassName("T_All"),
        DeepInheritance=True,
        PropertyList=["K", "U8"],
    )
    call = parse_request(parse_document(body))
    assert isinstance(call, IntrinsicCall)
    assert (call.message_id, call.method, call.namespace) == (
        "42",
        "EnumerateInstances",
        "root/cimv2",
    )
    assert call.params["ClassName"].classname == "T_All"
    assert call.params["deepinheritance"] == "TRUE"
    assert call.params["PropertyList"] == ["K", "U8"]


def test_extrinsic_request_untyped_and_typed_params():
    body = (
        b'<?xml version="1.0"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="7" PROTOCOLVERSION="1.0">'
        b'<SIMPLEREQ><METHODCALL NAME="go"><LOCALCLASSPATH><LOCALNAMESPACEPATH>'
        b'<NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>'
        b'<CLASSNAME NAME="T_All"/></LOCALCLASSPATH>'
        b'<PARAMVALUE NAME="In1"><VALUE>text</VALUE></PARAMVALUE>'
        b'<PARAMVALUE NAME="Arr" PARAMTYPE="sint16"><VALUE.ARRAY><VALUE>-1</VALUE></VALUE.ARRAY></PARAMVALUE>'
        b"</METHODCALL></SIMPLEREQ></MESSAGE></CIM>"
    )
    call = parse_request(parse_document(body))
    assert isinstance(call, MethodCall)
    assert call.method == "go"
    assert call.target.classname == "T_All"
    assert call.target.namespace == "root/cimv2"
    assert [(p.name, p.value, p.paramtype) for p in call.params] == [
        ("In1", "text", None),
        ("Arr", [-1], CIMType.SINT16),
    ]


@pytest.mark.parametrize(
    ("body", "header"),
    [
        pytest.param(
            b"<CIM><unclosed>", "request-not-well-formed", id="not-well-formed"
        ),
        pytest.param(b"", "request-not-well-formed", id="empty"),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><CIM>&lol2;</CIM>',
            "request-not-well-formed",
            id="entities",
        ),
        pytest.param(
            b'<!DOCTYPE CIM SYSTEM "http://example.invalid/x.dtd"><CIM/>',
            "request-not-well-formed",
            id="external-dtd",
        ),
        pytest.param(
            b"<a>" * 100 + b"</a>" * 100, "request-not-well-formed", id="too-deep"
        ),
        pytest.param(b"<NOTCIM/>", "request-not-valid", id="wrong-root"),
        pytest.param(
            b'<CIM><MESSAGE ID="1" PROTOCOLVERSION="1.0"><MULTIREQ/></MESSAGE></CIM>',
            "multiple-requests-unsupported",
            id="multireq",
        ),
        pytest.param(
            b'<CIM><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="X"/></SIMPLEREQ></MESSAGE></CIM>',
            "request-not-valid",
            id="no-namespace",
        ),
    ],
)
def test_bad_documents_are_protocol_errors(body, header):
    with pytest.raises(ProtocolError) as info:
        parse_request(parse_document(body))
    assert info.value.header == header
    assert info.value.status == 400


def test_document_size_cap():
    with pytest.raises(ProtocolError) as info:
        parse_document(b"<CIM/>" + b" " * 100, max_size=50)
    assert info.value.status == 413


def test_bad_typed_value_is_type_mismatch():
    xml = b'<INSTANCE CLASSNAME="X"><PROPERTY NAME="N" TYPE="uint8"><VALUE>abc</VALUE></PROPERTY></INSTANCE>'
    with pytest.raises(TypeMismatchError):
        decode_instance(parse_document(xml))


def test_error_response_parses_in_pywbem():
    body = error_response("9", "GetInstance", 6, "not <found>").decode()
    tt = TupleParser().parse_cim(xml_to_tupletree_sax(body, "t"))
    rsp = tt[2][2][2]
    assert rsp[0] == "IMETHODRESPONSE"
    assert rsp[1]["NAME"] == "GetInstance"
    err = rsp[2][0]
    assert err[0] == "ERROR"
    assert err[1]["CODE"] == "6"


# --- headers ----------------------------------------------------------------------------------


def _h(**kw: str) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in kw.items()]


def test_headers_required():
    ok = check_headers(
        _h(CIMOperation="MethodCall", CIMMethod="GetClass", CIMObject="root%2Fcimv2")
    )
    assert (ok.method, ok.obj) == ("GetClass", "root/cimv2")
    with pytest.raises(ProtocolError) as info:
        check_headers(_h(CIMMethod="GetClass", CIMObject="root"))
    assert info.value.header == "unsupported-operation"
    with pytest.raises(ProtocolError) as info:
        check_headers(_h(CIMOperation="MethodCall", CIMObject="root"))
    assert info.value.header == "header-mismatch"


@pytest.mark.parametrize(
    "value",
    ["Basic", "Basic !!!", "Digest abc", "Basic " + "dXNlcg==", "Basic " + "OnB3"],
    ids=["no-token", "not-base64", "digest", "no-colon", "empty-user"],
)
def test_malformed_basic_is_401(value):
    with pytest.raises(ProtocolError) as info:
        basic_credentials(_h(Authorization=value))
    assert info.value.status == 401


def test_basic_credentials():
    assert basic_credentials(_h(Authorization="Basic dTpwOnc=")) == ("u", "p:w")
    assert basic_credentials([]) is None
