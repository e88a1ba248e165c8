"""CIM-XML server benchmark: ``openwmi serve``'s app on uvicorn, measured with
raw HTTP (post the CIM-XML request, read the bytes) and with the pywbem client
(request + pywbem's parse) in the same run.

Figures: EnumerateInstances of N instances (raw vs pywbem), GetInstance
latency at N stored, open-pull to first object, CloseEnumeration latency,
CreateInstance rate (from 0 and at N stored), server RSS after enumerating N.
The server runs in its own process (``--serve``) so its RSS is its own.

    .venv/bin/python bench/bench_server.py [--count 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

CLASS_MOF = """
class Bench_Item {
    [Key] string Id;
    string Name;
    uint64 Size;
    uint32 Count;
    boolean Flag;
    datetime Created;
    string Tags[];
};
"""

HEAD = '<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>'
TAIL = "</SIMPLEREQ></MESSAGE></CIM>"
NSX = '<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>'


def key(i: int) -> str:
    return f"item-{i:08d}"


def imethod(name: str, params: str) -> tuple[bytes, dict[str, str]]:
    body = f'{HEAD}<IMETHODCALL NAME="{name}">{NSX}{params}</IMETHODCALL>{TAIL}'
    headers = {
        "Content-Type": 'application/xml; charset="utf-8"',
        "CIMOperation": "MethodCall",
        "CIMMethod": name,
        "CIMObject": "root/cimv2",
    }
    return body.encode(), headers


def instance_xml(i: int) -> str:
    return (
        '<INSTANCE CLASSNAME="Bench_Item">'
        f'<PROPERTY NAME="Id" TYPE="string"><VALUE>{key(i)}</VALUE></PROPERTY>'
        f'<PROPERTY NAME="Name" TYPE="string"><VALUE>name {i}</VALUE></PROPERTY>'
        f'<PROPERTY NAME="Size" TYPE="uint64"><VALUE>{i * 1024}</VALUE></PROPERTY>'
        f'<PROPERTY NAME="Count" TYPE="uint32"><VALUE>{i % 1000}</VALUE></PROPERTY>'
        '<PROPERTY NAME="Flag" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>'
        '<PROPERTY NAME="Created" TYPE="datetime"><VALUE>20240101120000.000000+000</VALUE></PROPERTY>'
        '<PROPERTY.ARRAY NAME="Tags" TYPE="string"><VALUE.ARRAY><VALUE>a</VALUE><VALUE>b</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>'
        "</INSTANCE>"
    )


def load(repo: str, count: int) -> float:
    from openwmi.manager import ObjectManager, compile_into
    from openwmi.model import CIMDateTime
    from openwmi.repository import SQLiteRepository

    mgr = ObjectManager(SQLiteRepository(repo))
    compile_into(mgr, "root/cimv2", CLASS_MOF)
    cls = mgr.find_class("root/cimv2", "Bench_Item")
    assert cls is not None
    created = CIMDateTime("20240101120000.000000+000")
    t0 = time.perf_counter()
    with mgr.repository.transaction():
        for i in range(count):
            inst = mgr.spawn_instance(
                "root/cimv2",
                "Bench_Item",
                Id=key(i),
                Name=f"name {i}",
                Size=i * 1024,
                Count=i % 1000,
                Flag=True,
                Created=created,
                Tags=["a", "b"],
            )
            mgr.put_instance("root/cimv2", inst)
    elapsed = time.perf_counter() - t0
    mgr.close()
    return elapsed


def phases(repo: str) -> None:
    """Where EnumerateInstances' server time goes, measured in-process on the
    same file: raw sqlite3 read of the documents (the floor), the repository's
    value dicts, plus the encoder's row writer, and the general path
    (instance objects + per-instance encoding) for comparison."""
    import sqlite3

    from openwmi.manager import ObjectManager
    from openwmi.protocol import InstanceEncoder
    from openwmi.repository import SQLiteRepository

    db = sqlite3.connect(repo)
    t0 = time.perf_counter()
    rows = db.execute(
        "SELECT keyid, doc FROM instances WHERE ns='root/cimv2' AND class='bench_item'"
    ).fetchall()
    t_sql = time.perf_counter() - t0
    db.close()
    del rows
    mgr = ObjectManager(SQLiteRepository(repo))
    t0 = time.perf_counter()
    chunks = mgr.iter_instance_values("root/cimv2", "Bench_Item")
    assert chunks is not None
    for _ in chunks:
        pass
    t_values = time.perf_counter() - t0
    enc = InstanceEncoder(namespace="root/cimv2")
    t0 = time.perf_counter()
    chunks = mgr.iter_instance_values("root/cimv2", "Bench_Item")
    assert chunks is not None
    size = sum(len(enc.named_instances(c, r).encode()) for c, r in chunks)
    t_rows = time.perf_counter() - t0
    enc = InstanceEncoder(namespace="root/cimv2")
    t0 = time.perf_counter()
    it = mgr.create_instance_enum("root/cimv2", "Bench_Item")
    assert isinstance(it, Iterator)  # no provider: a plain iterator
    general = 0
    for inst in it:
        general += len(enc.named_instance(inst).encode())
    t_general = time.perf_counter() - t0
    mgr.close()
    assert size == general, (size, general)
    print("== EnumerateInstances phases (in-process, no HTTP)")
    print(f"  raw sqlite3 read of the documents: {t_sql:.3f} s (floor)")
    print(f"  repository value dicts (read + JSON decode): {t_values:.3f} s")
    print(
        f"  + CIM-XML row writer + UTF-8: {t_rows:.3f} s "
        f"(encoding {t_rows - t_values:.3f} s; {t_rows / t_sql:.1f}x the raw read)"
    )
    print(
        f"  general path (instance objects, per-instance encoder): {t_general:.3f} s "
        f"({t_general / t_rows:.1f}x the row path)"
    )


def serve(repo: str, port: int) -> None:
    from openwmi.manager import ObjectManager
    from openwmi.repository import SQLiteRepository
    from openwmi.server._run import ServerThread, build_app

    mgr = ObjectManager(SQLiteRepository(repo))
    app = build_app(mgr, users=None)
    srv = ServerThread(app, port=port).start()
    print("READY", flush=True)
    sys.stdin.readline()  # the parent closes stdin to stop us
    srv.stop()
    mgr.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0]) * 1024
    return out


def ms(x: float) -> str:
    return f"{x * 1000:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--serve", nargs=2, metavar=("REPO", "PORT"))
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    n = args.count
    tmp = tempfile.mkdtemp(prefix="bench-server-")
    repo = os.path.join(tmp, "repo.sqlite")
    print(f"== loading {n} instances of a 7-property class")
    t_load = load(repo, n)
    print(f"  loaded in {t_load:.2f} s ({n / t_load:,.0f}/s, in-process PutInstance)")
    phases(repo)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", repo, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    assert proc.stdout.readline().strip() == "READY"
    url = f"http://127.0.0.1:{port}/cimom"
    results: dict[str, Any] = {}
    try:
        with httpx.Client(timeout=600) as client:

            def post(name: str, params: str) -> bytes:
                body, headers = imethod(name, params)
                r = client.post(url, content=body, headers=headers)
                r.raise_for_status()
                return r.content

            base_rss = rss(proc.pid)
            print(f"  server RSS at start: {base_rss['VmRSS'] / 2**20:.0f} MB")

            print(f"== EnumerateInstances of {n}")
            post(
                "EnumerateInstanceNames",
                '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="Bench_Item"/></IPARAMVALUE>',
            )
            ei = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="Bench_Item"/></IPARAMVALUE>'
            t0 = time.perf_counter()
            data = post("EnumerateInstances", ei)
            t_raw = time.perf_counter() - t0
            count = data.count(b"<VALUE.NAMEDINSTANCE>")
            assert count == n, count
            print(
                f"  raw HTTP: {t_raw:.3f} s, {len(data) / 2**20:.1f} MB, {n / t_raw:,.0f} instances/s"
            )
            after = rss(proc.pid)
            print(
                f"  server RSS after enumerating: {after['VmRSS'] / 2**20:.0f} MB (peak {after['VmHWM'] / 2**20:.0f} MB)"
            )
            import pywbem

            conn = pywbem.WBEMConnection(
                f"http://127.0.0.1:{port}", default_namespace="root/cimv2", timeout=600
            )
            t0 = time.perf_counter()
            insts = conn.EnumerateInstances("Bench_Item")
            t_py = time.perf_counter() - t0
            assert len(insts) == n
            del insts
            print(f"  pywbem client: {t_py:.3f} s ({n / t_py:,.0f} instances/s)")
            print(
                f"  ratio: raw is {t_py / t_raw:.1f}x faster than the pywbem client end to end"
            )
            results["enum_raw_s"] = t_raw
            results["enum_pywbem_s"] = t_py
            results["rss_after_mb"] = after["VmRSS"] / 2**20

            print(f"== GetInstance at {n} stored")
            rnd = random.Random(1)
            lat = []
            for _ in range(500):
                i = rnd.randrange(n)
                p = f'<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="Bench_Item"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="string">{key(i)}</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>'
                t0 = time.perf_counter()
                post("GetInstance", p)
                lat.append(time.perf_counter() - t0)
            plat = []
            for _ in range(200):
                i = rnd.randrange(n)
                t0 = time.perf_counter()
                conn.GetInstance(pywbem.CIMInstanceName("Bench_Item", {"Id": key(i)}))
                plat.append(time.perf_counter() - t0)
            med, pmed = statistics.median(lat), statistics.median(plat)
            print(
                f"  raw HTTP: median {ms(med)}, p99 {ms(sorted(lat)[int(len(lat) * 0.99)])}"
            )
            print(f"  pywbem client: median {ms(pmed)} (ratio {pmed / med:.1f}x)")
            results["get_ms"] = med * 1000

            print("== open pull → first object; CloseEnumeration")
            firsts, closes = [], []
            for _ in range(50):
                t0 = time.perf_counter()
                out = post(
                    "OpenEnumerateInstances",
                    ei
                    + '<IPARAMVALUE NAME="MaxObjectCount"><VALUE>1</VALUE></IPARAMVALUE>',
                )
                firsts.append(time.perf_counter() - t0)
                ctx = (
                    out.split(b'NAME="EnumerationContext" PARAMTYPE="string"><VALUE>')[
                        1
                    ]
                    .split(b"<")[0]
                    .decode()
                )
                t0 = time.perf_counter()
                post(
                    "CloseEnumeration",
                    f'<IPARAMVALUE NAME="EnumerationContext"><VALUE>{ctx}</VALUE></IPARAMVALUE>',
                )
                closes.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r = conn.OpenEnumerateInstances("Bench_Item", MaxObjectCount=1)
            t_pyopen = time.perf_counter() - t0
            conn.CloseEnumeration(r.context)
            print(
                f"  first object: median {ms(statistics.median(firsts))} (pywbem client {ms(t_pyopen)})"
            )
            print(f"  CloseEnumeration: median {ms(statistics.median(closes))}")
            results["first_ms"] = statistics.median(firsts) * 1000
            results["close_ms"] = statistics.median(closes) * 1000

            print("== CreateInstance rate (raw HTTP, one request each)")
            for label, start in (
                ("at N stored", n + 10_000_000),
                ("new ids", n + 20_000_000),
            ):
                t0 = time.perf_counter()
                k = 500
                for i in range(start, start + k):
                    post(
                        "CreateInstance",
                        f'<IPARAMVALUE NAME="NewInstance">{instance_xml(i)}</IPARAMVALUE>',
                    )
                rate = k / (time.perf_counter() - t0)
                print(f"  {label}: {rate:,.0f}/s")
                results.setdefault("create_per_s", rate)
            final = rss(proc.pid)
            print(
                f"== server RSS at the end: {final['VmRSS'] / 2**20:.0f} MB (peak {final['VmHWM'] / 2**20:.0f} MB)"
            )
    finally:
        proc.stdin.close()
        proc.wait(60)
    print("\nsummary vs targets (issue 5):")
    print(
        f"  EnumerateInstances {n} raw: {results['enum_raw_s']:.2f} s (target <= 0.6 s at 100k)"
    )
    print(f"  GetInstance: {results['get_ms']:.2f} ms (target <= 1 ms)")
    print(f"  open pull first object: {results['first_ms']:.2f} ms (target <= 10 ms)")
    print(f"  CloseEnumeration: {results['close_ms']:.2f} ms (target <= 5 ms)")
    print(
        f"  server RSS after enumerating: {results['rss_after_mb']:.0f} MB (target <= 150 MB)"
    )
    print(f"  CreateInstance: {results['create_per_s']:,.0f}/s (target >= 1,000/s)")


if __name__ == "__main__":
    main()
