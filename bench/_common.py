"""Shared helpers for the benchmarks in ``bench/``.

Timing (``time.perf_counter``), statistics (median / p99), peak-RSS measurement
(each side runs in a fresh subprocess: its own ``VmHWM`` read at a phase
boundary, and the whole child's ``ru_maxrss`` from ``os.wait4``), the
worker protocol (a worker prints one ``RESULT {json}`` line), and the printing
helpers (``ratio`` lines, the PASS/FAIL summary table).

Benchmarks are scripts, never timed tests: nothing here asserts.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "RESULT_MARK",
    "Row",
    "Summary",
    "Timer",
    "emit_result",
    "fmt_bytes",
    "fmt_num",
    "fmt_us",
    "median",
    "p99",
    "peak_rss_bytes",
    "percentile",
    "ratio",
    "run_worker",
    "section",
    "time_calls_ns",
    "timed",
    "vm_status_bytes",
]

RESULT_MARK = "RESULT "


# --- timing -----------------------------------------------------------------------------
@dataclass
class Timer:
    """Seconds measured by :func:`timed` (``elapsed`` is set when the block exits)."""

    start: float = 0.0
    elapsed: float = 0.0


@contextmanager
def timed() -> Iterator[Timer]:
    """``with timed() as t: ...`` then ``t.elapsed`` (seconds, perf_counter)."""
    t = Timer(start=time.perf_counter())
    try:
        yield t
    finally:
        t.elapsed = time.perf_counter() - t.start


def time_calls_ns(fn: Callable[[Any], object], args: Sequence[Any]) -> list[int]:
    """Wall time of ``fn(a)`` for each ``a`` in ``args``, in nanoseconds, one by one."""
    clock = time.perf_counter_ns
    out: list[int] = []
    append = out.append
    for a in args:
        t0 = clock()
        fn(a)
        append(clock() - t0)
    return out


# --- statistics --------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of ``values``."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.5)))
    return float(ordered[rank - 1])


def p99(values: Sequence[float]) -> float:
    return percentile(values, 99.0)


# --- memory ------------------------------------------------------------------------------
def vm_status_bytes(field_name: str) -> int | None:
    """A ``/proc/self/status`` field (``VmHWM``, ``VmRSS``) in bytes; None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def peak_rss_bytes() -> int:
    """This process's peak RSS so far (``VmHWM``; ``ru_maxrss`` where there is no /proc)."""
    hwm = vm_status_bytes("VmHWM")
    if hwm is not None:
        return hwm
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss if sys.platform == "darwin" else maxrss * 1024)


# --- subprocess workers --------------------------------------------------------------------
def emit_result(data: dict[str, Any]) -> None:
    """Worker side: hand ``data`` back to the parent (one line on stdout)."""
    sys.stdout.write(RESULT_MARK + json.dumps(data) + "\n")
    sys.stdout.flush()


def run_worker(argv: Sequence[str]) -> dict[str, Any]:
    """Run ``python argv...`` in a fresh process; return its result dict.

    The child's stderr goes straight through (progress notes). The result gets
    ``child_maxrss`` (bytes): the whole child's peak RSS from ``os.wait4``,
    i.e. ``getrusage``-style accounting for that child alone.
    """
    cmd = [sys.executable, *argv]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = list(proc.stdout)
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(
            f"worker {' '.join(argv)} failed (exit {proc.returncode}):\n"
            + "".join(lines[-20:])
        )
    results = [ln for ln in lines if ln.startswith(RESULT_MARK)]
    if not results:
        raise RuntimeError(f"worker {' '.join(argv)} printed no result")
    data: dict[str, Any] = json.loads(results[-1][len(RESULT_MARK) :])
    maxrss = usage.ru_maxrss
    data["child_maxrss"] = int(maxrss if sys.platform == "darwin" else maxrss * 1024)
    return data


# --- printing ----------------------------------------------------------------------------
def fmt_num(x: float) -> str:
    """Thousands separators; one decimal below 100."""
    return f"{x:,.1f}" if abs(x) < 100 else f"{x:,.0f}"


def fmt_bytes(n: float) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


def fmt_us(ns: float) -> str:
    return f"{ns / 1000:,.1f} µs"


def section(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


def ratio(
    label: str,
    ours: float,
    peer: float,
    *,
    peer_name: str,
    fmt: Callable[[float], str] = fmt_num,
    unit: str = "",
    higher_is_better: bool = True,
) -> float:
    """Print ``label: ours | peer | ratio`` and return the ratio.

    The ratio is oriented so that > 1 always means openwmi is better: ours/peer
    for rates, peer/ours for times and sizes (``higher_is_better=False``).
    """
    if higher_is_better:
        r = ours / peer if peer else float("inf")
    else:
        r = peer / ours if ours else float("inf")
    u = f" {unit}" if unit else ""
    print(
        f"  {label:<48} openwmi {fmt(ours)}{u}  |  {peer_name} {fmt(peer)}{u}"
        f"  |  ratio {r:,.2f}x"
    )
    return r


@dataclass
class Row:
    name: str
    target: str
    measured: str
    ok: bool | None  # None: not measured in this run


@dataclass
class Summary:
    rows: list[Row] = field(default_factory=list)

    def add(self, name: str, target: str, measured: str, ok: bool | None) -> None:
        self.rows.append(Row(name, target, measured, ok))

    def print(self) -> None:
        section("Summary: target vs measured")
        w0 = max(len(r.name) for r in self.rows)
        w1 = max(len(r.target) for r in self.rows)
        w2 = max(len(r.measured) for r in self.rows)
        print(f"  {'check':<{w0}}  {'target':<{w1}}  {'measured':<{w2}}  result")
        for r in self.rows:
            verdict = "SKIP" if r.ok is None else ("PASS" if r.ok else "FAIL")
            print(f"  {r.name:<{w0}}  {r.target:<{w1}}  {r.measured:<{w2}}  {verdict}")
