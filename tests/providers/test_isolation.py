"""Isolated provider hosts: objects, progress and cancellation cross the process
boundary; a crash, a hang and a load failure each end in the right WbemError
and the object manager stays up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openwmi
from openwmi.constants import WBEM_FLAG_SEND_STATUS
from openwmi.errors import HResult, NotFoundError, WbemError
from openwmi.model import ObjectPath
from openwmi.providers import IsolatedProvider, ProviderHost
from openwmi.testing import FakeClock, RecordingSink, assert_call_invariants, wait_until

PROVIDERS = """
import os, sys, threading

class Counting:
    def __init__(self, n=1000, marker=None):
        self.n, self.marker = n, marker

    def enumerate_instances(self, ctx, classname):
        print("printing to stdout must not break the protocol")
        i = 0
        try:
            while self.n < 0 or i < self.n:
                yield {"Name": "n%d" % i, "V": i}
                i += 1
        finally:
            if self.marker:
                open(self.marker, "w").write(str(i))

    def get_instance(self, ctx, path):
        name = path.key("Name")
        if name == "missing":
            from openwmi.errors import NotFoundError
            raise NotFoundError("no such thing here")
        return {"Name": name, "V": len(name)}

    def invoke_method(self, ctx, path, method, params):
        if method == "Crash":
            os._exit(3)
        if method == "Hang":
            threading.Event().wait()
        if method == "Fail":
            raise RuntimeError("boom")
        if method == "Progress":
            for p in (10, 50, 90):
                ctx.progress(p, "at %d" % p)
            return {"ReturnValue": 0}
        if method == "Whoami":
            return {"ReturnValue": 0, "Msg": str(ctx.user), "Pid": os.getpid()}
        return {"ReturnValue": 1}

class CrashInEnum:
    def enumerate_instances(self, ctx, classname):
        for i in range(3):
            yield {"Name": "c%d" % i, "V": i}
        os._exit(5)

class HangInEnum:
    def enumerate_instances(self, ctx, classname):
        yield {"Name": "first", "V": 1}
        threading.Event().wait()

def factory_fails():
    raise RuntimeError("cannot start: no licence")
