"""Provider discovery: an entry-point provider from a tiny test package, the
providers config file (in-process and isolated), and failures reported, not raised."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import openwmi
from openwmi.errors import HResult, ProviderLoadError
from openwmi.providers import (
    Capabilities,
    QuerySupport,
    capabilities_of,
    load_providers,
    read_config,
)
from openwmi.providers.builtin import configured_images

PLUGIN = '''
class PluginProvider:
    """A whole provider in a few lines: classes, MOF, instances."""

    classes = ["Test_Plugin"]
    mof = "class Test_Plugin { [Key] string Name; string Where; };"

    def enumerate_instances(self, ctx, classname):
        import os
        for name in ("a", "b"):
            yield {"Name": name, "Where": str(os.getpid())}
'''


@pytest.fixture
def plugin_path(tmp_path: Path) -> Iterator[Path]:
    pkg = tmp_path / "owmi_test_plugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(PLUGIN)
    dist = tmp_path / "owmi_test_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: owmi-test-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[openwmi.providers]\nplugin = owmi_test_plugin:PluginProvider\n"
        "broken = owmi_test_plugin_missing:Nothing\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("owmi_test_plugin", None)


def test_entry_point_provider(
    svc: openwmi.Services, plugin_path: Path, tmp_path: Path
) -> None:
    report = load_providers(svc, config=tmp_path / "absent.toml")
    assert ("root/cimv2", "Test_Plugin") in report.registered
    names = sorted(i.Name for i in svc.create_instance_enum("Test_Plugin"))
    assert names == ["a", "b"]
    ((_, err),) = [e for e in report.errors if "broken" in e[0]]
    assert isinstance(err, ProviderLoadError)
    assert err.hresult == HResult.WBEM_E_PROVIDER_LOAD_FAILURE
    assert "owmi_test_plugin_missing" in err.message


def test_config_file_isolated_and_images(
    svc: openwmi.Services, plugin_path: Path, tmp_path: Path
) -> None:
    image = tmp_path / "scratch.img"
    image.write_bytes(bytes(1024))
    config = tmp_path / "providers.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [volumes]
            images = ["{image}"]

            [[provider]]
            factory = "owmi_test_plugin:PluginProvider"
            hosting = "isolated"
            group = "plugins"
            timeout = 10

            [[provider]]
            factory = "not a factory"
            classes = ["X"]
            """
        )
    )
    report = load_providers(svc, use_entry_points=False, config=config)
    assert report.registered == [("root/cimv2", "Test_Plugin")]
    assert report.volume_images == [str(image)]
    assert configured_images(report.volume_images) == [str(image.resolve())]
    where = {i.Where for i in svc.create_instance_enum("Test_Plugin")}
    assert where  # served from the host process
    assert where != {str(os.getpid())}
    ((source, err),) = report.errors
    assert "#2" in source
    assert "module:attribute" in err.message


def test_read_config_missing_and_invalid(tmp_path: Path) -> None:
    assert read_config(tmp_path / "none.toml") == ([], [], [])
    bad = tmp_path / "bad.toml"
    bad.write_text("[[provider]\n")
    with pytest.raises(openwmi.errors.InvalidParameterError):
        read_config(bad)


def test_capabilities_declared_or_derived() -> None:
    class Reader:
        def enumerate_instances(self, ctx, classname):
            return iter(())

        def exec_query(self, ctx, classname, query):
            return iter(())

    caps = capabilities_of(Reader())
    assert caps.enumerate
    assert not caps.get
    assert not caps.methods
    assert caps.query_support is QuerySupport.WQL
    assert caps.post_filter
    assert caps.method_names == ("enumerate_instances", "exec_query")

    class Declared(Reader):
        capabilities = Capabilities(enumerate=True, post_filter=False)

    assert capabilities_of(Declared()).query_support is QuerySupport.NONE
