"""The HTTP(S) half of the remote source: one httpx connection pool per
connection, CIM headers, HTTP status and transport failures mapped to
WbemErrors.

Owns ``HTTPTransport`` (``post`` for whole responses, ``chunks`` for streamed
ones) and ``parse_url``. Imports protocol and errors (+ httpx); never server,
engine or manager.

Rule 1 (spec §9.3): any httpx transport failure (connect, read, write,
        timeout, a connection closed mid-response) becomes exactly one
        ``TransportError`` (WBEM_E_TRANSPORT_FAILURE) with the httpx exception
        as ``__cause__``.
Rule 2: HTTP 401/403 become ``AccessDeniedError``; 501 or the CIMError header
        ``unsupported-operation`` become ``NotSupportedError``; 502-504 are
        transport failures; any other non-200 status is WBEM_E_FAILED naming
        the status and the CIMError header.
Rule 3: every call has the connection's timeouts (connect, operation); a
        timeout is a transport failure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..errors import (
    AccessDeniedError,
    HResult,
    InvalidParameterError,
    NotSupportedError,
    TransportError,
    WbemError,
)
from ..protocol._client import request_headers

__all__ = ["HTTPTransport", "parse_url"]

DEFAULT_PORTS = {"http": 5988, "https": 5989}


def parse_url(url: str) -> str:
    """``http(s)://host[:port][/path]`` → the full endpoint URL (default port
    5988/5989, path ``/cimom``).

    Raises:
        InvalidParameterError: not an http or https URL.
    """
    if not url.strip():
        raise InvalidParameterError("connect: the URL is empty")
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidParameterError(
            f"connect: {url!r} is not an http:// or https:// URL with a host"
        )
    netloc = parts.netloc.rpartition("@")[2]
    if parts.port is None:
        netloc = f"{netloc}:{DEFAULT_PORTS[scheme]}"
    path = parts.path if parts.path not in ("", "/") else "/cimom"
    return urlunsplit((scheme, netloc, path, "", ""))


@contextlib.contextmanager
def mapped_transport_errors(what: str) -> Iterator[None]:
    """Rule 1: an httpx failure → ``TransportError`` (the cause kept)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TransportError(f"{what}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransportError(
            f"{what}: the connection to the server failed ({type(exc).__name__}: {exc})"
        ) from exc
    except httpx.StreamError as exc:
        raise TransportError(f"{what}: the response stream failed: {exc}") from exc


def _status_error(resp: httpx.Response, body: bytes, what: str) -> WbemError:
    """Rule 2."""
    code = resp.status_code
    cim_error = resp.headers.get("CIMError", "")
    text = body[:200].decode("utf-8", "replace").strip()
    detail = f"HTTP {code}" + (f" ({cim_error})" if cim_error else "")
    if text:
        detail += f": {text}"
    if code in (401, 403):
        return AccessDeniedError(f"{what}: the server refused access ({detail})")
    if code == 501 or cim_error == "unsupported-operation":
        return NotSupportedError(f"{what}: not supported by the server ({detail})")
    if code in (502, 503, 504):
        return TransportError(f"{what}: the server is not reachable ({detail})")
    return WbemError(f"{what}: {detail}", hresult=HResult.WBEM_E_FAILED)


class HTTPTransport:
    """POSTs CIM-XML requests to one WBEM server (thread-safe: one httpx pool)."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None,
        password: str | None,
        verify: bool | str,
        timeout: float | tuple[float, float] | None,
    ) -> None:
        self.url = parse_url(url)
        if isinstance(timeout, tuple):
            connect_t, op_t = timeout
            t = httpx.Timeout(op_t, connect=connect_t)
        else:
            t = httpx.Timeout(timeout)
        auth = (user, password or "") if user is not None else None
        self._client = httpx.Client(
            auth=auth,
            verify=verify,
            timeout=t,
            headers={"Accept": "application/xml"},
            limits=httpx.Limits(max_keepalive_connections=16, max_connections=64),
        )

    def close(self) -> None:
        self._client.close()

    def post(self, method: str, cimobject: str, body: bytes) -> bytes:
        """One request; the whole response body (status checked)."""
        with mapped_transport_errors(method):
            resp = self._client.post(
                self.url, content=body, headers=request_headers(method, cimobject)
            )
            data = resp.content
        if resp.status_code != 200:
            raise _status_error(resp, data, method)
        return data

    def chunks(
        self, method: str, cimobject: str, body: bytes
    ) -> Generator[bytes, None, None]:
        """One request whose response is read as it arrives (a generator:
        closing it closes the response, which the server sees as a
        disconnect and closes its enumeration)."""
        with (
            mapped_transport_errors(method),
            self._client.stream(
                "POST",
                self.url,
                content=body,
                headers=request_headers(method, cimobject),
            ) as resp,
        ):
            if resp.status_code != 200:
                raise _status_error(resp, resp.read(), method)
            yield from resp.iter_bytes()
