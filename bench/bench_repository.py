"""Repository / object-manager benchmark: load, enumerate, GetObject by key.

Peers (measured in the same run): pywbem_mock (``FakedWBEMConnection``, the
same class compiled from MOF, the same values) and raw sqlite3 reads of the
same rows. Every side runs in its own fresh subprocess so that peak RSS is
that side's alone.

    .venv/bin/python bench/bench_repository.py            # full run (N=100,000, + 1M GetObject)
    .venv/bin/python bench/bench_repository.py --quick    # smoke run, < 30 s
    .venv/bin/python bench/bench_repository.py --n 50000 --no-1m

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root
from bench._common import (
    Summary,
    emit_result,
    fmt_bytes,
    fmt_num,
    fmt_us,
    median,
    p99,
    peak_rss_bytes,
    ratio,
    run_worker,
    section,
    time_calls_ns,
    timed,
    vm_status_bytes,
)

NAMESPACE = "root/cimv2"
CLASSNAME = "Bench_Item"
DATETIME_TEXT = "20240101120000.000000+000"

#: (name, CIM type, is_array, is_key): one string key and ten mixed properties.
SPEC: list[tuple[str, str, bool, bool]] = [
    ("Name", "string", False, True),
    ("Count", "uint32", False, False),
    ("Offset", "sint64", False, False),
    ("Ratio", "real64", False, False),
    ("Enabled", "boolean", False, False),
    ("Caption", "string", False, False),
    ("Created", "datetime", False, False),
    ("Flags", "uint8", True, False),
    ("Small", "uint16", False, False),
    ("Delta", "sint32", False, False),
    ("Tags", "string", True, False),
]

SCRIPT = str(Path(__file__).resolve())


def key_name(i: int) -> str:
    return f"item{i:08d}"


def plain_values(i: int, created: Any) -> dict[str, Any]:
    """Instance ``i``'s values as plain Python (``created``: the datetime object)."""
    return {
        "Name": key_name(i),
        "Count": i,
        "Offset": -(i * 1_000_003),
        "Ratio": i * 0.25 + 0.1,
        "Enabled": i % 2 == 0,
        "Caption": f"Benchmark item number {i}",
        "Created": created,
        "Flags": [i % 256, 1, 2],
        "Small": i % 65536,
        "Delta": -(i % 1000),
        "Tags": ["alpha", "beta"],
    }


def class_mof() -> str:
    """The benchmark class as MOF (what pywbem_mock compiles)."""
    lines = [
        "Qualifier Key : boolean = false, Scope(property, reference),",
        "    Flavor(DisableOverride, ToSubclass);",
        f"class {CLASSNAME} {{",
    ]
    for name, cimtype, is_array, is_key in SPEC:
        quals = "[Key] " if is_key else ""
        arr = "[]" if is_array else ""
        lines.append(f"    {quals}{cimtype} {name}{arr};")
    lines.append("};")
    return "\n".join(lines)


# =========================================================================================
# openwmi worker
# =========================================================================================
def openwmi_class() -> Any:
    from openwmi.model import (
        CIMClass,
        CIMProperty,
        CIMType,
        NocaseDict,
        Qualifier,
        qualifier_dict,
    )

    key = Qualifier("Key", True, CIMType.BOOLEAN, overridable=False)
    props = [
        CIMProperty(
            name,
            CIMType.from_name(cimtype),
            is_array=is_array,
            qualifiers=qualifier_dict([key] if is_key else []),
        )
        for name, cimtype, is_array, is_key in SPEC
    ]
    return CIMClass(CLASSNAME, properties=NocaseDict((p.name, p) for p in props))


