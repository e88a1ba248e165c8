"""Spec §13 item 15, the WQL conformance checklist, one test per bullet, plus
the layering rule of house-style §2 for the query package."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import openwmi.query
from openwmi.errors import (
    HResult,
    InvalidParameterError,
    InvalidQueryError,
    InvalidQueryTypeError,
)
from openwmi.query import check_query_language, like_match, parse_wql, prepare_query


def test_like_whole_string_table() -> None:
    """§13 item 15: LIKE whole-string semantics with the %, _, [], [^] table."""
    assert like_match("explorer%", "explorer.exe")
    assert not like_match("xplorer.exe", "explorer.exe")
    assert like_match("e_plorer.exe", "explorer.exe")
    assert like_match("[d-f]xplorer.exe", "explorer.exe")
    assert not like_match("[^e]xplorer.exe", "explorer.exe")
    assert like_match("[^]", "^")


def test_case_insensitive_string_comparison(world: Any) -> None:
    """§13 item 15: case-insensitive string comparison (keywords too)."""
    prepared = prepare_query(
        "select * from PROC where NAME = 'IDLE' or caption like 'EXPLORER%'",
        world.resolver,
    )
    assert {i["Name"] for i in world.instances() if prepared.matches(i)} == {
        "idle",
        "explorer.exe",
    }


@pytest.mark.parametrize(
    "where", ["DriveType IS 5", 'FileSystem IS NOT "NTFS"', "a IS TRUE"],
    ids=["is-number", "is-not-string", "is-true"],
)  # fmt: skip
def test_is_only_with_null(where: str) -> None:
    """§13 item 15: IS / IS NOT only with NULL."""
    with pytest.raises(InvalidQueryError) as info:
        parse_wql(f"SELECT * FROM Win32_LogicalDisk WHERE {where}")
    assert info.value.hresult == HResult.WBEM_E_INVALID_QUERY


@pytest.mark.parametrize(
    ("op", "ok"),
    [("=", True), ("!=", True), ("<>", True), ("<", False), ("<=", False),
     (">", False), (">=", False)],
    ids=["eq", "bang-eq", "ne", "lt", "le", "gt", "ge"],
)  # fmt: skip
def test_booleans_only_with_equality(op: str, ok: bool, world: Any) -> None:
    """§13 item 15: booleans only with =, !=, <>."""
    text = f"SELECT * FROM Proc WHERE Enabled {op} TRUE"
    if ok:
        prepare_query(text, world.resolver)
    else:
        with pytest.raises(InvalidQueryError):
            prepare_query(text, world.resolver)


def test_constant_on_either_side(world: Any) -> None:
    """§13 item 15: constant on either side (OBS "NTFS" = FileSystem)."""
    a = prepare_query("SELECT * FROM Proc WHERE 'idle' = Name", world.resolver)
    b = prepare_query("SELECT * FROM Proc WHERE Name = 'idle'", world.resolver)
    assert a.bound.query == b.bound.query
    assert [a.matches(i) for i in world.instances()] == [
        b.matches(i) for i in world.instances()
    ]


@pytest.mark.parametrize("language", ["SQL", "", "WQL2", "CQL"], ids=str)
def test_language_other_than_wql(language: str) -> None:
    """§13 item 15: "SQL" → WBEM_E_INVALID_QUERY_TYPE."""
    with pytest.raises(InvalidQueryTypeError) as info:
        check_query_language(language)
    assert info.value.hresult == HResult.WBEM_E_INVALID_QUERY_TYPE


@pytest.mark.parametrize("language", ["WQL", "wql", " Wql "], ids=str)
def test_wql_any_case(language: str) -> None:
    """issue 3: the language name is case-insensitive."""
    check_query_language(language)


def test_null_language_and_empty_query() -> None:
    """§13 item 15: empty query → WBEM_E_INVALID_PARAMETER (NULL language too)."""
    with pytest.raises(InvalidParameterError):
        check_query_language(None)
    with pytest.raises(InvalidParameterError) as info:
        parse_wql("")
    assert info.value.hresult == HResult.WBEM_E_INVALID_PARAMETER


ALLOWED = {"openwmi.model", "openwmi.errors", "openwmi.constants"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
            elif node.level == 2:  # from ..x import
                found.add(f"openwmi.{node.module}")
    return found


def test_query_layering() -> None:
    """house-style §2: query imports only model and errors (+ lark), never
    asyncio."""
    package = Path(openwmi.query.__file__).parent
    for path in sorted(package.glob("*.py")):
        for name in _imports(path):
            assert name != "asyncio", path
            if name.startswith("openwmi"):
                assert name in ALLOWED, (path.name, name)
