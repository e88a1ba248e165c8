"""LIKE matcher tests (spec §7.3, §12 item 12, §13 item 15)."""

from __future__ import annotations

import pytest

from openwmi.errors import HResult, InvalidQueryError
from openwmi.query import (
    LikePatternError,
    SelectQuery,
    compile_like,
    like_match,
    parse_wql,
)
from openwmi.query._like import like_has_wildcards, like_literal

# spec §7.3 [OBS]: matching checks against Caption = "explorer.exe", verbatim.
OBS_MATCH = [
    "explorer%",
    "%explorer%",
    "explorer.exe%",
    "%plorer.exe",
    "__plorer.exe",
    "e_plorer.exe",
    "%%%plorer.e%",
    "%plorer.e_e",
    "explore%exe",
]
OBS_NO_MATCH = [
    "xplorer.exe",
    "explorer.ex",
    "_plorer.exe",
    "fancy_explore.exe",
    "fancy%xplore%exe",
    "%%%f%xplore%exe",
]


@pytest.mark.parametrize("pattern", OBS_MATCH, ids=OBS_MATCH)
def test_obs_table_matches(pattern: str) -> None:
    """spec §7.3 OBS table: these patterns match Caption 'explorer.exe'."""
    assert like_match(pattern, "explorer.exe")


@pytest.mark.parametrize("pattern", OBS_NO_MATCH, ids=OBS_NO_MATCH)
def test_obs_table_does_not_match(pattern: str) -> None:
    """spec §7.3 OBS table: whole-string match, so these do not match."""
    assert not like_match(pattern, "explorer.exe")


CASES = [
    # (pattern, text, expected, id)
    ("abc", "ABC", True, "case-insensitive"),
    ("ab", "abc", False, "whole-string-not-prefix"),
    ("%", "", True, "percent-matches-empty"),
    ("_", "", False, "underscore-needs-one"),
    ("_", "\n", True, "underscore-matches-newline"),
    ("[abc]x", "bx", True, "set-member"),
    ("[abc]x", "dx", False, "set-non-member"),
    ("[a-f]", "C", True, "range-case-insensitive"),
    ("[a-f]", "g", False, "range-outside"),
    ("[a=f]", "d", True, "equals-works-like-dash"),
    ("[a-]", "-", True, "trailing-dash-literal"),
    ("[a-]", "b", False, "trailing-dash-not-range"),
    ("[a=]", "=", True, "trailing-equals-literal"),
    ("[^ad-f]", "b", True, "negated-set-hit"),
    ("[^ad-f]", "e", False, "negated-set-miss"),
    ("[^]", "^", True, "caret-only-is-literal"),
    ("[^]", "a", False, "caret-only-not-any"),
    ("%[_][_]%", "a__b", True, "bracketed-underscores-literal"),
    ("%[_][_]%", "ab", False, "bracketed-underscores-need-underscores"),
    ("[%]", "%", True, "percent-literal-in-brackets"),
    ("[%]", "x", False, "percent-in-brackets-not-wildcard"),
    ("[[]x", "[x", True, "bracket-literal-in-brackets"),
    ("[]", "", False, "empty-set-never-matches"),
    ("[z-a]", "m", False, "reversed-range-empty"),
    ("a.c", "abc", False, "regex-dot-is-literal"),
    ("a*c", "a*c", True, "regex-star-is-literal"),
    ("PCI\\\\%", "PCI\\VEN_8086", True, "doubled-backslash-literal"),
    ("PCI\\\\%", "PCIX", False, "doubled-backslash-needs-backslash"),
    ("[\\\\]", "\\", True, "doubled-backslash-in-brackets"),
]


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [c[:3] for c in CASES],
    ids=[c[3] for c in CASES],
)
def test_like_rules(pattern: str, text: str, expected: bool) -> None:
    """spec §7.3 metacharacter table ([], [^], [^], ranges, literals in brackets)."""
    assert like_match(pattern, text) is expected


@pytest.mark.parametrize(
    "pattern",
    ["PCI\\%", "\\", "a\\b", "[a\\]", "abc[", "[^"],
    ids=["single-backslash-percent", "lone", "mid", "in-brackets", "unclosed", "neg"],
)
def test_bad_patterns(pattern: str) -> None:
    """spec §7.3 OBS / §12 item 12: a single backslash or unclosed [ is an error."""
    with pytest.raises(LikePatternError):
        compile_like(pattern)


def test_backslash_rule_through_the_parser() -> None:
    """spec §7.3 OBS: 4 backslashes in the query text accepted, 2 rejected."""
    ok = parse_wql('SELECT * FROM Win32_PnPEntity WHERE DeviceID LIKE "PCI\\\\\\\\%"')
    assert isinstance(ok, SelectQuery)
    assert ok.where is not None
    with pytest.raises(InvalidQueryError) as info:
        parse_wql('SELECT * FROM Win32_PnPEntity WHERE DeviceID LIKE "PCI\\\\%"')
    assert info.value.hresult == HResult.WBEM_E_INVALID_QUERY
    assert info.value.details["column"] == 51


def test_patterns_are_cached() -> None:
    """spec §7.3: patterns compile once (cache hit returns the same object)."""
    assert compile_like("ab%[c-d]") is compile_like("ab%[c-d]")


@pytest.mark.parametrize(
    ("pattern", "wild", "literal"),
    [("42", False, "42"), ("4%", True, None), ("a_", True, None), ("[1]", True, None)],
    ids=["plain", "percent", "underscore", "bracket"],
)
def test_wildcard_detection(pattern: str, wild: bool, literal: str | None) -> None:
    """spec §7.3: metacharacters on non-string properties are detected."""
    assert like_has_wildcards(pattern) is wild
    if literal is not None:
        assert like_literal(pattern) == literal
