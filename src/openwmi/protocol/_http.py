"""CIM-over-HTTP header rules (DSP0200 §7), as pure functions.

Owns: checking the request headers (``CIMOperation``, ``CIMMethod``,
``CIMObject``, ``Content-Type``) before and after the body is parsed, the
response headers of a result, a CIM-XML error and an HTTP-level rejection
(``CIMError`` header), and HTTP Basic credential parsing.

Imports nothing from openwmi but the sibling decode module; never asyncio or
socket: the ASGI app hands in header lists and gets header lists back.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote

from ._decode import ProtocolError

__all__ = [
    "CIMHeaders",
    "Headers",
    "basic_credentials",
    "check_headers",
    "check_against_body",
    "error_headers",
    "response_headers",
    "unauthorized_headers",
]

Headers = list[tuple[bytes, bytes]]

CONTENT_TYPE = b'application/xml; charset="utf-8"'


@dataclass(frozen=True, slots=True)
class CIMHeaders:
    """The CIM extension headers of one request (values URI-decoded)."""

    method: str
    obj: str


def _get(headers: Headers, name: bytes) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v.decode("latin-1")
    return None


def check_headers(headers: Headers) -> CIMHeaders:
    """The CIM headers of a request, before the body is read.

    Raises:
        ProtocolError: ``unsupported-operation`` (no ``CIMOperation: MethodCall``)
            or ``header-mismatch`` (a required header is missing).
    """
    op = _get(headers, b"cimoperation")
    if op is None or op.strip().lower() != "methodcall":
        raise ProtocolError(
            "the CIMOperation header must be MethodCall", "unsupported-operation"
        )
    ctype = _get(headers, b"content-type")
    if ctype is not None:
        main = ctype.split(";", 1)[0].strip().lower()
        if main not in ("application/xml", "text/xml"):
            raise ProtocolError(
                f"Content-Type {main!r} is not application/xml", "request-not-valid"
            )
    method = _get(headers, b"cimmethod")
    obj = _get(headers, b"cimobject")
    if method is None or obj is None:
        raise ProtocolError(
            "the CIMMethod and CIMObject headers are required", "header-mismatch"
        )
    return CIMHeaders(unquote(method.strip()), unquote(obj.strip()))


def _ns_key(ns: str) -> str:
    return ns.replace("\\", "/").strip("/").lower()


def check_against_body(
    head: CIMHeaders, method: str, namespace: str, *, intrinsic: bool
) -> None:
    """The headers must name what the body does (DSP0200 header-mismatch).

    Raises:
        ProtocolError: ``header-mismatch``.
    """
    if head.method.lower() != method.lower():
        raise ProtocolError(
            f"CIMMethod header {head.method!r} does not match the body ({method!r})",
            "header-mismatch",
        )
    if intrinsic and _ns_key(head.obj) != _ns_key(namespace):
        raise ProtocolError(
            f"CIMObject header {head.obj!r} does not match the namespace {namespace!r}",
            "header-mismatch",
        )


def response_headers(*, chunked: bool, length: int | None = None) -> Headers:
    out: Headers = [
        (b"content-type", CONTENT_TYPE),
        (b"cimoperation", b"MethodResponse"),
    ]
    if not chunked and length is not None:
        out.append((b"content-length", str(length).encode()))
    return out


def error_headers(cim_error: str, length: int) -> Headers:
    """A 4xx/5xx rejection with the DSP0200 ``CIMError`` header."""
    return [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"cimerror", cim_error.encode("latin-1", "replace")),
        (b"content-length", str(length).encode()),
    ]


def unauthorized_headers(realm: str, length: int) -> Headers:
    return [
        (b"www-authenticate", f'Basic realm="{realm}"'.encode("latin-1", "replace")),
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(length).encode()),
    ]


def basic_credentials(headers: Headers) -> tuple[str, str] | None:
    """(user, password) from ``Authorization: Basic …``; None when absent.

    Raises:
        ProtocolError: the header is present but not valid Basic credentials
            (answered 401 like a wrong password: nothing leaks).
    """
    value = _get(headers, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        raise ProtocolError("only HTTP Basic authentication is supported", "", 401)
    try:
        raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ProtocolError("malformed Basic credentials", "", 401) from None
    user, sep, password = raw.partition(":")
    if not sep or not user:
        raise ProtocolError("malformed Basic credentials", "", 401)
    return user, password
