"""WQL benchmark: parse+plan latency and predicate evaluation rate.

Run: ``.venv/bin/python bench/bench_wql.py [--instances N]``

Prints
* parse + validate + plan of a typical 3-predicate query, cold (every text
  distinct, so the parse cache never hits) and warm (the same text again);
  issue 3 target: ≤ 200 µs;
* predicate evaluation rate (instances/s) for a few WHERE clauses over N
  in-memory instances, with the ratio against a hand-written Python lambda
  doing the same test (the peer: the floor any interpreter-level evaluator
  could reach).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from openwmi.model import (
    CIMClass,
    CIMInstance,
    CIMProperty,
    CIMType,
    NocaseDict,
    Qualifier,
    qualifier_dict,
    resolve_class,
)
from openwmi.query import parse_wql, plan_query, prepare_query, validate_query

QUERY = (
    "SELECT Name, ProcessId FROM Win32_Process "
    "WHERE Name LIKE 'py%' AND ProcessId > {n} AND Priority = 8"
)


def make_class() -> CIMClass:
    def prop(name: str, t: CIMType, **quals: bool) -> CIMProperty:
        q = qualifier_dict(Qualifier(k, v, CIMType.BOOLEAN) for k, v in quals.items())
        return CIMProperty(name, t, qualifiers=q)

    props = [
        prop("Handle", CIMType.STRING, Key=True),
        prop("Name", CIMType.STRING),
        prop("ProcessId", CIMType.UINT32),
        prop("Priority", CIMType.UINT32, Indexed=True),
        prop("Caption", CIMType.STRING),
        prop("WorkingSetSize", CIMType.UINT64),
    ]
    local = CIMClass("Win32_Process", None, NocaseDict((p.name, p) for p in props))
    return resolve_class(local, None)


def per_call_us(fn: Callable[[int], Any], n: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` mean time per call in µs (each call gets a fresh i)."""
    best = float("inf")
    base = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(n):
            fn(base + i)
        best = min(best, (time.perf_counter() - t0) / n)
        base += n
    return best * 1e6


def bench_parse_plan(cls: CIMClass) -> None:
    def resolver(name: str) -> CIMClass | None:
        return cls if name.lower() == cls.name.lower() else None

    def cold(i: int) -> None:
        q = parse_wql(QUERY.format(n=i))  # distinct text → no cache hit
        plan_query(validate_query(q, resolver))  # type: ignore[arg-type]

    fixed = QUERY.format(n=100)

    def warm(i: int) -> None:
        plan_query(validate_query(parse_wql(fixed), resolver))  # type: ignore[arg-type]

    def full(i: int) -> None:
        prepare_query(QUERY.format(n=i), resolver)

    def parse_only(i: int) -> None:
        parse_wql(QUERY.format(n=i))

    print("parse + plan of:", QUERY.format(n=100))
    print(
        f"  parse only (cold)                  {per_call_us(parse_only, 2000):8.1f} µs"
    )
    print(f"  parse+validate+plan (cold)         {per_call_us(cold, 2000):8.1f} µs")
    print(f"  parse+validate+plan (cached parse) {per_call_us(warm, 2000):8.1f} µs")
    print(f"  prepare_query (+compile, projector){per_call_us(full, 2000):8.1f} µs")
    print("  target ≤ 200 µs (issue 3)")


def bench_eval(cls: CIMClass, count: int) -> None:
    def resolver(name: str) -> CIMClass | None:
        return cls if name.lower() == cls.name.lower() else None

    rows = [
        CIMInstance.trusted(
            cls,
            {
                "Handle": str(i),
                "Name": ("python3" if i % 100 == 0 else f"proc{i}.exe"),
                "ProcessId": i,
                "Priority": i % 32,
                "Caption": None if i % 3 == 0 else f"Proc {i}",
                "WorkingSetSize": i * 4096,
            },
        )
        for i in range(count)
    ]

    def peer_like(r: Any) -> bool:
        v = r["Name"]
        return isinstance(v, str) and v.casefold().startswith("py")

    cases: list[tuple[str, Callable[[Any], bool]]] = [
        ("ProcessId > 500", lambda r: (v := r["ProcessId"]) is not None and v > 500),
        (
            "Name = 'PYTHON3'",
            lambda r: isinstance(v := r["Name"], str) and v.casefold() == "python3",
        ),
        ("Name LIKE 'py%'", peer_like),
        (
            "Name LIKE 'py%' AND ProcessId > 100 AND Priority = 8",
            lambda r: peer_like(r)
            and (r["ProcessId"] or 0) > 100
            and r["Priority"] == 8,
        ),
        ("Caption IS NULL OR NOT WorkingSetSize < 4096000", lambda r: (
            r["Caption"] is None or not (r["WorkingSetSize"] < 4096000))),
    ]  # fmt: skip
    print(f"\npredicate evaluation over {count:,} instances (best of 5)")
    print(f"  {'WHERE':55} {'inst/s':>12} {'peer inst/s':>12} {'ratio':>6}")
    for where, peer in cases:
        pred = prepare_query(f"SELECT * FROM Win32_Process WHERE {where}", resolver)
        ours = _rate(pred.matches, rows)
        theirs = _rate(peer, rows)
        hits = sum(map(pred.matches, rows))
        assert hits == sum(map(peer, rows)), where
        print(f"  {where:55} {ours:12,.0f} {theirs:12,.0f} {ours / theirs:6.2f}")


def _rate(fn: Callable[[Any], bool], rows: list[Any]) -> float:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for r in rows:
            fn(r)
        times.append(time.perf_counter() - t0)
    return len(rows) / min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--instances", type=int, default=100_000)
    args = ap.parse_args()
    cls = make_class()
    bench_parse_plan(cls)
    bench_eval(cls, args.instances)
    _ = statistics  # (kept for ad-hoc medians when profiling)


if __name__ == "__main__":
    main()