"""

MOF = """
class T_Iso {
    [Key] string Name;
    uint32 V;
    [Static] uint32 Crash();
    [Static] uint32 Hang();
    [Static] uint32 Fail();
    [Static] uint32 Progress();
    [Static] uint32 Whoami([Out] string Msg, [Out] uint32 Pid);
};
"""


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    (tmp_path / "iso_fixture_providers.py").write_text(PROVIDERS)
    (tmp_path / "iso_fixture_broken.py").write_text(
        "raise ImportError('broken on purpose')\n"
    )
    return tmp_path


@pytest.fixture
def iso(svc: openwmi.Services) -> openwmi.Services:
    svc.compile_mof(MOF)
    return svc


@pytest.fixture
def make_host(plugin_dir: Path) -> Iterator[Any]:
    hosts: list[ProviderHost] = []

    def make(**kw: Any) -> ProviderHost:
        kw.setdefault("sys_path", [str(plugin_dir)])
        kw.setdefault("backoff", 0.0)
        host = ProviderHost("test", **kw)
        hosts.append(host)
        return host

    yield make
    for h in hosts:
        h.close()


def _provider(
    host: ProviderHost, name: str = "Counting", **kwargs: Any
) -> IsolatedProvider:
    return IsolatedProvider(f"iso_fixture_providers:{name}", host=host, kwargs=kwargs)


def test_objects_cross_the_boundary(iso: openwmi.Services, make_host: Any) -> None:
    host = make_host()
    iso.register_provider("T_Iso", _provider(host))
    objs = list(iso.create_instance_enum("T_Iso"))
    assert [o.V for o in objs] == list(range(1000))
    assert objs[5].Name == "n5"
    assert host.pid is not None
    assert host.pid != os.getpid()
    got = iso.get_object('T_Iso.Name="abc"')
    assert got.V == 3
    with pytest.raises(
        NotFoundError
    ) as exc:  # a WbemError raised in the host passes through
        iso.get_object('T_Iso.Name="missing"')
    assert "no such thing here" in exc.value.message


def test_provider_exception_is_provider_failure(
    iso: openwmi.Services, make_host: Any
) -> None:
    iso.register_provider("T_Iso", _provider(make_host()))
    with pytest.raises(WbemError) as exc:
        iso.exec_method("T_Iso", "Fail")
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_FAILURE
    assert "boom" in exc.value.message
    assert iso.exec_method("T_Iso", "Progress").ReturnValue == 0  # host still serves


def test_progress_crosses_the_boundary(iso: openwmi.Services, make_host: Any) -> None:
    iso.register_provider("T_Iso", _provider(make_host()))
    sink = RecordingSink()
    iso.exec_method_async("T_Iso", "Progress", None, sink, WBEM_FLAG_SEND_STATUS)
    engine = iso._shared.engine()
    assert assert_call_invariants(sink, engine) == HResult.WBEM_S_NO_ERROR
    assert [(hr & 0xFFFF, msg) for hr, msg in sink.progress] == [
        (10, "at 10"),
        (50, "at 50"),
        (90, "at 90"),
    ]


def test_cancel_crosses_the_boundary(
    iso: openwmi.Services, make_host: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "closed"
    iso.register_provider("T_Iso", _provider(make_host(), n=-1, marker=str(marker)))
    sink = RecordingSink()
    iso.create_instance_enum_async("T_Iso", sink)
    sink.wait_objects(1)
    iso.cancel_async_call(sink)
    assert sink.wait_final() == HResult.WBEM_E_CALL_CANCELLED
    wait_until(marker.exists)  # the host closed the provider's generator
    assert int(marker.read_text()) > 0
    assert_call_invariants(sink, iso._shared.engine())
    assert (
        iso.exec_method("T_Iso", "Progress").ReturnValue == 0
    )  # the host still serves


def test_context_crosses_the_boundary(make_host: Any) -> None:
    class Ctx:
        flags = 0
        user = "alice"
        cancelled = False

        def __init__(self) -> None:
            self.progressed: list[tuple[int, str | None]] = []

        def progress(self, percent: int, message: str | None = None) -> None:
            self.progressed.append((percent, message))

    prov = _provider(make_host())
    out = prov.invoke_method(Ctx(), ObjectPath("T_Iso"), "Whoami", {})
    assert out["Msg"] == "alice"
    assert out["Pid"] != os.getpid()
    ctx = Ctx()
    prov.invoke_method(ctx, ObjectPath("T_Iso"), "Progress", {})
    assert [p for p, _ in ctx.progressed] == [10, 50, 90]


def test_crash_fails_the_call_and_host_restarts_after_backoff(
    iso: openwmi.Services, make_host: Any
) -> None:
    clock = FakeClock()
    host = make_host(backoff=1.0, clock=clock.now)
    iso.register_provider("T_Iso", _provider(host))
    first_pid = iso.exec_method("T_Iso", "Whoami").Pid
    with pytest.raises(WbemError) as exc:
        iso.exec_method("T_Iso", "Crash")
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_FAILURE
    assert "exit status 3" in exc.value.message
    with pytest.raises(WbemError) as exc:  # within the back-off: fails at once
        iso.exec_method("T_Iso", "Whoami")
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_FAILURE
    assert "back-off" in exc.value.message
    clock.advance(1.0)
    assert iso.exec_method("T_Iso", "Whoami").Pid != first_pid
    assert host.starts == 2


def test_crash_during_enumeration(iso: openwmi.Services, make_host: Any) -> None:
    iso.register_provider("T_Iso", _provider(make_host(), "CrashInEnum"))
    sink = RecordingSink()
    iso.create_instance_enum_async("T_Iso", sink)
    assert sink.wait_final() == HResult.WBEM_E_PROVIDER_FAILURE
    assert_call_invariants(sink, iso._shared.engine())
    with pytest.raises(WbemError) as exc:
        list(iso.create_instance_enum("T_Iso"))
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_FAILURE


def test_restart_limit_disables_the_host(iso: openwmi.Services, make_host: Any) -> None:
    host = make_host(restart_limit=2)
    iso.register_provider("T_Iso", _provider(host))
    for _ in range(2):
        with pytest.raises(WbemError) as exc:
            iso.exec_method("T_Iso", "Crash")
        assert exc.value.hresult == HResult.WBEM_E_PROVIDER_FAILURE
    with pytest.raises(WbemError) as exc:
        iso.exec_method("T_Iso", "Whoami")
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_DISABLED
    assert "restart limit 2" in exc.value.message
    host.reset()
    assert iso.exec_method("T_Iso", "Whoami").ReturnValue == 0
    assert host.starts == 3


def test_hung_provider_times_out(iso: openwmi.Services, make_host: Any) -> None:
    host = make_host(timeout=0.5)
    iso.register_provider("T_Iso", _provider(host))
    hung_pid = iso.exec_method("T_Iso", "Whoami").Pid
    with pytest.raises(WbemError) as exc:
        iso.exec_method("T_Iso", "Hang")
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_TIMED_OUT
    assert "0.5 s" in exc.value.message
    assert iso.exec_method("T_Iso", "Whoami").Pid != hung_pid  # a fresh host


def test_hung_enumeration_times_out(iso: openwmi.Services, make_host: Any) -> None:
    iso.register_provider("T_Iso", _provider(make_host(timeout=0.5), "HangInEnum"))
    sink = RecordingSink()
    iso.create_instance_enum_async("T_Iso", sink)
    assert sink.wait_final() == HResult.WBEM_E_PROVIDER_TIMED_OUT
    assert [o.Name for o in sink.objects] == ["first"]


@pytest.mark.parametrize(
    ("factory", "needle"),
    [
        pytest.param(
            "iso_fixture_broken:Thing", "broken on purpose", id="import-error"
        ),
        pytest.param(
            "iso_fixture_missing_module:Thing", "No module named", id="no-module"
        ),
        pytest.param("iso_fixture_providers:Nope", "Nope", id="no-attribute"),
        pytest.param(
            "iso_fixture_providers:factory_fails", "no licence", id="factory-raises"
        ),
    ],
)
def test_load_failure(
    iso: openwmi.Services, make_host: Any, factory: str, needle: str
) -> None:
    host = make_host()
    iso.register_provider("T_Iso", IsolatedProvider(factory, host=host))
    with pytest.raises(WbemError) as exc:
        list(iso.create_instance_enum("T_Iso"))
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_LOAD_FAILURE
    assert needle in exc.value.message
    with pytest.raises(WbemError) as exc:  # retried, still failing, host alive
        iso.get_object('T_Iso.Name="x"')
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_LOAD_FAILURE
    assert host.pid is not None


def test_group_shares_one_host(iso: openwmi.Services, make_host: Any) -> None:
    iso.compile_mof("class T_Iso2 { [Key] string Name; uint32 V; };")
    host = make_host()
    iso.register_provider("T_Iso", _provider(host, n=3))
    iso.register_provider("T_Iso2", _provider(host, n=2))
    assert len(list(iso.create_instance_enum("T_Iso"))) == 3
    assert len(list(iso.create_instance_enum("T_Iso2"))) == 2
    assert host.starts == 1


def test_missing_operation_is_not_capable(
    iso: openwmi.Services, make_host: Any
) -> None:
    prov = IsolatedProvider(
        "iso_fixture_providers:Counting",
        host=make_host(),
        operations=("enumerate_instances",),
    )
    assert not hasattr(prov, "invoke_method")
    iso.register_provider("T_Iso", prov)
    with pytest.raises(WbemError) as exc:
        iso.exec_method("T_Iso", "Progress")
    assert exc.value.hresult == HResult.WBEM_E_METHOD_NOT_IMPLEMENTED
    with pytest.raises(WbemError) as exc:
        iso.get_object('T_Iso.Name="x"')
    assert exc.value.hresult == HResult.WBEM_E_PROVIDER_NOT_CAPABLE


def test_builtin_providers_isolated(svc: openwmi.Services) -> None:
    from openwmi.providers import install_builtin

    host = ProviderHost("builtin")
    try:
        install_builtin(svc, hosting="isolated", host=host)
        procs = {p.ProcessId for p in svc.create_instance_enum("Win32_Process")}
        assert os.getpid() in procs
        assert host.pid in procs
        assert (
            svc.get_object(f'Win32_Process.Handle="{os.getpid()}"').ProcessId
            == os.getpid()
        )
        assert svc.get_object("Win32_OperatingSystem=@").OSType == 36
    finally:
        host.close()
