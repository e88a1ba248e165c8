"""Query diagnostics: line/column, caret snippets and the error builder.

Owns how every query error reports *where* it happened: ``line`` and
``column`` (1-based) and a two-line caret ``snippet``, both in ``details`` and
in the message text. Imports only openwmi.errors; never asyncio.
"""

from __future__ import annotations

from typing import Any

from ..errors import WbemError

__all__ = ["located_error", "position", "snippet"]

_WINDOW = 72  # characters of context shown round the column in a snippet


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text`` (LF, CR or CRLF end lines)."""
    offset = max(0, min(offset, len(text)))
    head = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    line = head.count("\n") + 1
    column = len(head) - (head.rfind("\n") + 1) + 1
    return line, column


def snippet(text: str, line: int, column: int) -> str:
    """The source line with a caret under ``column``, cut to a window if long."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    src = src.replace("\t", " ")
    col = column - 1
    start = 0
    if len(src) > _WINDOW:
        start = max(0, min(col - _WINDOW // 2, len(src) - _WINDOW))
        src = src[start : start + _WINDOW]
    # Control characters (and lone surrogates) would garble the caret line.
    shown = "".join(
        ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else "?"
        for ch in src
    )
    return f"{shown}\n{' ' * (col - start)}^"


def located_error(
    code: int, message: str, text: str | None, offset: int | None, **details: Any
) -> WbemError:
    """An error for ``code`` whose message and details name the position.

    Without ``text`` or ``offset`` (a tree built by hand) no position is given.
    """
    if text is None or offset is None or offset < 0:
        return WbemError.of(code, message, **details)
    line, column = position(text, offset)
    snip = snippet(text, line, column)
    full = f"{message} (line {line}, column {column})\n{snip}"
    return WbemError.of(code, full, line=line, column=column, snippet=snip, **details)
