"""CIM-XML and CIM-over-HTTP (DSP0200/DSP0201), sans-IO: bytes in, objects out.

Imports model and errors only; never asyncio, socket, the engine, the manager,
the server or the client.
"""

from ._decode import ProtocolError as ProtocolError
from ._decode import coerce_text as coerce_text
from ._decode import decode_class as decode_class
from ._decode import decode_instance as decode_instance
from ._decode import decode_instancename as decode_instancename
from ._decode import decode_named_instance as decode_named_instance
from ._decode import decode_object_path as decode_object_path
from ._decode import decode_qualifier_declaration as decode_qualifier_declaration
from ._decode import decode_value_element as decode_value_element
from ._decode import parse_document as parse_document
from ._encode import InstanceEncoder as InstanceEncoder
from ._encode import class_xml as class_xml
from ._encode import classname_xml as classname_xml
from ._encode import error_xml as error_xml
from ._encode import instance_xml as instance_xml
from ._encode import instancename_xml as instancename_xml
from ._encode import object_path_xml as object_path_xml
from ._encode import paramvalue_xml as paramvalue_xml
from ._encode import qualifier_declaration_xml as qualifier_declaration_xml
from ._encode import response_head as response_head
from ._encode import response_tail as response_tail
from ._encode import value_xml as value_xml
from ._http import CIMHeaders as CIMHeaders
from ._http import basic_credentials as basic_credentials
from ._http import check_against_body as check_against_body
from ._http import check_headers as check_headers
from ._http import error_headers as error_headers
from ._http import response_headers as response_headers
from ._http import unauthorized_headers as unauthorized_headers
from ._messages import IntrinsicCall as IntrinsicCall
from ._messages import MethodCall as MethodCall
from ._messages import ParamValue as ParamValue
from ._messages import bool_param as bool_param
from ._messages import cim_status as cim_status
from ._messages import error_response as error_response
from ._messages import int_param as int_param
from ._messages import parse_request as parse_request
from ._messages import str_list_param as str_list_param
from ._messages import str_param as str_param

__all__ = [
    "CIMHeaders",
    "InstanceEncoder",
    "IntrinsicCall",
    "MethodCall",
    "ParamValue",
    "ProtocolError",
    "basic_credentials",
    "bool_param",
    "check_against_body",
    "check_headers",
    "cim_status",
    "class_xml",
    "classname_xml",
    "coerce_text",
    "decode_class",
    "decode_instance",
    "decode_instancename",
    "decode_named_instance",
    "decode_object_path",
    "decode_qualifier_declaration",
    "decode_value_element",
    "error_headers",
    "error_response",
    "error_xml",
    "instance_xml",
    "instancename_xml",
    "int_param",
    "object_path_xml",
    "paramvalue_xml",
    "parse_document",
    "parse_request",
    "qualifier_declaration_xml",
    "response_head",
    "response_headers",
    "response_tail",
    "str_list_param",
    "str_param",
    "unauthorized_headers",
    "value_xml",
]
