"""Object paths in WMI form and DMTF form (spec §7.5, MS-WMI §2.2.2; DSP0207).

Owns ``ObjectPath``: parse and format of

* WMI form: ``[\\\\server\\]namespace:Class[.Key="v"[,Key2=5]]``, ``Class=@``
  (singleton), ``Class="v"`` (single unnamed key), ``Class`` (class path);
  ``/`` is accepted as namespace separator; single quotes may replace double;
* DMTF form: ``//server/ns/sub:Class.Key="v"`` and ``/ns/sub:Class.Key="v"``.

Identity: class and key names compare case-insensitively, string key values
compare case-insensitively too (WMI treats repository keys that way); the text
keeps its case. Imports only errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidObjectPathError

__all__ = ["KeyValue", "ObjectPath", "format_key_value"]

KeyValue = str | int | bool | float
_NAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def format_key_value(value: Any) -> str:
    """The path literal for a key value (strings quoted, booleans TRUE/FALSE)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, ObjectPath):
        return f'"{_escape(str(value))}"'
    return f'"{_escape(str(value))}"'


def _key_identity(value: Any) -> Any:
    if isinstance(value, str):
        return ("s", value.casefold())
    if isinstance(value, ObjectPath):
        return ("p", value.identity())
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    return ("o", str(value))


@dataclass(frozen=True, slots=True, eq=False)
class ObjectPath:
    """A path to a class (no keys), an instance (keys), or a singleton (``Class=@``).

    ``keybindings`` is a tuple of ``(name, value)`` in the order given.
    """

    classname: str
    keybindings: tuple[tuple[str, Any], ...] = ()
    namespace: str | None = None
    server: str | None = None
    singleton: bool = False

    # --- construction -----------------------------------------------------------
    @classmethod
    def for_instance(
        cls,
        classname: str,
        keys: Mapping[str, Any] | Iterable[tuple[str, Any]],
        *,
        namespace: str | None = None,
        server: str | None = None,
    ) -> ObjectPath:
        items = tuple(keys.items() if isinstance(keys, Mapping) else keys)
        return cls(classname, items, namespace, server, singleton=not items)

    @classmethod
    def parse(cls, text: str) -> ObjectPath:
        """Parse a WMI or DMTF object path.

        Raises:
            InvalidObjectPathError: the text is not a path; the message names the
                position and what was expected there.
        """
        if not isinstance(text, str):
            raise InvalidObjectPathError(
                f"object path must be a string, got {type(text).__name__}"
            )
        return _Parser(text).parse()

    def with_namespace(
        self, namespace: str | None, server: str | None = None
    ) -> ObjectPath:
        return ObjectPath(
            self.classname,
            self.keybindings,
            namespace,
            server or self.server,
            self.singleton,
        )

    # --- queries ------------------------------------------------------------------
    @property
    def is_class(self) -> bool:
        return not self.keybindings and not self.singleton

    @property
    def is_instance(self) -> bool:
        return bool(self.keybindings) or self.singleton

    def keys(self) -> dict[str, Any]:
        return dict(self.keybindings)

    def key(self, name: str) -> Any:
        low = name.lower()
        for k, v in self.keybindings:
            if k.lower() == low:
                return v
        raise KeyError(name)

    def identity(self) -> tuple[Any, ...]:
        """What makes two paths name the same object (namespace/server excluded)."""
        keys = tuple(sorted((k.lower(), _key_identity(v)) for k, v in self.keybindings))
        return (self.classname.lower(), keys, self.singleton)

    # --- formatting ---------------------------------------------------------------
    @property
    def relpath(self) -> str:
        """``Class.Key="v"``, ``Class=@`` or ``Class``."""
        if self.singleton:
            return f"{self.classname}=@"
        if not self.keybindings:
            return self.classname
        if len(self.keybindings) == 1 and self.keybindings[0][0] == "":
            return f"{self.classname}={format_key_value(self.keybindings[0][1])}"
        keys = ",".join(f"{k}={format_key_value(v)}" for k, v in self.keybindings)
        return f"{self.classname}.{keys}"

    def __str__(self) -> str:
        """WMI form: ``\\\\server\\root\\cimv2:Class.Key="v"``."""
        prefix = ""
        if self.namespace:
            ns = self.namespace.replace("/", "\\")
            prefix = f"\\\\{self.server}\\{ns}:" if self.server else f"{ns}:"
        return prefix + self.relpath

    def to_dmtf(self) -> str:
        """DMTF form: ``//server/root/cimv2:Class.Key="v"``."""
        prefix = ""
        if self.namespace:
            ns = self.namespace.replace("\\", "/")
            prefix = f"//{self.server}/{ns}:" if self.server else f"/{ns}:"
        return prefix + self.relpath

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObjectPath):
            return NotImplemented
        return self.identity() == other.identity() and _ns_eq(
            self.namespace, other.namespace
        )

    def __hash__(self) -> int:
        return hash(self.identity())

    def __repr__(self) -> str:
        return f"ObjectPath({str(self)!r})"


