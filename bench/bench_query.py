"""WQL execution benchmark (issue 3): key lookup, indexed and non-indexed
selective predicates, each against a peer measured in the same run.

    .venv/bin/python bench/bench_query.py            # 100k and 1M instances
    .venv/bin/python bench/bench_query.py --quick    # 10k and 100k, smoke run

Peers: a full scan-and-filter of the same data through the same API (for the
indexed predicate) and a raw sqlite3 scan of the same rows with the same
predicate in SQL plus ``json.loads`` of the hits (for the non-indexed one).
Data: class Bench_Q with a string key, an ``Indexed`` uint32 Bucket (0..99) and
a plain uint32 Mod (0..99): each predicate hits 1% of the rows.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import openwmi
from openwmi.repository import key_id, normalize_namespace

MOF = """
class Bench_Q {
    [Key] string Name;
    [Indexed] uint32 Bucket;
    uint32 Mod;
    string Label;
    sint64 Size;
    boolean Flag;
};
"""
NS = "root/cimv2"


def load(svc: openwmi.Services, n: int) -> None:
    """Bulk load through the repository's own API in one transaction (the
    per-call put rate is measured by bench_repository.py)."""
    repo = svc.manager.repository
    cls = repo.get_class(NS, "Bench_Q")
    assert cls is not None
    with repo.transaction():
        for i in range(n):
            values = {
                "Name": f"name{i:08d}",
                "Bucket": i % 100,
                "Mod": (i * 7) % 100,
                "Label": f"label {i}",
                "Size": i * 1000,
                "Flag": i % 2 == 0,
            }
            repo.put_instance(
                NS, "Bench_Q", key_id(cls, values), values, {"Bucket": values["Bucket"]}
            )


def timed(fn: object, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best


def run(n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "repo.sqlite"
        svc = openwmi.connect(repository=path)
        svc.compile_mof(MOF)
        t0 = time.perf_counter()
        load(svc, n)
        print(f"  loaded {n:,} in {time.perf_counter() - t0:.1f} s")

        # 1. key lookup
        samples = []
        for i in range(0, n, max(1, n // 1000)):
            q = f"SELECT * FROM Bench_Q WHERE Name = 'name{i:08d}'"
            t = time.perf_counter()
            (hit,) = svc.exec_query(q)
            samples.append(time.perf_counter() - t)
            assert hit.Name == f"name{i:08d}"
        out["key_median_us"] = statistics.median(samples) * 1e6

        # 2. indexed predicate vs scan-and-filter through the same API
        def indexed() -> None:
            got = [
                o.Size for o in svc.exec_query("SELECT * FROM Bench_Q WHERE Bucket = 7")
            ]
            assert len(got) == n // 100

        def scan_filter() -> None:
            got = [o.Size for o in svc.create_instance_enum("Bench_Q") if o.Bucket == 7]
            assert len(got) == n // 100

        out["indexed_s"] = timed(indexed)
        out["scanfilter_s"] = timed(scan_filter, 1)

        # 3. non-indexed predicate vs raw sqlite3 scan of the same rows
        def plain() -> None:
            got = [
                o.Size for o in svc.exec_query("SELECT * FROM Bench_Q WHERE Mod = 7")
            ]
            assert len(got) == n // 100

        db = sqlite3.connect(path)

        def raw() -> None:
            rows = db.execute(
                "SELECT doc FROM instances WHERE ns=? AND class=? AND json_extract(doc, '$.Mod') = 7",
                (normalize_namespace(NS), "bench_q"),
            ).fetchall()
            got = [json.loads(r[0])["Size"] for r in rows]
            assert len(got) == n // 100

        out["plain_s"] = timed(plain)
        out["raw_s"] = timed(raw)
        db.close()
        svc.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    results = {}
    for n in sizes:
        print(f"N = {n:,}")
        r = results[n] = run(n)
        print(f"  Name = 'x' (key lookup)        median {r['key_median_us']:.1f} µs")
        print(
            f"  Bucket = 7 (Indexed, 1%)       {r['indexed_s'] * 1e3:.1f} ms | scan-and-filter "
            f"{r['scanfilter_s'] * 1e3:.1f} ms | ratio {r['scanfilter_s'] / r['indexed_s']:.1f}x faster"
        )
        print(
            f"  Mod = 7 (not indexed, 1%)      {r['plain_s'] * 1e3:.1f} ms | raw sqlite3 "
            f"{r['raw_s'] * 1e3:.1f} ms | ratio {r['plain_s'] / r['raw_s']:.2f}x the raw scan"
        )
    print("Summary (target → measured)")
    for n, r in results.items():
        checks = [
            (
                f"key lookup median, N={n:,}",
                "<= 100 µs",
                f"{r['key_median_us']:.1f} µs",
                r["key_median_us"] <= 100,
            ),
            (
                f"indexed vs scan-and-filter, N={n:,}",
                ">= 20x",
                f"{r['scanfilter_s'] / r['indexed_s']:.1f}x",
                r["scanfilter_s"] / r["indexed_s"] >= 20,
            ),
            (
                f"non-indexed vs raw sqlite3, N={n:,}",
                "<= 2x",
                f"{r['plain_s'] / r['raw_s']:.2f}x",
                r["plain_s"] / r["raw_s"] <= 2,
            ),
        ]
        for name, target, got, ok in checks:
            print(f"  {name:45s} {target:10s} {got:10s} {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
