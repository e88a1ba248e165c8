"""Isolated provider hosts: providers in a child process, behind the in-process contract.

Owns ``IsolatedProvider`` (parent side: an object the object manager calls
exactly like an in-process provider), ``ProviderHost`` (one child process
holding one provider or a group of them; restarts with back-off and a
limit), and the child's main loop (``python -m openwmi.providers._host``).
Imports model and errors; never the repository, the manager, the engine or
socket.

Wire: length-prefixed pickle frames over the child's stdin/stdout pipes (the
child moves its own stdout to stderr so a provider's ``print`` cannot corrupt
the stream). The parent unpickles with an allow-list (plain data, openwmi
paths and datetimes), so a provider cannot run code in the object manager.

Rule 1: a crash (the child's pipe closes) ends every call in flight with
        WBEM_E_PROVIDER_FAILURE; the next call restarts the host after a
        back-off (calls during the back-off fail at once); after
        ``restart_limit`` consecutive failures the host is disabled
        (WBEM_E_PROVIDER_DISABLED) until ``reset()``.
Rule 2: a call that hears nothing (no object, progress or result) for
        ``timeout`` seconds ends with WBEM_E_PROVIDER_TIMED_OUT; the hung host
        is killed (other calls in it fail with WBEM_E_PROVIDER_FAILURE) and
        restarted on the next call. Progress reports reset the timer, so a
        long-running method that reports progress never times out.
Rule 3: a provider that cannot be imported or constructed →
        WBEM_E_PROVIDER_LOAD_FAILURE (retried on the next call).
Rule 4: objects, progress (``ctx.progress``) and cancellation (``ctx.on_cancel``
        / closing the enumeration) cross the boundary; enumerations stream in
        batches with a window of unacknowledged batches (backpressure).
Rule 5: method calls are never cancelled in the child (spec §8.2).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import importlib
import io
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..errors import (
    HResult,
    ProviderError,
    ProviderLoadError,
    ProviderNotCapableError,
    ProviderTimedOutError,
    WbemError,
)
from ..model import CIMDateTime, CIMInstance, ObjectPath

__all__ = ["IsolatedProvider", "ProviderHost", "main"]

BATCH = 256  # objects per batch frame
WINDOW = 8  # unacknowledged batches in flight per call
FLUSH_AFTER = 0.01  # seconds: a partial batch goes out after this long
DEFAULT_OPS = (
    "enumerate_instances",
    "get_instance",
    "put_instance",
    "delete_instance",
    "invoke_method",
)
_ALL_OPS = frozenset({*DEFAULT_OPS, "exec_query", "references"})


# --- frames and values ------------------------------------------------------------------
def _write_frame(stream: BinaryIO, obj: Any, lock: threading.Lock) -> None:
    data = pickle.dumps(obj, protocol=5)
    with lock:
        stream.write(struct.pack(">I", len(data)) + data)
        stream.flush()


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


_ALLOWED = {
    ("openwmi.model._paths", "ObjectPath"),
    ("openwmi.model._types", "CIMDateTime"),
    ("openwmi.providers._host", "Packed"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"provider host sent a forbidden type {module}.{name}"
        )


def _read_frame(stream: BinaryIO, *, safe: bool) -> Any:
    head = _read_exact(stream, 4)
    if head is None:
        return None
    body = _read_exact(stream, struct.unpack(">I", head)[0])
    if body is None:
        return None
    if safe:
        return _SafeUnpickler(io.BytesIO(body)).load()
    return pickle.loads(body)


@dataclass(frozen=True, slots=True)
class Packed:
    """A CIMInstance on the wire: class name and values (rebuilt loose)."""

    classname: str
    values: dict[str, Any]


def _pack(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _pack(value.value)
    if isinstance(value, CIMInstance):
        return Packed(
            value.classname, {k: _pack(v) for k, v in value.values_set().items()}
        )
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_pack(v) for v in value]
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, Packed):
        return CIMInstance(
            value.classname, {k: _unpack(v) for k, v in value.values.items()}
        )
    if isinstance(value, dict):
        return {k: _unpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None), ObjectPath, CIMDateTime})


def _item(value: Any) -> tuple[dict[str, Any], bool]:
    """A provider's yielded object as plain values for the wire, and whether
    the parent must unpack it (embedded instances, arrays)."""
    if isinstance(value, CIMInstance):
        value = value.values_set()
    elif not isinstance(value, dict):
        raise TypeError(
            f"yielded a {type(value).__name__}, expected a dict or a CIMInstance"
        )
    plain = _PLAIN
    for v in value.values():
        if type(v) not in plain:
            return {k: _pack(v) for k, v in value.items()}, True
    return value, False


# --- parent side ---------------------------------------------------------------------------
class _Crashed(Exception):
    pass


class _Call:
    """One call in flight, as the parent sees it."""

    def __init__(self, host: ProviderHost, cid: int, ctx: Any, timeout: float) -> None:
        self.host, self.cid, self.ctx, self.timeout = host, cid, ctx, timeout
        self.inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.finished = False
        self.cancelled = False

    def next(self) -> tuple[Any, ...]:
        """The next batch/result/end, handling progress, errors, crash and timeout."""
        while True:
            try:
                msg = self.inbox.get(timeout=self.timeout)
            except queue.Empty:
                self.finished = True
                self.host._hung(self)
                raise ProviderTimedOutError(
                    f"provider {self.host.describe()} did not answer within "
                    f"{self.timeout:g} s; its host was stopped"
                ) from None
            kind = msg[0]
            if kind == "progress":
                if self.ctx is not None and callable(
                    getattr(self.ctx, "progress", None)
                ):
                    self.ctx.progress(msg[2], msg[3])
                continue
            if kind == "error":
                self.finished = True
                raise WbemError.of(msg[2], msg[3])
            if kind == "crash":
                self.finished = True
                raise ProviderError(
                    f"provider host of {self.host.describe()} failed while the call "
                    f"was in flight ({msg[1]})"
                )
            if kind in ("result", "end", "cancelled"):
                self.finished = True
            return msg

    def ack(self) -> None:
        self.host._send(("ack", self.cid))

    def cancel(self) -> None:
        if not self.finished and not self.cancelled:
            self.cancelled = True
            with contextlib.suppress(Exception):
                self.host._send(("cancel", self.cid))
            self.inbox.put(("cancelled", self.cid))

    def close(self) -> None:
        self.cancel()
        self.host._forget(self.cid)


class ProviderHost:
    """One provider host process for one provider or a group.

    Args:
        name: the group name (for messages).
        timeout: seconds of silence after which a call is declared hung.
        restart_limit: consecutive crashes/hangs before the host is disabled.
        backoff: first restart delay in seconds (doubles each time, ≤ 30 s).
        clock: monotonic time source (a seam for tests).
        sys_path: the child's extra import path (default: the parent's sys.path).
        load_timeout: seconds for a host to start and a provider to load
            (separate from ``timeout``: a cold interpreter start is slow).
    """

    def __init__(
        self,
        name: str = "default",
        *,
        timeout: float = 30.0,
        restart_limit: int = 5,
        backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sys_path: list[str] | None = None,
        load_timeout: float = 60.0,
    ) -> None:
        self.name = name
        self.load_timeout = load_timeout
        self.timeout = timeout
        self.restart_limit = restart_limit
        self.backoff = backoff
        self.clock = clock
        self.sys_path = list(sys.path if sys_path is None else sys_path)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._calls: dict[int, _Call] = {}
        self._next_id = 0
        self._loaded: set[str] = set()
        self._failures = 0
        self._not_before = 0.0
        self._starts = 0
        self._factories: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {}
        self._waiting: dict[int, queue.Queue[tuple[Any, ...]]] = {}

    # --- public ------------------------------------------------------------------
    def describe(self) -> str:
        return f"host {self.name!r}"

    @property
    def pid(self) -> int | None:
        """The host process id (None when not running)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def starts(self) -> int:
        """How many times a host process was started."""
        return self._starts

    def reset(self) -> None:
        """Forget past failures (re-enables a disabled host)."""
        with self._lock:
            self._failures = 0
            self._not_before = 0.0

    def close(self) -> None:
        """Stop the host process (calls in flight fail)."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._loaded.clear()
        if proc is not None:
            with contextlib.suppress(Exception):
                self._send_to(proc, ("exit",))
            _stop(proc)

    # --- internals ---------------------------------------------------------------
    def _send_to(self, proc: subprocess.Popen[bytes], msg: Any) -> None:
        assert proc.stdin is not None
        _write_frame(proc.stdin, msg, self._send_lock)  # type: ignore[arg-type]  # Popen pipe is a BufferedWriter

    def _send(self, msg: Any) -> None:
        proc = self._proc
        if proc is None:
            raise _Crashed("host not running")
        try:
            self._send_to(proc, msg)
        except (OSError, ValueError) as exc:
            raise _Crashed(str(exc)) from exc

    def _ensure(self) -> subprocess.Popen[bytes]:
        """The running host process, started if needed (caller holds _lock)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            return proc
        if self._failures >= self.restart_limit:
            raise WbemError.of(
                HResult.WBEM_E_PROVIDER_DISABLED,
                f"provider {self.describe()} failed {self._failures} times in a row "
                f"and was disabled (restart limit {self.restart_limit})",
            )
        now = self.clock()
        if now < self._not_before:
            raise ProviderError(
                f"provider {self.describe()} failed and restarts in "
                f"{self._not_before - now:.2f} s (back-off)"
            )
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        proc = subprocess.Popen(
            [sys.executable, "-c", "from openwmi.providers._host import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self._proc = proc
        self._starts += 1
        self._loaded = set()
        reader = threading.Thread(
            target=self._reader,
            args=(proc,),
            name=f"openwmi-host-{self.name}",
            daemon=True,
        )
        reader.start()
        self._send_to(proc, ("init", self.sys_path))
        return proc

    def _crashed(self, proc: subprocess.Popen[bytes], reason: str) -> None:
        # wake a load in progress first: it waits while holding _lock
        for w in list(self._waiting.values()):
            w.put(("crash", reason))
        with self._lock:
            if self._proc is proc:
                self._proc = None
                self._loaded.clear()
                self._failures += 1
                delay = min(30.0, self.backoff * 2 ** (self._failures - 1))
                self._not_before = self.clock() + delay
            calls = list(self._calls.values())
        for call in calls:
            call.inbox.put(("crash", reason))

    def _reader(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        stream: BinaryIO = proc.stdout  # type: ignore[assignment]  # Popen pipe is a BufferedReader
        reason = "the provider host exited"
        while True:
            try:
                msg = _read_frame(stream, safe=True)
            except Exception as exc:  # a corrupt frame is a crash of the host
                reason = f"the provider host sent a bad frame: {exc}"
                _stop(proc)
                msg = None
            if msg is None:
                break
            kind = msg[0]
            if kind in ("loaded", "load_failed"):
                w = self._waiting.get(msg[1])
                if w is not None:
                    w.put(msg)
                continue
            call = self._calls.get(msg[1])
            if call is not None:
                if kind == "batch" and msg[3]:
                    msg = ("batch", msg[1], [_unpack(i) for i in msg[2]])
                elif kind == "result":
                    msg = ("result", msg[1], _unpack(msg[2]))
                call.inbox.put(msg)
        rc = proc.wait()
        with contextlib.suppress(Exception):
            stream.close()
        if proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
        if rc:
            reason = f"{reason} (exit status {rc})"
        self._crashed(proc, reason)

    def _load(self, proc: subprocess.Popen[bytes], key: str) -> None:
        factory, args, kwargs = self._factories[key]
        token = self._new_id()
        inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._waiting[token] = inbox
        try:
            self._send_to(proc, ("load", token, key, factory, args, kwargs))
            try:
                msg = inbox.get(timeout=self.load_timeout)
            except queue.Empty:
                raise ProviderLoadError(
                    f"provider {factory} did not load within {self.load_timeout:g} s"
                ) from None
        finally:
            self._waiting.pop(token, None)
        if msg[0] == "load_failed":
            raise ProviderLoadError(f"provider {factory} failed to load: {msg[2]}")
        if msg[0] == "crash":
            raise ProviderLoadError(
                f"provider {factory} failed to load: its host died ({msg[1]})"
            )
        self._loaded.add(key)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add(
        self, key: str, factory: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._factories[key] = (factory, args, kwargs)

    def start_call(
        self, key: str, op: str, args: tuple[Any, ...], ctx: Any, timeout: float | None
    ) -> _Call:
        with self._lock:
            proc = self._ensure()
            if key not in self._loaded:
                try:
                    self._load(proc, key)
                except ProviderLoadError:
                    if proc.poll() is not None:
                        self._proc = None
                    raise
            cid = self._new_id()
            call = _Call(self, cid, ctx, self.timeout if timeout is None else timeout)
            self._calls[cid] = call
        info = {
            "flags": getattr(ctx, "flags", 0) if ctx is not None else 0,
            "user": _plain(getattr(ctx, "user", None)),
            "namespace": _plain(getattr(ctx, "namespace", None)),
        }
        try:
            self._send(("call", cid, key, op, _pack(args), info))
        except _Crashed as exc:
            self._forget(cid)
            raise ProviderError(
                f"provider {self.describe()} is not running: {exc}"
            ) from exc
        if ctx is not None and op != "invoke_method":
            on_cancel = getattr(ctx, "on_cancel", None)
            if callable(on_cancel):
                on_cancel(call.cancel)
        return call

    def _forget(self, cid: int) -> None:
        with self._lock:
            self._calls.pop(cid, None)

    def _succeeded(self) -> None:
        self._failures = 0

    def _hung(self, call: _Call) -> None:
        self._forget(call.cid)
        proc = self._proc
        if proc is not None:
            _stop(proc)  # the reader sees EOF and fails the other calls


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(Exception):
        if proc.stdin is not None:
            proc.stdin.close()
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class IsolatedProvider:
    """A provider running in a ``ProviderHost``, callable like an in-process one.

    Register it like any provider (``svc.register_provider(cls, isolated)``);
    the object manager needs no change. Only the operations in ``operations``
    appear as methods, so a missing capability looks the same as in-process.

    Args:
        factory: ``"module:attribute"``; the host imports it and calls it with
            ``args``/``kwargs`` (a class or a factory function) to get the provider.
        host: the host to run in (share one host between providers to group
            them); default: a host of its own.
        operations: the contract methods the provider implements.
        timeout: per-call silence timeout (default: the host's).
    """

    def __init__(
        self,
        factory: str,
        *,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        host: ProviderHost | None = None,
        operations: tuple[str, ...] = DEFAULT_OPS,
        timeout: float | None = None,
    ) -> None:
        unknown = set(operations) - _ALL_OPS
        if unknown:
            raise ValueError(f"unknown provider operations: {sorted(unknown)}")
        self.factory = factory
        self.host = host or ProviderHost(factory)
        self.key = f"{factory}#{id(self)}"
        self.host.add(self.key, factory, args, dict(kwargs or {}))
        self.operations = frozenset(operations)
        self.timeout = timeout

    def __getattr__(self, name: str) -> Any:
        ops = self.__dict__.get("operations", frozenset())
        if name in ops:
            if name in ("enumerate_instances", "exec_query", "references"):
                return lambda ctx, *args: self._stream(name, ctx, args)
            return lambda ctx, *args: self._single(name, ctx, args)
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"<IsolatedProvider {self.factory} in {self.host.describe()}>"

    def _start(self, op: str, ctx: Any, args: tuple[Any, ...]) -> _Call:
        return self.host.start_call(self.key, op, args, ctx, self.timeout)

    def _single(self, op: str, ctx: Any, args: tuple[Any, ...]) -> Any:
        call = self._start(op, ctx, args)
        try:
            while True:
                msg = call.next()
                if msg[0] == "result":
                    self.host._succeeded()
                    return msg[2]
                if msg[0] == "cancelled":
                    return None
        finally:
            call.close()

    def _stream(
        self, op: str, ctx: Any, args: tuple[Any, ...]
    ) -> Iterator[dict[str, Any]]:
        call = self._start(op, ctx, args)
        try:
            while True:
                msg = call.next()
                if msg[0] == "batch":
                    yield from msg[2]
                    call.ack()
                elif msg[0] == "end":
                    self.host._succeeded()
                    return
                elif msg[0] == "cancelled":
                    return
        finally:
            call.close()


# --- child side ----------------------------------------------------------------------------
class _ChildContext:
    """The provider's ``ctx`` inside the host."""

    def __init__(
        self, send: Callable[[Any], None], cid: int, info: dict[str, Any]
    ) -> None:
        self._send, self._cid = send, cid
        self.flags: int = info.get("flags") or 0
        self.user: Any = info.get("user")
        self.namespace: Any = info.get("namespace")
        self._cancelled = threading.Event()
        self._callbacks: list[Callable[[], object]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def progress(self, percent: int, message: str | None = None) -> None:
        self._send(("progress", self._cid, int(percent), message))

    def on_cancel(self, callback: Callable[[], object]) -> None:
        if self._cancelled.is_set():
            callback()
        else:
            self._callbacks.append(callback)

    def _cancel(self) -> None:
        self._cancelled.set()
        for cb in self._callbacks:
            with contextlib.suppress(Exception):
                cb()


class _Child:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.providers: dict[str, Any] = {}
        self.calls: dict[int, tuple[_ChildContext, threading.Semaphore]] = {}

    def send(self, msg: Any) -> None:
        _write_frame(self.out, msg, self.lock)

    def load(self, token: int, key: str, factory: str, args: Any, kwargs: Any) -> None:
        try:
            module, _, attr = factory.partition(":")
            obj: Any = importlib.import_module(module)
            for part in attr.split(".") if attr else []:
                obj = getattr(obj, part)
            self.providers[key] = obj(*args, **kwargs) if callable(obj) else obj
        except BaseException as exc:  # anything a broken provider module raises
            self.send(("load_failed", token, f"{type(exc).__name__}: {exc}"))
            return
        self.send(("loaded", token))

    def run(self, cid: int, key: str, op: str, args: Any, info: dict[str, Any]) -> None:
        ctx = _ChildContext(self.send, cid, info)
        window = threading.Semaphore(WINDOW)
        self.calls[cid] = (ctx, window)
        try:
            provider = self.providers[key]
            fn = getattr(provider, op, None)
            if not callable(fn):
                raise ProviderNotCapableError(
                    f"{type(provider).__name__} has no {op} method"
                )
            args = _unpack(args)
            if op in ("enumerate_instances", "exec_query", "references"):
                self._stream(ctx, window, cid, fn(ctx, *args), provider)
            else:
                self.send(("result", cid, _pack(fn(ctx, *args))))
        except WbemError as exc:
            self.send(("error", cid, int(exc.hresult), str(exc.message)))
        except Exception as exc:
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self.send(
                (
                    "error",
                    cid,
                    int(HResult.WBEM_E_PROVIDER_FAILURE),
                    f"provider failed in {op}: {detail}",
                )
            )
        finally:
            self.calls.pop(cid, None)

    def _stream(
        self,
        ctx: _ChildContext,
        window: threading.Semaphore,
        cid: int,
        result: Any,
        provider: Any,
    ) -> None:
        """Batch the provider's objects: a full batch goes at once, a partial
        one after FLUSH_AFTER (the provider iterates on its own thread, so a
        provider that blocks between objects does not hold back those it gave)."""
        if hasattr(result, "__aiter__"):
            result = _drive_async(result)
        cond = threading.Condition()
        pending: list[dict[str, Any]] = []
        state: dict[str, Any] = {"done": False, "error": None, "complex": False}

        def produce() -> None:
            it = iter(result or ())
            try:
                for item in it:
                    packed, complex_ = _item(item)
                    with cond:
                        pending.append(packed)
                        if complex_:
                            state["complex"] = True
                        if len(pending) >= BATCH:
                            cond.notify_all()
                            while len(pending) >= 2 * BATCH and not ctx.cancelled:
                                cond.wait(0.05)  # backpressure: the sender is behind
                    if ctx.cancelled:
                        break
            except BaseException as exc:  # delivered to the sender as the call's error
                state["error"] = exc
            finally:
                close = getattr(it, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        close()
                with cond:
                    state["done"] = True
                    cond.notify_all()

        threading.Thread(target=produce, daemon=True).start()
        while not ctx.cancelled:
            with cond:
                cond.wait_for(
                    lambda: len(pending) >= BATCH or state["done"] or ctx.cancelled,
                    timeout=FLUSH_AFTER,
                )
                batch = pending[:BATCH]
                del pending[:BATCH]
                complex_ = state["complex"]
                done = state["done"] and not pending
                cond.notify_all()
            if batch:
                window.acquire()  # at most WINDOW unacknowledged batches (cancel releases)
                if ctx._cancelled.is_set():  # cancelled while waiting for an ack
                    break
                self.send(("batch", cid, batch, complex_))
            if done:
                if state["error"] is not None:
                    raise state["error"]
                self.send(("end", cid))
                return
        cancel = getattr(provider, "cancel", None)
        if callable(cancel):
            with contextlib.suppress(Exception):
                cancel(ctx)

    def cancel(self, cid: int) -> None:
        entry = self.calls.get(cid)
        if entry is not None:
            entry[0]._cancel()
            entry[1].release()

    def ack(self, cid: int) -> None:
        entry = self.calls.get(cid)
        if entry is not None:
            entry[1].release()


def _drive_async(agen: Any) -> Iterator[Any]:
    """Iterate an async generator from a thread with a private loop."""
    loop = asyncio.new_event_loop()
    it = agen.__aiter__()
    try:
        while True:
            try:
                yield loop.run_until_complete(it.__anext__())
            except StopAsyncIteration:
                return
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(it.aclose())
        loop.close()


def main() -> None:
    """The host process: serve frames from stdin until it closes."""
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a provider's print() goes to stderr, never into the protocol
    sys.stdout = sys.stderr
    stdin: BinaryIO = sys.stdin.buffer
    child = _Child(proto_out)
    while True:
        msg = _read_frame(stdin, safe=False)
        if msg is None or msg[0] == "exit":
            break
        kind = msg[0]
        if kind == "init":
            for entry in reversed(msg[1]):
                if entry not in sys.path:
                    sys.path.insert(0, entry)
        elif kind == "load":
            child.load(*msg[1:])
        elif kind == "call":
            threading.Thread(target=child.run, args=msg[1:], daemon=True).start()
        elif kind == "cancel":
            child.cancel(msg[1])
        elif kind == "ack":
            child.ack(msg[1])
    os._exit(0)


if __name__ == "__main__":
    main()
