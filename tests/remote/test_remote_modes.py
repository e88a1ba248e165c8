"""The WMI call modes over the remote source: async calls with sinks and
``cancel_async_call`` (reaching the server-side provider through
CloseEnumeration), semisynchronous enumerators and call results, and the
asyncio facade. Ordering uses handshakes (events), never sleeps."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from openwmi import (
    WBEM_FLAG_FORWARD_ONLY,
    WBEM_FLAG_RETURN_IMMEDIATELY,
    WBEM_INFINITE,
    HResult,
    WbemError,
)
from openwmi.engine import CollectingSink

from .conftest import NS, Env

SEMISYNC = WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY


class FirstBatchSink(CollectingSink):
    """Sets ``reached`` on the first ``indicate``."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = threading.Event()
        self.finals: list[int] = []

    def indicate(self, objects: list[Any]) -> int:
        self.reached.set()
        return super().indicate(objects)

    def set_status(
        self, flags: int, hresult: int, message: str | None, obj: Any
    ) -> int:
        if flags == 0:
            self.finals.append(hresult)
        return super().set_status(flags, hresult, message, obj)


# --- async with sinks ------------------------------------------------------------------


def test_async_enumeration_and_query(env: Env) -> None:
    sink = CollectingSink()
    env.svc.create_instance_enum_async("R_Base", sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert sorted(o["Name"] for o in sink.objects) == ["a", "b", "s"]
    sink = CollectingSink()
    env.svc.exec_query_async("SELECT Name FROM R_Base WHERE N = 2", sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert [o["Name"] for o in sink.objects] == ["b"]


def test_cancel_async_enumeration_closes_the_server_provider(env: Env) -> None:
    sink = FirstBatchSink()
    env.svc.create_instance_enum_async("R_Endless", sink)
    assert sink.reached.wait(10)
    assert env.svc.cancel_async_call(sink) == HResult.WBEM_S_NO_ERROR
    assert sink.status == HResult.WBEM_E_CALL_CANCELLED  # delivered synchronously
    # the pull loop stops, sends CloseEnumeration, the server closes the provider
    assert env.endless.closed.wait(10)
    assert sink.finals == [HResult.WBEM_E_CALL_CANCELLED]
    with pytest.raises(WbemError) as info:
        env.svc.cancel_async_call(sink)
    assert info.value.hresult == HResult.WBEM_E_INVALID_PARAMETER
    # the same connection still serves calls
    assert env.svc.get_object('R_Base.Name="a"')["N"] == 1


def test_cancel_async_query_closes_the_server_provider(env: Env) -> None:
    sink = FirstBatchSink()
    env.svc.exec_query_async("SELECT * FROM R_Endless", sink)
    assert sink.reached.wait(10)
    env.svc.cancel_async_call(sink)
    assert env.endless.closed.wait(10)
    assert sink.finals == [HResult.WBEM_E_CALL_CANCELLED]


def test_async_single_calls(env: Env) -> None:
    svc = env.svc
    sink = CollectingSink()
    svc.get_object_async('R_Base.Name="b"', sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert sink.objects[0]["N"] == 2
    sink = CollectingSink()
    svc.get_object_async('R_Base.Name="zz"', sink)
    assert sink.wait(10) == HResult.WBEM_E_NOT_FOUND
    sink = CollectingSink()
    svc.put_instance_async(svc.spawn_instance("R_Base", Name="c", N=4), sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert sink.result_string == 'R_Base.Name="c"'
    sink = CollectingSink()
    svc.delete_instance_async('R_Base.Name="c"', sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    sink = CollectingSink()
    svc.create_class_enum_async("R_Base", sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert [c.name for c in sink.objects] == ["R_Sub"]
    sink = CollectingSink()
    svc.exec_method_async("R_Calc", "Add", {"A": 1, "B": 2}, sink)
    assert sink.wait(10) == HResult.WBEM_S_NO_ERROR
    assert sink.objects[0]["Sum"] == 3


def test_cancelled_method_call_runs_to_completion_on_the_server(env: Env) -> None:
    sink = FirstBatchSink()
    env.svc.exec_method_async("R_Calc", "Slow", {"Text": "t"}, sink)
    assert env.methods.slow.reached.wait(10)  # the request reached the provider
    env.svc.cancel_async_call(sink)
    assert sink.status == HResult.WBEM_E_CALL_CANCELLED
    env.methods.slow.release.set()
    assert env.methods.slow_done.wait(10)  # the provider was never told
    assert sink.finals == [HResult.WBEM_E_CALL_CANCELLED]
    assert sink.objects == []  # its late result is dropped
    assert env.svc.exec_method("R_Calc", "Add", {"A": 1, "B": 1})["Sum"] == 2


# --- semisynchronous --------------------------------------------------------------------


def test_semisync_next_codes(env: Env) -> None:
    en: Any = env.svc.create_instance_enum("R_Base", SEMISYNC)
    hr, objs = en.next(WBEM_INFINITE, 2)
    assert hr == HResult.WBEM_S_NO_ERROR
    assert len(objs) == 2
    hr, objs = en.next(WBEM_INFINITE, 5)
    assert hr == HResult.WBEM_S_FALSE
    assert len(objs) == 1
    assert en.next(WBEM_INFINITE, 1) == (HResult.WBEM_S_FALSE, [])
    en.close()


def test_semisync_query_error_reported_by_next(env: Env) -> None:
    en: Any = env.svc.exec_query("SELECT * FROM R_Nope", SEMISYNC)
    hr, objs = en.next(WBEM_INFINITE, 1)
    assert hr == HResult.WBEM_E_INVALID_CLASS
    assert objs == []
    en.close()


def test_semisync_release_closes_the_server_provider(env: Env) -> None:
    en: Any = env.svc.create_instance_enum("R_Endless", SEMISYNC)
    hr, objs = en.next(WBEM_INFINITE, 3)
    assert hr == HResult.WBEM_S_NO_ERROR
    assert [o["Name"] for o in objs] == ["e00000000", "e00000001", "e00000002"]
    en.close()
    assert env.endless.closed.wait(10)


def test_semisync_call_result(env: Env) -> None:
    result = env.svc.get_object('R_Base.Name="a"', WBEM_FLAG_RETURN_IMMEDIATELY)
    hr, obj = result.get_result_object(WBEM_INFINITE)
    assert hr == HResult.WBEM_S_NO_ERROR
    assert obj["N"] == 1
    result.close()
    out = env.svc.exec_method(
        "R_Calc", "Add", {"A": 4, "B": 4}, WBEM_FLAG_RETURN_IMMEDIATELY
    )
    hr, obj = out.get_result_object(WBEM_INFINITE)
    assert hr == HResult.WBEM_S_NO_ERROR
    assert obj["Sum"] == 8
    out.close()


# --- asyncio --------------------------------------------------------------------------


async def test_asyncio_iteration_and_calls(env: Env) -> None:
    aio = env.svc.aio
    got = [o["Name"] async for o in aio.exec_query("SELECT Name FROM R_Base")]
    assert sorted(got) == ["a", "b", "s"]
    got = [o["Name"] async for o in aio.create_instance_enum("R_Base")]
    assert sorted(got) == ["a", "b", "s"]
    inst = await aio.get_object("R_Other.Id=7")
    assert inst["Tag"] == "seven"
    out = await aio.exec_method("R_Calc", "Add", {"A": 10, "B": 5})
    assert out["Sum"] == 15
    with pytest.raises(WbemError) as info:
        async for _ in aio.exec_query("SELECT * FROM R_Nope"):
            pass
    assert info.value.hresult == HResult.WBEM_E_INVALID_CLASS


async def test_asyncio_task_cancel_closes_the_server_provider(env: Env) -> None:
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in env.svc.aio.create_instance_enum("R_Endless"):
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(env.endless.closed.wait, 10)
    assert env.svc.manager.get_instance(NS, 'R_Base.Name="a"')["N"] == 1