def worker_openwmi(args: argparse.Namespace) -> None:
    import openwmi
    from openwmi.model import CIMDateTime
    from openwmi.repository import key_id

    path = args.path
    svc = openwmi.connect(repository=path, namespace=NAMESPACE)
    svc.put_class(openwmi_class())
    created = CIMDateTime(DATETIME_TEXT)
    n = args.n
    res: dict[str, Any] = {"n": n, "path": path, "load": args.load}
    rss_base = vm_status_bytes("VmRSS") or peak_rss_bytes()

    # --- load ----------------------------------------------------------------------------
    if args.load == "api":
        spawn = svc.spawn_instance
        put = svc.put_instance
        tenth = max(1, n // 10)
        marks: list[float] = []
        clock = time.perf_counter
        with timed() as t:
            for i in range(n):
                put(spawn(CLASSNAME, **plain_values(i, created)))
                if (i + 1) % tenth == 0:
                    marks.append(clock())
        # rate over the first and the last tenth: does put_instance slow down with N?
        if len(marks) >= 10:
            res["tenth_rates"] = [
                tenth / (marks[0] - t.start),
                tenth / (marks[9] - marks[8]),
            ]
    else:  # bulk: the repository's own API inside one transaction
        repo = svc.manager.repository
        cls = repo.get_class(NAMESPACE, CLASSNAME)
        assert cls is not None
        ref = svc.spawn_instance(CLASSNAME, **plain_values(0, created)).values_set()
        assert ref == plain_values(0, created), "bulk values must match the API's"
        with timed() as t, repo.transaction():
            for i in range(n):
                v = plain_values(i, created)
                repo.put_instance(NAMESPACE, CLASSNAME, key_id(cls, v), v)
    res["load_s"] = t.elapsed
    res["load_rate"] = n / t.elapsed
    res["rss_base"] = rss_base
    res["rss_peak_load"] = peak_rss_bytes()
    if path != ":memory:":
        res["db_bytes"] = sum(
            os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)
        )

    # raw sqlite3: a separate read-only connection to the file (the repository's own
    # connection for ":memory:", which no other connection can see)
    if path == ":memory:":
        raw = svc.manager.repository._db
    else:
        raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    ns_key, cls_key = NAMESPACE.lower(), CLASSNAME.lower()

    # --- enumerate -----------------------------------------------------------------------
    if args.enum:
        sql = "SELECT doc FROM instances WHERE ns=? AND class=?"
        loads = json.loads

        def raw_nojson() -> int:
            count = 0
            for (_doc,) in raw.execute(sql, (ns_key, cls_key)):
                count += 1
            return count

        def raw_json() -> int:
            count = 0
            for (doc,) in raw.execute(sql, (ns_key, cls_key)):
                loads(doc)
                count += 1
            return count

        def ow_list() -> int:
            return len(list(svc.create_instance_enum(CLASSNAME)))

        def ow_read() -> int:
            count = 0
            for inst in svc.create_instance_enum(CLASSNAME):
                inst["Count"]  # forces the (lazy) decoding of the whole instance
                count += 1
            return count

        cases = {
            "raw_nojson": raw_nojson,
            "raw_json": raw_json,
            "ow_list": ow_list,
            "ow_read": ow_read,
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.reps):  # interleaved, so drift hits every case alike
            for name, fn in cases.items():
                with timed() as t:
                    got = fn()
                assert got == n, f"{name}: {got} != {n}"
                times[name].append(t.elapsed)
        res["enum_s"] = {k: median(v) for k, v in times.items()}
        res["enum_rate"] = {k: n / median(v) for k, v in times.items()}

    # --- GetObject by key ----------------------------------------------------------------
    if args.gets:
        rng = random.Random(args.seed)
        picks = rng.sample(range(n), min(n, args.gets + 200))
        warm, picks = picks[:200], picks[200:]
        paths = [f'{CLASSNAME}.Name="{key_name(i)}"' for i in picks]
        for p in warm:
            svc.get_object(f'{CLASSNAME}.Name="{key_name(p)}"')
        check = svc.get_object(paths[0])
        assert check["Name"] == key_name(picks[0]), check
        ns_ = svc.get_object(paths[0])["Count"]
        assert ns_ == picks[0]
        get_ns = time_calls_ns(svc.get_object, paths)
        cls = svc.manager.repository.get_class(NAMESPACE, CLASSNAME)
        assert cls is not None
        kids = [key_id(cls, {"Name": key_name(i)}) for i in picks]
        one = "SELECT doc FROM instances WHERE ns=? AND class=? AND keyid=?"

        def raw_get(kid: str) -> Any:
            return json.loads(raw.execute(one, (ns_key, cls_key, kid)).fetchone()[0])

        raw_get(kids[0])
        raw_ns = time_calls_ns(raw_get, kids)
        res["get"] = {
            "calls": len(paths),
            "median_ns": median(get_ns),
            "p99_ns": p99(get_ns),
            "raw_median_ns": median(raw_ns),
            "raw_p99_ns": p99(raw_ns),
        }
    # --- raw sqlite3 write floor: the same docs, one transaction per row ---------------
    if args.enum:
        res["raw_insert_rate"] = raw_insert_rate(svc, path)
    svc.close()
    emit_result(res)


