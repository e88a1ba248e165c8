"""MOF compiled through Services into the SQLite repository (issue 2: MOF)."""

from __future__ import annotations

from pathlib import Path

import pytest

import openwmi
from openwmi import HResult, WbemError

MOF = """
class Demo_Base { [Key] string Name; };
class Demo_Item : Demo_Base { uint32 Size; datetime When; };
instance of Demo_Item as $a { Name = "a"; Size = 1; When = "20240101000000.000000+000"; };
instance of Demo_Item { Name = "b"; Size = 2; };
"""


def test_compile_mof_text(svc: openwmi.Services) -> None:
    counts = svc.compile_mof(MOF)
    assert counts["classes"] == 2
    assert counts["instances"] == 2
    assert svc.get_object("Demo_Item").derivation == ("Demo_Base",)
    assert sorted(i.Size for i in svc.create_instance_enum("Demo_Base")) == [1, 2]


def test_failed_compile_leaves_repository_unchanged(svc: openwmi.Services) -> None:
    """Issue 2: the repository is unchanged after any failed write; errors name
    file:line:column."""
    bad = MOF + '\ninstance of Demo_Item { Name = "c"; Size = -1; };\n'
    with pytest.raises(WbemError) as exc:
        svc.compile_mof(bad, filename="demo.mof")
    assert exc.value.hresult == HResult.WBEM_E_TYPE_MISMATCH
    assert "demo.mof:7:" in exc.value.message
    with pytest.raises(WbemError) as missing:
        svc.get_object("Demo_Item")
    assert missing.value.hresult == HResult.WBEM_E_NOT_FOUND


def test_compile_mof_file_with_include(svc: openwmi.Services, tmp_path: Path) -> None:
    (tmp_path / "base.mof").write_text("class Demo_Inc { [Key] string K; };\n")
    main = tmp_path / "main.mof"
    main.write_text('#pragma include("base.mof")\ninstance of Demo_Inc { K = "x"; };\n')
    svc.compile_mof_file(main)
    assert svc.get_object('Demo_Inc.K="x"').K == "x"
