"""Indication latency: ``put_instance`` on the server's object manager → a
pywbem ``WBEMListener`` callback in another process on loopback (issue 6
target: p99 ≤ 20 ms to a remote listener).

The server (uvicorn in a thread, in-memory repository) and the writer run in
this process; the listener runs in a child process (``--listen``) and prints
``<name> <CLOCK_MONOTONIC ns>`` per indication received, so receipt is timed
on the same system-wide clock. The subscription is made with pywbem's
``WBEMSubscriptionManager``. Events are written one at a time (each waits for
its receipt: unloaded latency), then a burst shows sustained throughput.

Peer (same run, same listener): the same ExportIndication body POSTed
straight with httpx, i.e. the floor that HTTP + pywbem's listener costs.

    .venv/bin/python bench/bench_indications.py [--count 500] [--burst 2000]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from typing import IO, Any

import httpx


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


# --- child: the listener ---------------------------------------------------------------
def listen() -> None:
    from pywbem import WBEMListener

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lis = WBEMListener("127.0.0.1", http_port=port, max_ind_queue_size=0)
    lis.queue_get_timeout = 0.05

    def got(ind: Any, host: str) -> None:
        now = time.monotonic_ns()
        target = ind.get("TargetInstance")
        name = target["Name"] if target is not None else ind.classname
        sys.stdout.write(f"{name} {now}\n")
        sys.stdout.flush()

    lis.add_callback(got)
    lis.start()
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes stdin
    lis.stop()


# --- parent ------------------------------------------------------------------------------
def _read(stream: IO[str]) -> tuple[str, int]:
    line = stream.readline()
    if not line:
        raise RuntimeError("the listener process ended")
    name, ns = line.split()
    return name, int(ns)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=500, help="sequential events")
    ap.add_argument(
        "--burst", type=int, default=2000, help="events written as fast as possible"
    )
    ap.add_argument("--listen", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.listen:
        listen()
        return

    from pywbem import WBEMConnection, WBEMServer, WBEMSubscriptionManager

    from openwmi.manager import ObjectManager, compile_into
    from openwmi.protocol._export import export_indication_request
    from openwmi.repository import SQLiteRepository
    from openwmi.server._indications import indication_service
    from openwmi.server._run import ServerThread, build_app

    child = subprocess.Popen(
        [sys.executable, __file__, "--listen"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    tag, port = child.stdout.readline().split()
    assert tag == "PORT"
    listener_url = f"http://127.0.0.1:{port}"

    manager = ObjectManager(SQLiteRepository(":memory:"))
    compile_into(
        manager, "root/cimv2", "class B_Item { [Key] string Name; uint32 N; };"
    )
    server = ServerThread(build_app(manager, users=None)).start()
    ns = "root/cimv2"
    try:
        conn = WBEMConnection(server.url, timeout=30)
        with WBEMSubscriptionManager("bench") as sm:
            sid = sm.add_server(WBEMServer(conn))
            d = sm.add_destination(sid, listener_url, destination_id="d")
            f = sm.add_filter(
                sid,
                ns,
                "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'B_Item'",
                filter_id="f",
            )
            sm.add_subscriptions(sid, f.path, [d.path])

            def put(name: str) -> None:
                manager.put_instance(
                    ns, manager.spawn_instance(ns, "B_Item", Name=name, N=1)
                )

            for i in range(20):  # warm-up: connections, class plans
                put(f"w{i}")
                _read(child.stdout)
            lat: list[float] = []
            for i in range(args.count):
                name = f"s{i}"
                t0 = time.monotonic_ns()
                put(name)
                got, t1 = _read(child.stdout)
                assert got == name, (got, name)
                lat.append((t1 - t0) / 1e6)

            # peer: the same export body straight to the listener
            sample = manager.get_instance(ns, 'B_Item.Name="s0"')
            event = manager.events.instance_event(ns, "creation", sample)
            peer: list[float] = []
            with httpx.Client(trust_env=False) as client:
                for i in range(args.count):
                    body = export_indication_request(event, str(i))
                    t0 = time.monotonic_ns()
                    client.post(
                        listener_url,
                        content=body,
                        headers={
                            "Content-Type": 'application/xml; charset="utf-8"',
                            "CIMExport": "MethodRequest",
                            "CIMExportMethod": "ExportIndication",
                        },
                    )
                    _, t1 = _read(child.stdout)
                    peer.append((t1 - t0) / 1e6)

            t0 = time.monotonic_ns()
            for i in range(args.burst):
                put(f"b{i}")
            write_s = (time.monotonic_ns() - t0) / 1e9
            # past the queue limit the oldest are dropped (with one overflow
            # notice): read until the last one written arrives
            received, last, final = 0, 0, f"b{args.burst - 1}"
            while True:
                name, last = _read(child.stdout)
                received += 1
                if name == final:
                    break
            burst_s = (last - t0) / 1e9
            service = indication_service(manager)
            stats = service.statistics() if service is not None else []
    finally:
        server.stop()
        manager.close()
        child.stdin.close()
        child.wait(30)

    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    q50, q99 = percentile(peer, 50), percentile(peer, 99)
    print(
        f"put_instance -> pywbem WBEMListener callback (other process), n={args.count}"
    )
    print(
        f"  openwmi      p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(lat):6.2f} ms"
    )
    print(f"  peer (raw POST of the same body) p50 {q50:6.2f} ms   p99 {q99:6.2f} ms")
    print(f"  ratio openwmi/peer: p50 {p50 / q50:4.2f}x   p99 {p99 / q99:4.2f}x")
    print(
        f"burst of {args.burst}: writer done in {write_s:.2f} s "
        f"({args.burst / write_s:,.0f} puts/s, never waits on delivery); "
        f"{received} received in {burst_s:.2f} s ({received / burst_s:,.0f} "
        "indications/s)"
    )
    for s in stats:
        print(
            f"  destination {s.url}: delivered {s.delivered}, failed {s.failed}, "
            f"dropped {s.dropped}, retries {s.retries}"
        )
    verdict = "PASS" if p99 <= 20.0 else "FAIL"
    print(f"target p99 <= 20 ms to a remote listener: {verdict} ({p99:.2f} ms)")


if __name__ == "__main__":
    main()