def raw_insert_rate(svc: Any, path: str) -> float:
    """Rows/s for what PutInstance must do at least: per row BEGIN IMMEDIATE, an
    existence check, INSERT, COMMIT (same docs and key ids, into a scratch table with
    the instances table's layout; a second connection with the repository's pragmas
    for a file, the repository's own connection for ":memory:")."""
    repo = svc.manager.repository
    db: sqlite3.Connection
    if path == ":memory:":
        db = repo._db
    else:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
    rows = db.execute(
        "SELECT ns, class, keyid, doc FROM instances WHERE ns=? AND class=?",
        (NAMESPACE.lower(), CLASSNAME.lower()),
    ).fetchall()
    db.execute(
        "CREATE TABLE bench_raw (ns TEXT NOT NULL, class TEXT NOT NULL, "
        "keyid TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (ns, class, keyid)) "
        "WITHOUT ROWID"
    )
    ex = db.execute
    exists = "SELECT 1 FROM bench_raw WHERE ns=? AND class=? AND keyid=?"
    with timed() as t:
        for ns, cl, kid, doc in rows:
            ex("BEGIN IMMEDIATE")
            ex(exists, (ns, cl, kid)).fetchone()
            ex("INSERT INTO bench_raw VALUES (?, ?, ?, ?)", (ns, cl, kid, doc))
            ex("COMMIT")
    return len(rows) / t.elapsed


# =========================================================================================
# pywbem_mock worker
# =========================================================================================
def worker_pywbem(args: argparse.Namespace) -> None:
    import pywbem
    import pywbem_mock

    conn = pywbem_mock.FakedWBEMConnection(default_namespace=NAMESPACE)
    conn.compile_mof_string(class_mof(), namespace=NAMESPACE)
    created = pywbem.CIMDateTime(DATETIME_TEXT)
    typed = {
        "Count": pywbem.Uint32,
        "Offset": pywbem.Sint64,
        "Ratio": pywbem.Real64,
        "Small": pywbem.Uint16,
        "Delta": pywbem.Sint32,
    }
    u8 = pywbem.Uint8

    def instance(i: int) -> Any:
        v = plain_values(i, created)
        for name, wrap in typed.items():
            v[name] = wrap(v[name])
        v["Flags"] = [u8(x) for x in v["Flags"]]
        return pywbem.CIMInstance(CLASSNAME, properties=v)

    n = args.n
    rss_base = vm_status_bytes("VmRSS") or peak_rss_bytes()
    budget = args.budget
    loaded = 0
    t0 = time.perf_counter()
    create = conn.CreateInstance
    for i in range(n):
        create(instance(i), namespace=NAMESPACE)
        loaded = i + 1
        # too slow for the full N? stop at a 10,000 multiple and scale linearly
        if loaded % 10_000 == 0 and loaded >= args.min_measure and loaded < n:
            elapsed = time.perf_counter() - t0
            if elapsed * n / loaded > budget:
                break
    load_s = time.perf_counter() - t0
    hwm = peak_rss_bytes()
    res: dict[str, Any] = {
        "n": n,
        "measured_n": loaded,
        "load_s": load_s,
        "load_rate": loaded / load_s,
        "rss_base": rss_base,
        "rss_peak_load_measured": hwm,
        # linear scaling of the growth when the load was cut short
        "rss_peak_load": rss_base + (hwm - rss_base) * n / loaded,
    }
    if args.enum:
        with timed() as t:
            insts = conn.EnumerateInstances(CLASSNAME, namespace=NAMESPACE)
        assert len(insts) == loaded
        with timed() as t2:
            for inst in insts:
                inst["Count"]
        res["enum_s"] = t.elapsed
        res["enum_rate"] = loaded / t.elapsed
        res["enum_read_rate"] = loaded / (t.elapsed + t2.elapsed)
        del insts
    if args.gets:
        rng = random.Random(args.seed)
        picks = rng.sample(range(loaded), min(loaded, args.gets))
        names = [
            pywbem.CIMInstanceName(
                CLASSNAME, keybindings={"Name": key_name(i)}, namespace=NAMESPACE
            )
            for i in picks
        ]
        conn.GetInstance(names[0])
        get_ns = time_calls_ns(conn.GetInstance, names)
        res["get"] = {
            "n": loaded,
            "median_ns": median(get_ns),
            "p99_ns": p99(get_ns),
        }
    emit_result(res)


