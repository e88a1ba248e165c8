"""The public surface and the layering rules (house-style §1, §2)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import openwmi
from openwmi import constants, errors

SRC = Path(openwmi.__file__).parent

# package → openwmi packages it must never import (house-style §2)
FORBIDDEN: dict[str, set[str]] = {
    "errors": {
        "model",
        "query",
        "repository",
        "providers",
        "manager",
        "engine",
        "protocol",
        "server",
        "client",
        "cli",
    },
    "constants": {
        "model",
        "query",
        "repository",
        "providers",
        "manager",
        "engine",
        "protocol",
        "server",
        "client",
        "cli",
    },
    "model": {
        "query",
        "repository",
        "providers",
        "manager",
        "engine",
        "protocol",
        "server",
        "client",
        "cli",
    },
    "query": {
        "repository",
        "providers",
        "manager",
        "engine",
        "protocol",
        "server",
        "client",
        "cli",
    },
    "repository": {
        "query",
        "providers",
        "manager",
        "engine",
        "protocol",
        "server",
        "client",
        "cli",
    },
    "mof": {"repository", "manager", "engine", "protocol", "server", "client", "cli"},
    "manager": {"engine", "protocol", "server", "client", "cli"},
    "engine": {"manager", "protocol", "server", "client", "cli", "repository", "query"},
    "protocol": {"engine", "manager", "server", "client", "cli"},
    "server": {"client", "engine", "cli"},
    "client": {"server", "cli"},
    "providers": {
        "repository",
        "manager",
        "engine",
        "protocol",
        "server",
        "client",
        "cli",
    },
    "cli": {"engine", "repository", "query", "protocol", "mof"},
}
# stdlib modules a package must not import
FORBIDDEN_STDLIB: dict[str, set[str]] = {
    "errors": {"asyncio"},
    "model": {"asyncio", "socket", "xml", "sqlite3"},
    "query": {"asyncio", "socket", "sqlite3"},
    "repository": {"asyncio", "socket"},
    "engine": {"socket", "sqlite3"},
    "protocol": {"asyncio", "socket"},
}


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported openwmi package or stdlib top module, line) for one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    depth_pkg = path.relative_to(SRC).parts
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")
                if top[0] == "openwmi" and len(top) > 1:
                    out.append(("openwmi." + top[1], node.lineno))
                else:
                    out.append((top[0], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[0] == "openwmi" and len(parts) > 1:
                    out.append(("openwmi." + parts[1], node.lineno))
                else:
                    out.append((parts[0], node.lineno))
            elif node.level > 0:
                # resolve relative import against the file's package path
                base = list(depth_pkg[:-1])
                up = node.level - 1
                base = base[: len(base) - up] if up else base
                target = [*base, *(node.module.split(".") if node.module else [])]
                if target:
                    out.append(("openwmi." + target[0], node.lineno))
                elif node.module is None:
                    out.extend(("openwmi." + a.name, node.lineno) for a in node.names)
    return out


SOURCES = sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_layering(path: Path) -> None:
    """Each package imports only the layers below it (house-style §2)."""
    pkg = _package_of(path)
    bad_pkgs = FORBIDDEN.get(pkg, set())
    bad_std = FORBIDDEN_STDLIB.get(pkg, set())
    for name, line in _imports(path):
        if name.startswith("openwmi."):
            assert name.removeprefix("openwmi.") not in bad_pkgs, (
                f"{path.relative_to(SRC)}:{line} imports {name} ({pkg} must not)"
            )
        else:
            assert name not in bad_std, f"{path.relative_to(SRC)}:{line} imports {name}"


def test_all_is_sorted_and_unique() -> None:
    assert list(openwmi.__all__) == sorted(openwmi.__all__)
    assert len(set(openwmi.__all__)) == len(openwmi.__all__)
    for name in openwmi.__all__:
        assert hasattr(openwmi, name), name


def test_every_constant_and_hresult_is_exported() -> None:
    """Issue 2: every WBEM_* code of spec §9 and flag of spec §4.1 is an openwmi constant."""
    for name in dir(constants):
        if name.startswith("WBEM"):
            assert getattr(openwmi, name) == getattr(constants, name), name
    for name, member in errors.HResult.__members__.items():
        assert getattr(openwmi, name) == member, name
    assert openwmi.WBEM_E_NOT_FOUND == 0x80041002
    assert openwmi.WbemError is errors.WbemError


def test_no_sleeps_in_tests() -> None:
    """House-style §5: no real sleeps order events in tests."""
    pattern = re.compile(r"\bsleep\(\s*(?!0\s*\)|0\.0\s*\))[^)]")
    offenders = []
    for path in Path(__file__).parent.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if (
                pattern.search(line)
                and "noqa: sleep" not in line
                and path.name != Path(__file__).name
            ):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