def _ns_eq(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True  # a relative path matches wherever it is resolved
    return a.replace("\\", "/").lower().strip("/") == b.replace(
        "\\", "/"
    ).lower().strip("/")


class _Parser:
    """Hand-written scanner: paths are short and need precise error positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> InvalidObjectPathError:
        snippet = f"{self.text}\n{' ' * self.pos}^"
        return InvalidObjectPathError(
            f"invalid object path at column {self.pos + 1}: {what}\n{snippet}",
            column=self.pos + 1,
            path=self.text,
        )

    def parse(self) -> ObjectPath:
        text = self.text.strip()
        self.text = text
        if not text:
            raise self.fail("the path is empty")
        server: str | None = None
        namespace: str | None = None
        colon = self._namespace_colon()
        if colon >= 0:
            head = text[:colon]
            self.pos = colon + 1
            server, namespace = self._split_head(head)
        return self._class_part(namespace, server)

    def _namespace_colon(self) -> int:
        """Index of the ':' ending the namespace part, outside quotes; -1 if none."""
        quote = ""
        i = 0
        text = self.text
        if text[:2] in ("\\\\", "//"):  # skip the server name: it may contain '.'
            seps = [j for j in (text.find("\\", 2), text.find("/", 2)) if j >= 0]
            i = min(seps) if seps else 2
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch in ".=":
                return -1  # the class part started; no namespace prefix
            elif ch == ":":
                return i
            i += 1
        return -1

    def _split_head(self, head: str) -> tuple[str | None, str | None]:
        server = None
        rest = head
        if rest[:2] in ("\\\\", "//"):
            body = rest[2:]
            cut = min(
                (i for i in (body.find("\\"), body.find("/")) if i >= 0), default=-1
            )
            if cut <= 0:
                self.pos = 0
                raise self.fail("a server name must be followed by a namespace")
            server, rest = body[:cut], body[cut + 1 :]
        elif rest[:1] in ("\\", "/"):
            rest = rest[1:]
        parts = rest.replace("\\", "/").split("/")
        if not rest or any(not p for p in parts):
            self.pos = 0
            raise self.fail(f"namespace {head!r} has an empty segment")
        for p in parts:
            if not all(c in _NAME_CHARS or ord(c) > 127 for c in p):
                self.pos = 0
                raise self.fail(f"namespace segment {p!r} has characters not allowed")
        return server, "/".join(parts)

    def _name(self, what: str) -> str:
        start = self.pos
        text = self.text
        while self.pos < len(text) and (
            text[self.pos] in _NAME_CHARS or ord(text[self.pos]) > 127
        ):
            self.pos += 1
        if self.pos == start:
            raise self.fail(f"expected {what}")
        return text[start : self.pos]

    def _class_part(self, namespace: str | None, server: str | None) -> ObjectPath:
        classname = self._name("a class name")
        text = self.text
        if self.pos == len(text):
            return ObjectPath(classname, (), namespace, server)
        ch = text[self.pos]
        if ch == "=":
            self.pos += 1
            if text[self.pos :] == "@":
                return ObjectPath(classname, (), namespace, server, singleton=True)
            value = self._value()
            self._expect_end()
            return ObjectPath(classname, (("", value),), namespace, server)
        if ch != ".":
            raise self.fail("expected '.', '=' or the end of the path")
        self.pos += 1
        keys: list[tuple[str, Any]] = []
        seen: set[str] = set()
        while True:
            start = self.pos
            name = self._name("a key property name")
            if name.lower() in seen:
                self.pos = start
                raise self.fail(f"key {name!r} is given twice")
            seen.add(name.lower())
            if self.pos >= len(text) or text[self.pos] != "=":
                raise self.fail(f"expected '=' after key {name!r}")
            self.pos += 1
            keys.append((name, self._value()))
            if self.pos == len(text):
                break
            if text[self.pos] != ",":
                raise self.fail("expected ',' or the end of the path")
            self.pos += 1
        return ObjectPath(classname, tuple(keys), namespace, server)

    def _expect_end(self) -> None:
        if self.pos != len(self.text):
            raise self.fail("unexpected text after the key value")

    def _value(self) -> KeyValue:
        text = self.text
        if self.pos >= len(text):
            raise self.fail("expected a key value")
        ch = text[self.pos]
        if ch in "\"'":
            quote = ch
            self.pos += 1
            out: list[str] = []
            while self.pos < len(text):
                c = text[self.pos]
                if c == "\\" and self.pos + 1 < len(text):
                    out.append(text[self.pos + 1])
                    self.pos += 2
                    continue
                if c == quote:
                    self.pos += 1
                    return "".join(out)
                out.append(c)
                self.pos += 1
            raise self.fail("unterminated string key value")
        start = self.pos
        while self.pos < len(text) and text[self.pos] not in ",":
            self.pos += 1
        token = text[start : self.pos]
        upper = token.upper()
        if upper == "TRUE":
            return True
        if upper == "FALSE":
            return False
        try:
            return int(token, 0) if token[:2].lower() == "0x" else int(token)
        except ValueError:
            pass
        try:
            return float(token)
        except ValueError:
            self.pos = start
            raise self.fail(
                f"key value {token!r} is not a quoted string, number or boolean"
            ) from None