# =========================================================================================
# driver
# =========================================================================================
def note(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ow_worker(
    path: str, n: int, *, load: str, enum: bool, gets: int, reps: int, seed: int
) -> dict[str, Any]:
    argv = [SCRIPT, "--worker", "openwmi", "--path", path, "--n", str(n)]
    argv += ["--load", load, "--gets", str(gets), "--reps", str(reps)]
    argv += ["--seed", str(seed)] + (["--enum"] if enum else [])
    return run_worker(argv)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None, help="instances (default 100000)")
    ap.add_argument("--quick", action="store_true", help="small N smoke run (< 30 s)")
    ap.add_argument(
        "--no-1m",
        dest="big",
        action="store_false",
        help="skip the N=1,000,000 GetObject measurement",
    )
    ap.add_argument(
        "--big",
        dest="big",
        action="store_true",
        help="include the 1M GetObject measurement (the default)",
    )
    ap.add_argument("--gets", type=int, default=2000, help="GetObject calls per N")
    ap.add_argument(
        "--peer-budget",
        type=float,
        default=180.0,
        help="seconds pywbem_mock's load may take before it is scaled (default 180)",
    )
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--keep", action="store_true", help="keep the temporary repos")
    # worker mode (internal)
    ap.add_argument("--worker", choices=["openwmi", "pywbem"], help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument(
        "--load", choices=["api", "bulk"], default="api", help=argparse.SUPPRESS
    )
    ap.add_argument("--enum", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--reps", type=int, default=3, help=argparse.SUPPRESS)
    ap.add_argument("--budget", type=float, default=180.0, help=argparse.SUPPRESS)
    ap.add_argument("--min-measure", type=int, default=20_000, help=argparse.SUPPRESS)
    ap.set_defaults(big=True)
    args = ap.parse_args(argv)

    if args.worker == "openwmi":
        worker_openwmi(args)
        return 0
    if args.worker == "pywbem":
        worker_pywbem(args)
        return 0

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    quick = args.quick
    n = args.n or (2_000 if quick else 100_000)
    small_n = 1_000 if quick else 10_000
    big_n = 20_000 if quick else 1_000_000
    gets = min(args.gets, 500) if quick else args.gets
    reps = 2 if quick else 3
    seed = args.seed
    tmp = tempfile.mkdtemp(prefix="openwmi-bench-")
    started = time.perf_counter()
    import platform

    import pywbem

    import openwmi

    print(
        f"openwmi repository benchmark (openwmi {openwmi.__version__}, pywbem "
        f"{pywbem.__version__}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version})"
    )
    print(
        f"class {CLASSNAME}: string key + {len(SPEC) - 1} properties "
        f"({', '.join(sorted({t for _, t, _, _ in SPEC}))}); N = {n:,}"
        + ("  [--quick]" if quick else "")
    )
    print(f"openwmi imported from {Path(openwmi.__file__).parent}")
    print(f"openwmi file repository in {tmp} (WAL, synchronous=NORMAL)")
    try:
        note(
            f"openwmi, file repository: load {n:,} via svc.put_instance, enumerate, get"
        )
        ow_file = ow_worker(
            os.path.join(tmp, "main.sqlite"),
            n,
            load="api",
            enum=True,
            gets=gets,
            reps=reps,
            seed=seed,
        )
        note(f"openwmi, ':memory:' repository: load {n:,}, enumerate, get")
        ow_mem = ow_worker(
            ":memory:", n, load="api", enum=True, gets=gets, reps=reps, seed=seed
        )
        note(
            f"pywbem_mock: load {n:,} via CreateInstance (budget "
            f"{args.peer_budget:.0f} s), EnumerateInstances, GetInstance"
        )
        peer = run_worker(
            [
                SCRIPT,
                "--worker",
                "pywbem",
                "--n",
                str(n),
                "--enum",
                "--gets",
                str(gets),
                "--seed",
                str(seed),
                "--budget",
                str(args.peer_budget),
                "--min-measure",
                str(min(20_000, n)),
            ]
        )
        sizes: list[tuple[int, dict[str, Any]]] = []
        note(f"openwmi, file repository: GetObject with N={small_n:,}")
        sizes.append(
            (
                small_n,
                ow_worker(
                    os.path.join(tmp, "small.sqlite"),
                    small_n,
                    load="api",
                    enum=False,
                    gets=gets,
                    reps=reps,
                    seed=seed,
                ),
            )
        )
        sizes.append((n, ow_file))
        if args.big:
            note(
                f"openwmi, file repository: bulk-load {big_n:,} "
                "(SQLiteRepository.put_instance in one transaction), GetObject"
            )
            sizes.append(
                (
                    big_n,
                    ow_worker(
                        os.path.join(tmp, "big.sqlite"),
                        big_n,
                        load="bulk",
                        enum=False,
                        gets=gets,
                        reps=reps,
                        seed=seed,
                    ),
                )
            )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - started
    report(n, ow_file, ow_mem, peer, sizes, big_n if args.big else None)
    print(f"\n(total run time {total:,.0f} s)")
    return 0


def report(
    n: int,
    ow_file: dict[str, Any],
    ow_mem: dict[str, Any],
    peer: dict[str, Any],
    sizes: list[tuple[int, dict[str, Any]]],
    big_n: int | None,
) -> None:
    summary = Summary()
    pm = "pywbem_mock"
    scaled = peer["measured_n"] < n
    scale_note = (
        f"  NOTE: pywbem_mock would need > {peer['load_s'] * n / peer['measured_n']:,.0f} s "
        f"for {n:,}; it was measured at {peer['measured_n']:,} instances and its load "
        f"time and RSS growth are scaled linearly to {n:,} (its rate falls as N grows,"
        f" so this flatters it); its enumeration and GetInstance are measured at "
        f"{peer['measured_n']:,}."
        if scaled
        else ""
    )

    # --- 1. load ----------------------------------------------------------------------
    section(
        f"1. Load {n:,} instances (openwmi svc.put_instance, one transaction each "
        f"vs pywbem_mock CreateInstance)"
    )
    if scale_note:
        print(scale_note)
    print(
        f"  time: openwmi file {ow_file['load_s']:,.1f} s, :memory: "
        f"{ow_mem['load_s']:,.1f} s; pywbem_mock "
        f"{peer['load_s'] * n / peer['measured_n']:,.1f} s"
        + (" (scaled)" if scaled else "")
    )
    r_load = ratio(
        "load rate, file repo",
        ow_file["load_rate"],
        peer["load_rate"],
        peer_name=pm,
        unit="inst/s",
    )
    r_load_mem = ratio(
        "load rate, :memory:",
        ow_mem["load_rate"],
        peer["load_rate"],
        peer_name=pm,
        unit="inst/s",
    )
    r_rss = ratio(
        "peak RSS after load, file repo",
        ow_file["rss_peak_load"],
        peer["rss_peak_load"],
        peer_name=pm,
        fmt=fmt_bytes,
        higher_is_better=False,
    )
    r_rss_mem = ratio(
        "peak RSS after load, :memory:",
        ow_mem["rss_peak_load"],
        peer["rss_peak_load"],
        peer_name=pm,
        fmt=fmt_bytes,
        higher_is_better=False,
    )
    print(
        f"  RSS before load (interpreter + imports + class): openwmi "
        f"{fmt_bytes(ow_file['rss_base'])}, pywbem_mock {fmt_bytes(peer['rss_base'])}"
        + (
            f"; pywbem_mock measured peak {fmt_bytes(peer['rss_peak_load_measured'])} "
            f"at {peer['measured_n']:,}"
            if scaled
            else ""
        )
    )
    print(
        f"  whole-process peak RSS (getrusage of each child, incl. enumeration): "
        f"openwmi file {fmt_bytes(ow_file['child_maxrss'])}, :memory: "
        f"{fmt_bytes(ow_mem['child_maxrss'])}, pywbem_mock "
        f"{fmt_bytes(peer['child_maxrss'])}"
    )
    for label, res in (("file", ow_file), (":memory:", ow_mem)):
        ratio(
            f"load rate vs raw sqlite3 writes ({label})",
            res["load_rate"],
            res["raw_insert_rate"],
            peer_name="raw BEGIN/SELECT/INSERT/COMMIT per row",
            unit="/s",
        )
        print(
            f"    → openwmi spends {1e6 / res['load_rate'] - 1e6 / res['raw_insert_rate']:,.0f}"
            f" µs per put_instance above the raw write floor"
        )
    for label, res in (("file", ow_file), (":memory:", ow_mem)):
        if "tenth_rates" in res:
            first, last = res["tenth_rates"]
            print(
                f"  openwmi {label} load rate over the first / last tenth: "
                f"{fmt_num(first)} / {fmt_num(last)} inst/s"
            )
    print(
        f"  repository size on disk (db + WAL): {fmt_bytes(ow_file['db_bytes'])} "
        f"({ow_file['db_bytes'] / n:,.0f} B/instance)"
    )
    summary.add(
        "load rate vs pywbem_mock (file)", "≥ 10x", f"{r_load:,.1f}x", r_load >= 10
    )
    summary.add(
        "load rate vs pywbem_mock (:memory:)",
        "≥ 10x",
        f"{r_load_mem:,.1f}x",
        r_load_mem >= 10,
    )
    summary.add(
        "load peak RSS vs pywbem_mock (file)", "≤ 1/5", f"1/{r_rss:,.1f}", r_rss >= 5
    )
    summary.add(
        "load peak RSS vs pywbem_mock (:memory:)",
        "≤ 1/5",
        f"1/{r_rss_mem:,.1f}",
        r_rss_mem >= 5,
    )

    # --- 2. enumerate ---------------------------------------------------------------------
    section(f"2. Enumerate {n:,} instances (median of runs; rates in instances/s)")
    if scaled:
        print(f"  (pywbem_mock enumerated its {peer['measured_n']:,} instances)")
    enum_rows: list[tuple[str, dict[str, Any]]] = [
        ("file", ow_file),
        (":memory:", ow_mem),
    ]
    for label, res in enum_rows:
        er = res["enum_rate"]
        print(
            f"  [{label}] raw sqlite3: {fmt_num(er['raw_nojson'])} rows/s without "
            f"json.loads, {fmt_num(er['raw_json'])} with; openwmi: list() "
            f"{fmt_num(er['ow_list'])}, read one property of each "
            f"{fmt_num(er['ow_read'])}"
        )
        r_lazy = ratio(
            f"[{label}] list(create_instance_enum)",
            er["ow_list"],
            peer["enum_rate"],
            peer_name=pm + " EnumerateInstances",
        )
        r_dec = ratio(
            f"[{label}] enumerate + read one property",
            er["ow_read"],
            peer["enum_read_rate"],
            peer_name=pm + " (same)",
        )
        f_lazy = ratio(
            f"[{label}] list() vs raw sqlite3 (no json)",
            er["ow_list"],
            er["raw_nojson"],
            peer_name="raw",
        )
        f_dec = ratio(
            f"[{label}] read-one vs raw sqlite3 + json.loads",
            er["ow_read"],
            er["raw_json"],
            peer_name="raw",
        )
        summary.add(
            f"enum (decoded) vs pywbem_mock ({label})",
            "≥ 20x",
            f"{r_dec:,.1f}x",
            r_dec >= 20,
        )
        summary.add(
            f"enum (lazy list) vs pywbem_mock ({label})",
            "≥ 20x",
            f"{r_lazy:,.1f}x",
            r_lazy >= 20,
        )
        summary.add(
            f"enum (decoded) vs raw+json.loads ({label})",
            "within 5x",
            f"{1 / f_dec:,.2f}x slower",
            f_dec >= 0.2,
        )
        summary.add(
            f"enum (lazy list) vs raw no json ({label})",
            "within 5x",
            f"{1 / f_lazy:,.2f}x slower",
            f_lazy >= 0.2,
        )

    # --- 3. GetObject -----------------------------------------------------------------------
    calls = ow_file["get"]["calls"]
    section(
        f"3. GetObject by key, {calls:,} random svc.get_object('{CLASSNAME}."
        'Name="…"\') calls (file repository)'
    )
    if big_n is not None:
        print(
            f"  N={big_n:,} was bulk-loaded with SQLiteRepository.put_instance inside "
            "one transaction() (same rows as svc.put_instance writes; loading it "
            "through svc.put_instance takes minutes)"
        )
    pg = peer["get"]
    print(
        f"  {'N':>10}  {'median':>10}  {'p99':>10}  {'raw sqlite3 median':>19}  "
        f"{'ratio to raw':>12}"
    )
    medians: dict[int, float] = {}
    for size, res in sizes:
        g = res["get"]
        medians[size] = g["median_ns"]
        how = " (bulk)" if res["load"] == "bulk" else ""
        print(
            f"  {size:>10,}  {fmt_us(g['median_ns']):>10}  {fmt_us(g['p99_ns']):>10}  "
            f"{fmt_us(g['raw_median_ns']):>19}  "
            f"{g['median_ns'] / g['raw_median_ns']:>11,.1f}x{how}"
        )
        summary.add(
            f"GetObject median, N={size:,}",
            "≤ 100 µs",
            fmt_us(g["median_ns"]),
            g["median_ns"] <= 100_000,
        )
    gm = ow_mem["get"]
    print(
        f"  {n:>10,}  {fmt_us(gm['median_ns']):>10}  {fmt_us(gm['p99_ns']):>10}  "
        f"{fmt_us(gm['raw_median_ns']):>19}  "
        f"{gm['median_ns'] / gm['raw_median_ns']:>11,.1f}x  (:memory:)"
    )
    ratio(
        f"GetObject median, N={n:,} (file)",
        ow_file["get"]["median_ns"],
        pg["median_ns"],
        peer_name=f"{pm} GetInstance (N={pg['n']:,})",
        fmt=fmt_us,
        higher_is_better=False,
    )
    spread = max(medians.values()) / min(medians.values())
    summary.add(
        f"GetObject median independent of N ({len(medians)} sizes)",
        "max/min ≤ 2x",
        f"{spread:,.2f}x",
        spread <= 2.0,
    )
    if big_n is None:
        summary.add(
            "GetObject median, N=1,000,000", "≤ 100 µs", "not run (--no-1m)", None
        )
    summary.print()


if __name__ == "__main__":
    sys.exit(main())
