"""The ``openwmi`` command line (issues 2-4): commands, formats, error exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MOF = """
class Cli_Disk { [Key] string DeviceID; uint64 Size; [Indexed] uint32 Kind; };
instance of Cli_Disk { DeviceID = "sda"; Size = 1000; Kind = 3; };
instance of Cli_Disk { DeviceID = "sdb"; Size = 2000; Kind = 2; };
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tmp_path / "repo.sqlite"


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    """Run the real entry point (``python -m openwmi``) in a child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "openwmi", "--repository", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def loaded(repo: Path, tmp_path: Path) -> Path:
    mof = tmp_path / "disk.mof"
    mof.write_text(MOF)
    code, out, _ = invoke(repo, "mof", "compile", str(mof))
    assert code == 0, out
    assert "1 classes, 2 instances" in out
    return repo


def test_namespaces(repo: Path) -> None:
    code, out, _ = invoke(repo, "--format", "json", "namespaces")
    assert code == 0
    names = [json.loads(line)["Name"] for line in out.splitlines()]
    assert {"root", "root/cimv2", "root/interop"} <= set(names)


def test_enum_get_and_query_json(loaded: Path) -> None:
    code, out, _ = invoke(loaded, "--format", "json", "enum", "Cli_Disk")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["DeviceID"] for r in rows) == ["sda", "sdb"]
    code, out, _ = invoke(
        loaded,
        "--format",
        "json",
        "query",
        "SELECT Size FROM Cli_Disk WHERE Size > 1500",
    )
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["Size"] == 2000
    assert row["__PATH"] == 'Cli_Disk.DeviceID="sdb"'
    code, out, _ = invoke(loaded, "get", 'Cli_Disk.DeviceID="sda"')
    assert code == 0
    assert "Size = 1000;" in out


def test_csv_and_table(loaded: Path) -> None:
    code, out, _ = invoke(loaded, "--format", "csv", "query", "SELECT * FROM Cli_Disk")
    assert code == 0
    assert out.splitlines()[0].startswith("__PATH,")
    code, out, _ = invoke(loaded, "query", "SELECT * FROM Cli_Disk WHERE Kind = 3")
    assert code == 0
    assert "sda" in out
    assert "sdb" not in out


def test_explain(loaded: Path) -> None:
    code, out, _ = invoke(
        loaded, "query", "--explain", "SELECT * FROM Cli_Disk WHERE Kind = 3"
    )
    assert code == 0
    assert "index" in out


@pytest.mark.parametrize(
    ("args", "name"),
    [
        pytest.param(("get", 'Nope.X="1"'), "WBEM_E_INVALID_CLASS", id="class"),
        pytest.param(("query", "SELECT * FROM"), "WBEM_E_INVALID_QUERY", id="syntax"),
        pytest.param(("enum", "Nope"), "WBEM_E_INVALID_CLASS", id="enum"),
        pytest.param(
            ("-n", "root/nowhere", "classes"), "WBEM_E_INVALID_NAMESPACE", id="ns"
        ),
        pytest.param(
            ("get", 'Cli_Disk.DeviceID="x'), "WBEM_E_INVALID_OBJECT_PATH", id="path"
        ),
    ],
)
def test_errors_exit_1_with_hresult_name(
    loaded: Path, args: tuple[str, ...], name: str
) -> None:
    """Issue 2: errors print the HRESULT name and message, exit non-zero, no traceback."""
    code, out, err = invoke(loaded, *args)
    assert code == 1
    assert name in err
    assert "Traceback" not in err + out


def test_bad_mof_reports_location(repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mof"
    bad.write_text("class Bad { [Key] string X; uint8 Y = 300; };\n")
    code, _, err = invoke(repo, "mof", "compile", str(bad))
    assert code == 1
    assert "WBEM_E_TYPE_MISMATCH" in err
    assert "bad.mof:1:" in err


def test_schema_load(repo: Path, tmp_path: Path) -> None:
    """Issue 5: ``openwmi schema load DIR`` loads a downloaded DMTF schema (its
    cim_schema_*.mof with includes below it, newest version first)."""
    root = tmp_path / "schema"
    (root / "DMTF" / "Core").mkdir(parents=True)
    (root / "cim_schema_2.9.0.mof").write_text('#pragma include ("nope.mof")\n')
    (root / "cim_schema_2.54.1.mof").write_text(
        '#pragma include ("qualifiers.mof")\n#pragma include ("DMTF/Core/CIM_Thing.mof")\n'
    )
    (root / "qualifiers.mof").write_text(
        "Qualifier Key : boolean = false, Scope(property, reference), "
        "Flavor(DisableOverride, ToSubclass);\n"
    )
    (root / "DMTF" / "Core" / "CIM_Thing.mof").write_text(
        "class CIM_Thing { [Key] string InstanceID; };\n"
    )
    code, out, err = invoke(repo, "-n", "root/default", "schema", "load", str(root))
    assert code == 0, err
    assert "1 classes" in out
    code, out, _ = invoke(repo, "-n", "root/default", "get", "CIM_Thing")
    assert code == 0
    assert "InstanceID" in out
    code, _, err = invoke(repo, "schema", "load", str(tmp_path))
    assert code == 1
    assert "WBEM_E_NOT_FOUND" in err
