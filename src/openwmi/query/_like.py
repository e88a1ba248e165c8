"""The WQL LIKE matcher (spec §7.3, §12 item 12).

Owns the translation of LIKE patterns to compiled regular expressions (cached)
and the helpers the validator needs for LIKE on non-string properties. Imports
nothing from openwmi; never imports asyncio.

Rules (the pattern is the string *after* WQL string-literal escapes):

* Rule 1. ``%`` matches any run of 0 or more characters, ``_`` exactly one.
* Rule 2. ``[abc]``, ``[a-f]`` and ``[a=f]`` (``=`` works like ``-``) match one
  character of the set; ``[^…]`` one character not in it; ``[^]`` a literal
  caret. A character followed by ``-``/``=`` and then ``]`` is two literals
  (``[a-]``). ``%``, ``_`` and ``[`` are literals inside brackets. A reversed
  range (``[z-a]``) is empty; ``[]`` matches nothing. An unclosed ``[`` is an
  error.
* Rule 3. The match is over the whole string and case-insensitive.
* Rule 4 (observed Windows, spec §7.3 OBS). Backslash is an escape inside LIKE
  too: ``\\\\`` (two backslashes after string unescaping, four in the query
  text) is one literal backslash, anywhere in the pattern, brackets included;
  any other backslash is an error. So ``LIKE "PCI\\\\\\\\%"`` matches
  ``PCI\\…`` and ``LIKE "PCI\\\\%"`` is rejected (WBEM_E_INVALID_QUERY).
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "LikePatternError",
    "compile_like",
    "like_has_wildcards",
    "like_literal",
    "like_match",
]


class LikePatternError(ValueError):
    """A malformed LIKE pattern; ``index`` is the offset of the fault in it."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


def _unescape_at(pattern: str, i: int) -> tuple[str, int]:
    """The literal at ``pattern[i]`` (a backslash pair counts as one) and the
    next index."""
    ch = pattern[i]
    if ch != "\\":
        return ch, i + 1
    if i + 1 < len(pattern) and pattern[i + 1] == "\\":
        return "\\", i + 2
    raise LikePatternError(
        "a backslash in a LIKE pattern must be doubled (write \\\\\\\\ in the "
        "query text for one literal backslash)",
        i,
    )


def _set_regex(members: list[str], negate: bool) -> str:
    parts: list[str] = []
    k = 0
    while k < len(members):
        if k + 2 < len(members) and members[k + 1] in "-=":
            lo, hi = members[k], members[k + 2]
            if lo <= hi:
                parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
            k += 3
        else:
            parts.append(re.escape(members[k]))
            k += 1
    if not parts:
        return "." if negate else "(?!)"
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "%":
            if not out or out[-1] != ".*":
                out.append(".*")
            i += 1
        elif ch == "_":
            out.append(".")
            i += 1
        elif ch == "[":
            j = i + 1
            negate = j < n and pattern[j] == "^"
            if negate:
                j += 1
            members: list[str] = []
            while j < n and pattern[j] != "]":
                lit, j = _unescape_at(pattern, j)
                members.append(lit)
            if j >= n:
                raise LikePatternError("'[' without a closing ']' in LIKE pattern", i)
            if negate and not members:
                out.append(re.escape("^"))  # [^] is a literal caret
            else:
                out.append(_set_regex(members, negate))
            i = j + 1
        else:
            lit, i = _unescape_at(pattern, i)
            out.append(re.escape(lit))
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def compile_like(pattern: str) -> re.Pattern[str]:
    """The compiled, case-insensitive, whole-string regex for a LIKE pattern.

    Use ``compile_like(p).fullmatch(text) is not None``. Cached per pattern.

    Raises:
        LikePatternError: unclosed ``[`` or a single backslash.
    """
    return re.compile(_translate(pattern), re.IGNORECASE | re.DOTALL)


def like_match(pattern: str, text: str) -> bool:
    """True when ``text`` matches the LIKE ``pattern`` (spec §7.3).

    Raises:
        LikePatternError: the pattern is malformed.
    """
    return compile_like(pattern).fullmatch(text) is not None


def like_has_wildcards(pattern: str) -> bool:
    """True when the pattern uses ``%``, ``_`` or ``[`` (outside escapes).

    Raises:
        LikePatternError: a single backslash.
    """
    i = 0
    while i < len(pattern):
        if pattern[i] in "%_[":
            return True
        _, i = _unescape_at(pattern, i)
    return False


def like_literal(pattern: str) -> str:
    """The text a wildcard-free pattern stands for (escapes removed), used where
    LIKE behaves like ``=`` (non-string properties, spec §7.3).

    Raises:
        LikePatternError: a single backslash.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        lit, i = _unescape_at(pattern, i)
        out.append(lit)
    return "".join(out)
