"""The call modes of ``Services`` over the embedded object manager (issue 4 wiring).

These exercise the client layer end to end (Services → engine → local source →
object manager → repository/provider); the engine's own conformance suite is in
tests/engine. Spec = shared/spec/wmi-semantics.md.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import pytest

import openwmi
from openwmi import (
    WBEM_FLAG_FORWARD_ONLY,
    WBEM_FLAG_RETURN_IMMEDIATELY,
    WBEM_INFINITE,
    CIMClass,
    CIMMethod,
    CIMParameter,
    CIMProperty,
    CIMType,
    HResult,
    NocaseDict,
    Qualifier,
    WbemError,
)
from openwmi.engine import CollectingSink
from openwmi.model import qualifier_dict

KEY = qualifier_dict([Qualifier("Key", True)])
OUT = qualifier_dict([Qualifier("In", False), Qualifier("Out", True)])


@pytest.fixture
def data(svc: openwmi.Services) -> openwmi.Services:
    svc.put_class(
        CIMClass(
            "T_Item",
            properties=NocaseDict(
                {
                    "Name": CIMProperty("Name", CIMType.STRING, qualifiers=KEY),
                    "V": CIMProperty("V", CIMType.UINT32),
                }
            ),
        )
    )
    for i in range(50):
        svc.put_instance(svc.spawn_instance("T_Item", Name=f"n{i:02d}", V=i))
    svc.put_class(
        CIMClass(
            "T_Prov",
            properties=NocaseDict(
                {"Id": CIMProperty("Id", CIMType.UINT32, qualifiers=KEY)}
            ),
            methods=NocaseDict(
                {
                    "Run": CIMMethod(
                        "Run",
                        CIMType.UINT32,
                        NocaseDict(
                            {
                                "X": CIMParameter("X", CIMType.UINT32),
                                "Msg": CIMParameter(
                                    "Msg", CIMType.STRING, qualifiers=OUT
                                ),
                            }
                        ),
                        qualifier_dict([Qualifier("Static", True)]),
                    )
                }
            ),
        )
    )
    return svc


class GatedProvider:
    """Yields ids; after ``stop_after`` items waits on ``release`` (a gate, no sleeps)."""

    def __init__(self, total: int, stop_after: int) -> None:
        self.total, self.stop_after = total, stop_after
        self.reached = threading.Event()
        self.release = threading.Event()
        self.produced = 0
        self.closed = threading.Event()
        self.method_done = threading.Event()
        self.side_effect: list[int] = []

    def enumerate_instances(self, ctx: Any, classname: str) -> Any:
        try:
            for i in range(self.total):
                if i == self.stop_after:
                    self.reached.set()
                    self.release.wait(10)
                if ctx.cancelled:
                    return
                self.produced += 1
                yield {"Id": i}
        finally:
            self.closed.set()

    def invoke_method(
        self, ctx: Any, path: Any, method: str, params: dict[str, Any]
    ) -> Any:
        self.reached.set()
        self.release.wait(10)
        self.side_effect.append(params.get("X", 0))
        self.method_done.set()
        return {"ReturnValue": 0, "Msg": "done"}


def test_async_enum_delivers_then_one_final_status(data: openwmi.Services) -> None:
    """spec §1.2 step 4: Indicate* then exactly one SetStatus(COMPLETE, hr)."""
    sink = CollectingSink()
    data.create_instance_enum_async("T_Item", sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert sorted(o.Name for o in sink.objects) == [f"n{i:02d}" for i in range(50)]


def test_async_start_failure_never_touches_sink(data: openwmi.Services) -> None:
    """spec §1.2 step 1 / §13 item 1: a call that cannot start raises, sink untouched."""
    sink = CollectingSink()
    with pytest.raises(WbemError) as exc:
        data.create_instance_enum_async("T_Nope", sink)
    assert exc.value.hresult == HResult.WBEM_E_INVALID_CLASS
    with pytest.raises(WbemError) as exc:
        data.create_instance_enum_async("T_Item", None)  # type: ignore[arg-type]
    assert exc.value.hresult == HResult.WBEM_E_INVALID_PARAMETER
    with pytest.raises(WbemError) as exc:
        data.create_instance_enum_async("T_Item", sink, WBEM_FLAG_RETURN_IMMEDIATELY)
    assert exc.value.hresult == HResult.WBEM_E_INVALID_PARAMETER
    assert sink.objects == []
    assert sink.status is None


def test_async_errors_after_start_come_through_set_status(
    data: openwmi.Services,
) -> None:
    """spec §1.3: GetObjectAsync path lookup → WBEM_E_NOT_FOUND via SetStatus."""
    sink = CollectingSink()
    data.get_object_async('T_Item.Name="missing"', sink)
    assert sink.wait(10) == HResult.WBEM_E_NOT_FOUND
    assert sink.objects == []


def test_put_instance_async_path_in_set_status(data: openwmi.Services) -> None:
    """spec §3.2: for PutInstanceAsync SetStatus carries the new object path."""
    sink = CollectingSink()
    data.put_instance_async(data.spawn_instance("T_Item", Name="new", V=1), sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert sink.message == 'T_Item.Name="new"'
    assert data.get_object('T_Item.Name="new"').V == 1


def test_cancel_reaches_provider_enumeration(data: openwmi.Services) -> None:
    """design.md: cancellation reaches the provider for enumerations; spec §2.6 rule 2."""
    prov = GatedProvider(total=10_000, stop_after=5)
    data.register_provider("T_Prov", prov)
    sink = CollectingSink()
    data.create_instance_enum_async("T_Prov", sink)
    assert prov.reached.wait(10)
    assert data.cancel_async_call(sink) == HResult.WBEM_S_NO_ERROR
    prov.release.set()
    assert sink.wait(10) == HResult.WBEM_E_CALL_CANCELLED
    assert prov.closed.wait(10)  # the provider's generator was closed
    assert prov.produced < 10_000
    with pytest.raises(WbemError) as exc:
        data.cancel_async_call(sink)  # no live call any more
    assert exc.value.hresult == HResult.WBEM_E_INVALID_PARAMETER


def test_cancelled_method_runs_to_completion(data: openwmi.Services) -> None:
    """spec §2.6 rule 5 / §13 item 7: the client sees WBEM_E_CALL_CANCELLED, the
    provider is not told, runs to completion, and its side effect stays."""
    prov = GatedProvider(total=0, stop_after=0)
    data.register_provider("T_Prov", prov)
    sink = CollectingSink()
    data.exec_method_async("T_Prov", "Run", {"X": 7}, sink)
    assert prov.reached.wait(10)
    data.cancel_async_call(sink)
    assert sink.wait(10) == HResult.WBEM_E_CALL_CANCELLED
    prov.release.set()
    assert prov.method_done.wait(10)
    assert prov.side_effect == [7]
    assert sink.objects == []  # late out-parameters dropped


def test_exec_method_sync_and_errors(data: openwmi.Services) -> None:
    """spec §4.2 ExecMethod: out-params in __PARAMETERS with ReturnValue; method
    names are case-insensitive; unknown method / bad parameter / no provider."""
    prov = GatedProvider(total=0, stop_after=0)
    prov.release.set()
    with pytest.raises(WbemError) as exc:
        data.exec_method("T_Prov", "Run", {"X": 1})
    assert exc.value.name == "WBEM_E_METHOD_NOT_IMPLEMENTED"
    data.register_provider("T_Prov", prov)
    out = data.exec_method("T_Prov", "rUN", {"X": 1})
    assert out.classname == "__PARAMETERS"
    assert out.ReturnValue == 0
    assert out.Msg == "done"
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("Nope", {}, "WBEM_E_INVALID_METHOD"),
        ("Run", {"Msg": "x"}, "WBEM_E_INVALID_METHOD_PARAMETERS"),
        ("Run", {"X": -1}, "WBEM_E_INVALID_METHOD_PARAMETERS"),
    ]
    for method, params, name in cases:
        with pytest.raises(WbemError) as exc:
            data.exec_method("T_Prov", method, params)
        assert exc.value.name == name


def test_semisync_enumerator_codes(data: openwmi.Services) -> None:
    """spec §5.1 Next: exact count → S_OK, short at end → S_FALSE; forward-only
    reset → WBEM_E_INVALID_OPERATION."""
    enum = data.create_instance_enum(
        "T_Item", WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY
    )
    hr, objs = enum.next(WBEM_INFINITE, 10)  # type: ignore[union-attr]
    assert hr == HResult.WBEM_S_NO_ERROR
    assert len(objs) == 10
    hr, objs = enum.next(WBEM_INFINITE, 100)  # type: ignore[union-attr]
    assert hr == HResult.WBEM_S_FALSE
    assert len(objs) == 40
    with pytest.raises(WbemError) as exc:
        enum.reset()  # type: ignore[union-attr]
    assert exc.value.hresult == HResult.WBEM_E_INVALID_OPERATION


def test_semisync_get_object_call_result(data: openwmi.Services) -> None:
    """spec §5.2: GetObject with RETURN_IMMEDIATELY gives an IWbemCallResult."""
    result = data.get_object('T_Item.Name="n01"', WBEM_FLAG_RETURN_IMMEDIATELY)
    hr, obj = result.get_result_object(WBEM_INFINITE)
    assert hr == HResult.WBEM_S_NO_ERROR
    assert obj.V == 1


def test_asyncio_facade(data: openwmi.Services) -> None:
    """Issue 4: ``async for`` over an enumeration and awaitable single calls."""

    async def main() -> tuple[int, int]:
        count = 0
        async for _ in data.aio.create_instance_enum("T_Item"):
            count += 1
        obj = await data.aio.get_object('T_Item.Name="n07"')
        return count, obj.V

    assert asyncio.run(main()) == (50, 7)


def test_engine_releases_sink_after_final_status(data: openwmi.Services) -> None:
    """spec §3.2: after the final SetStatus the sink is released (weakref shows it)."""
    sink = CollectingSink()
    ref = weakref.ref(sink)
    data.create_instance_enum_async("T_Item", sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    del sink
    import gc

    gc.collect()
    assert ref() is None


def test_close_ends_pending_calls_with_shutting_down(data: openwmi.Services) -> None:
    """Issue 4 shutdown: close() ends every pending call with WBEM_E_SHUTTING_DOWN."""
    prov = GatedProvider(total=100, stop_after=1)
    data.register_provider("T_Prov", prov)
    sink = CollectingSink()
    data.create_instance_enum_async("T_Prov", sink)
    assert prov.reached.wait(10)
    closer = threading.Thread(target=data.close)
    closer.start()
    assert sink.wait(10) == HResult.WBEM_E_SHUTTING_DOWN
    prov.release.set()
    closer.join(10)
    assert not closer.is_alive()


def test_sync_calls_give_providers_a_context(data: openwmi.Services) -> None:
    """Issue 4 provider contract: ``ctx`` carries ``cancelled`` and ``progress()``
    in every mode, synchronous calls included."""
    seen: list[Any] = []

    class Prov:
        def enumerate_instances(self, ctx: Any, classname: str) -> Any:
            seen.append(ctx.cancelled)
            ctx.progress(50, "half")
            yield {"Id": 1}

        def invoke_method(self, ctx: Any, path: Any, method: str, params: Any) -> Any:
            seen.append(ctx.cancelled)
            return {"ReturnValue": 0}

    data.register_provider("T_Prov", Prov())
    assert [o.Id for o in data.create_instance_enum("T_Prov")] == [1]
    assert data.exec_method("T_Prov", "Run", {"X": 1}).ReturnValue == 0
    assert seen == [False, False]
