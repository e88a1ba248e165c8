"""Source positions in MOF text: where a token or declaration is, and the caret snippet.

Owns ``Origin`` (file, text, offset, length, end of the enclosing declaration),
``origin_of`` (from a PLY token or production, found by duck typing so that we
never import ply), ``innermost_origin`` (from a traceback or the live stack)
and ``locate`` (an error message ``file:line:column: what`` plus the source
line and a caret under the offending token). Imports only openwmi.errors;
never the repository, the manager or asyncio.

Why not pywbem's own positions: pywbem reports the lexer's current line (one
token of lookahead past the error) and, for grammar productions, the offset
of the first *terminal* of the production, which PLY leaves at 0 unless
tracking is on. We parse with ``tracking=True`` and compute line and column
from the character offset ourselves.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import WbemError

if TYPE_CHECKING:
    from types import FrameType, TracebackType

__all__ = ["Origin", "innermost_origin", "locate", "origin_at_end", "origin_of"]


@dataclass(frozen=True, slots=True)
class Origin:
    """A place in MOF source: ``text[pos:pos+length]`` is the token; ``end``
    bounds the enclosing declaration (searched for a more precise token)."""

    file: str
    text: str
    pos: int
    length: int = 1
    end: int = -1

    def refine(self, pattern: str | None, *, last: bool = False) -> Origin:
        """The first (or last) match of ``pattern``'s group 1 inside this
        declaration, or this origin unchanged."""
        if not pattern:
            return self
        end = self.end if self.end > self.pos else len(self.text)
        eol = self.text.find("\n", self.pos)
        end = max(end, eol if eol >= 0 else len(self.text))  # short productions
        matches = list(re.finditer(pattern, self.text[self.pos : end], re.I))
        if not matches:
            return self
        m = matches[-1] if last else matches[0]
        return Origin(
            self.file, self.text, self.pos + m.start(1), max(1, len(m.group(1))), end
        )

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    @property
    def column(self) -> int:
        return self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1

    def snippet(self) -> str:
        """The source line and a caret line under the token (tabs kept)."""
        start = self.text.rfind("\n", 0, self.pos) + 1
        stop = self.text.find("\n", self.pos)
        line = self.text[start : stop if stop >= 0 else len(self.text)].rstrip("\r")
        col = self.pos - start
        pad = "".join(c if c == "\t" else " " for c in line[:col])
        width = max(1, min(self.length, len(line) - col))
        return f"{line}\n{pad}{'^' * width}"


_WORD = re.compile(r"\w+|\S")


def _type_name(obj: object) -> str:
    return type(obj).__name__


def origin_of(p: Any, file: str | None) -> Origin | None:
    """The origin of a PLY ``LexToken`` or ``YaccProduction`` (None otherwise)."""
    name = _type_name(p)
    lexer = getattr(p, "lexer", None)
    text = getattr(lexer, "lexdata", None)
    if not isinstance(text, str):
        return None
    fname = file or "<embedded>"
    if name == "LexToken":
        # an "error" token's value is the rest of the input: mark one character
        length = 1 if p.type == "error" else max(1, len(str(p.value)))
        return Origin(fname, text, p.lexpos, length, -1)
    if name == "YaccProduction":
        start = p.lexpos(1)
        end = p.lexspan(len(p) - 1)[1] + 1 if len(p) > 1 else start
        # a production's own first token: its length is unknown, so take the word
        m = _WORD.match(text, start)
        return Origin(fname, text, start, len(m.group(0)) if m else 1, end)
    return None


def origin_at_end(text: str, file: str | None) -> Origin:
    """The end of ``text`` (for "unexpected end of file")."""
    stripped = len(text.rstrip())
    return Origin(file or "<string>", text, stripped, 1, -1)


def _frame_origin(frame: FrameType) -> Origin | None:
    p = frame.f_locals.get("p")
    if _type_name(p) not in ("LexToken", "YaccProduction"):
        return None
    parser = getattr(getattr(p, "lexer", None), "parser", None)
    return origin_of(p, getattr(parser, "file", None))


def _frame_has_rule_token(frame: FrameType) -> bool:
    return "p" in frame.f_locals and frame.f_code.co_name.startswith("p_")


def innermost_origin(tb: TracebackType | None) -> tuple[bool, Origin | None]:
    """(found a grammar rule frame, its origin) for the innermost rule function
    (``p_*``) on ``tb``; the origin is None when that rule had no token (PLY's
    end-of-input error)."""
    frames: list[FrameType] = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        if _frame_has_rule_token(frame):
            return True, _frame_origin(frame)
    return False, None


def current_origin() -> Origin | None:
    """The origin of the grammar rule that is calling us (live stack)."""
    frame: FrameType | None = sys._getframe(1)
    depth = 0
    while frame is not None and depth < 12:
        if _frame_has_rule_token(frame):
            return _frame_origin(frame)
        frame = frame.f_back
        depth += 1
    return None


def locate(err: WbemError, origin: Origin | None, what: str | None = None) -> WbemError:
    """``err`` with ``file:line:column: what`` and a caret snippet as its message.

    The HRESULT is kept; ``details`` gain ``file``, ``line``, ``column``,
    ``reason`` and ``snippet``.
    """
    reason = what if what is not None else err.message
    details = dict(err.details)
    if origin is None:
        return WbemError.of(err.hresult, reason, **details)
    snippet = origin.snippet()
    details.update(
        file=origin.file,
        line=origin.line,
        column=origin.column,
        reason=reason,
        snippet=snippet,
    )
    message = f"{origin.file}:{origin.line}:{origin.column}: {reason}\n{snippet}"
    return WbemError.of(err.hresult, message, **details)
