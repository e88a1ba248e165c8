"""Hygiene of the engine package and its tests (house-style §1, §2, §5, §6)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import openwmi.engine
import openwmi.testing

ENGINE = Path(openwmi.engine.__file__).parent
TESTING = Path(openwmi.testing.__file__).parent
TESTS = Path(__file__).parent
ALLOWED_OPENWMI = {"openwmi.errors", "openwmi.constants"}


def _modules(root: Path) -> list[Path]:
    return sorted(root.glob("*.py"))


def test_engine_imports_only_errors_constants_and_stdlib() -> None:
    """House-style §2 / issue brief: the engine knows nothing of the object manager or wire."""
    for path in _modules(ENGINE):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.startswith("openwmi"):
                    assert node.module in ALLOWED_OPENWMI, f"{path.name}: {node.module}"
                assert node.module.split(".")[0] != "socket", path.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("openwmi"), (
                        f"{path.name}: {alias.name}"
                    )
                    assert alias.name != "socket", path.name


def test_modules_are_small_and_say_what_they_own() -> None:
    """House-style §1/§6: modules stay small; each opens with a docstring naming what it owns
    and what it must not import."""
    for path in _modules(ENGINE) + _modules(TESTING):
        text = path.read_text()
        assert len(text.splitlines()) < 900, path.name
        doc = ast.get_docstring(ast.parse(text))
        assert doc, path.name
        assert "import" in doc.lower(), f"{path.name}: say what it must not import"


def test_all_is_sorted_and_complete() -> None:
    """House-style §1: literal, sorted __all__; every name exported once and importable."""
    for mod in (openwmi.engine, openwmi.testing):
        names = list(mod.__all__)
        assert names == sorted(names), mod.__name__
        assert len(set(names)) == len(names)
        for name in names:
            assert hasattr(mod, name), name


def test_every_engine_test_names_its_rule_and_nothing_sleeps() -> None:
    """House-style §5: tests name the spec section or decision they check; no real sleeps."""
    rule = re.compile(r"§|design\.md|[Ii]ssue 4|[Hh]ouse-style|decision")
    sleep = re.compile(r"\bsleep\(\s*(?!0\s*\))")
    for path in sorted(TESTS.glob("test_*.py")):
        text = path.read_text()
        assert not sleep.search(text), f"{path.name} sleeps"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = ast.get_docstring(node) or ""
                assert rule.search(doc), f"{path.name}::{node.name} names no rule"
