"""CIM-XML client benchmark: openwmi's streaming response parser against the
pywbem client's parser on the same EnumerateInstances response.

The response holds N instances (default 100,000) of a 7-property class
(string key, string, uint64, uint32, boolean, datetime, string array),
written by openwmi's server encoder. Two figures, each with its ratio:

1. parse only: the same bytes, in 64 KiB chunks, through
   ``openwmi.protocol._client.ResponseParser`` (objects decoded as bytes
   arrive) and through pywbem's ``xml_to_tupletree_sax`` + ``TupleParser``
   (what ``WBEMConnection`` does with every response);
2. end to end: the same response served by a canned HTTP server on
   127.0.0.1, fetched with ``openwmi.connect(url).manager`` (classic
   EnumerateInstances, streamed) and with ``pywbem.WBEMConnection``.

    .venv/bin/python bench/bench_client.py [--count 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import http.server
import threading
import time
from typing import Any

from openwmi.manager import ObjectManager, compile_into
from openwmi.model import CIMDateTime
from openwmi.protocol import InstanceEncoder, response_head, response_tail
from openwmi.protocol._client import ResponseParser
from openwmi.repository import SQLiteRepository

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
NS = "root/cimv2"
CHUNK = 64 * 1024


def build_response(count: int) -> bytes:
    """The EnumerateInstances response openwmi's server writes for ``count`` items."""
    manager = ObjectManager(SQLiteRepository(":memory:"))
    try:
        compile_into(manager, NS, CLASS_MOF)
        enc = InstanceEncoder(
            include_class_origin=False, property_list=None, host="bench", namespace=NS
        )
        created = CIMDateTime.parse("20240102030405.000000+000")
        parts = [response_head("1", "EnumerateInstances"), "<IRETURNVALUE>"]
        for i in range(count):
            inst = manager.spawn_instance(
                NS,
                "Bench_Item",
                Id=f"item-{i:08d}",
                Name=f"name of item {i}",
                Size=i * 4096,
                Count=i % 1000,
                Flag=bool(i & 1),
                Created=created,
                Tags=["alpha", "beta & gamma"],
            )
            parts.append(enc.named_instance(inst))
        parts.append("</IRETURNVALUE>")
        parts.append(response_tail())
        return "".join(parts).encode()
    finally:
        manager.close()


def parse_openwmi(body: bytes) -> int:
    parser = ResponseParser(NS, ("VALUE.NAMEDINSTANCE",))
    n = 0
    for start in range(0, len(body), CHUNK):
        n += len(parser.feed(body[start : start + CHUNK]))
    n += len(parser.close())
    assert parser.error is None
    return n


def parse_pywbem(body: bytes) -> int:
    from pywbem._tupleparse import TupleParser
    from pywbem._tupletree import xml_to_tupletree_sax

    tt = xml_to_tupletree_sax(body, "CIM-XML response")
    return _count_instances(TupleParser("bench").parse_cim(tt))


def _count_instances(tree: Any) -> int:
    import pywbem

    count = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, pywbem.CIMInstance):
            count += 1
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return count


def best(fn: Any, body: bytes, repeat: int) -> tuple[float, int]:
    times = []
    n = 0
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        n = fn(body)
        times.append(time.perf_counter() - t0)
    return min(times), n


class _Canned(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", 'application/xml; charset="utf-8"')
        self.send_header("CIMOperation", "MethodResponse")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


def end_to_end(body: bytes, repeat: int) -> tuple[float, float, int, int]:
    import pywbem

    from openwmi.client._remote import RemoteManager
    from openwmi.protocol._client import iparam_classname

    _Canned.body = body
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        remote = RemoteManager(url, timeout=300)
        t_ow = []
        n_ow = 0
        for _ in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            n_ow = sum(
                1
                for _ in remote._streamed(
                    "EnumerateInstances",
                    NS,
                    [iparam_classname("ClassName", "Bench_Item")],
                )
            )
            t_ow.append(time.perf_counter() - t0)
        remote.close()
        conn = pywbem.WBEMConnection(url, default_namespace=NS, timeout=300)
        t_py = []
        n_py = 0
        for _ in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            n_py = len(conn.EnumerateInstances("Bench_Item"))
            t_py.append(time.perf_counter() - t0)
        return min(t_ow), min(t_py), n_ow, n_py
    finally:
        server.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--no-http", action="store_true", help="parse-only (skip the end-to-end run)"
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    body = build_response(args.count)
    print(
        f"response: {args.count:,} instances, {len(body) / 1e6:.1f} MB "
        f"(built in {time.perf_counter() - t0:.1f} s)"
    )
    t_ow, n_ow = best(parse_openwmi, body, args.repeat)
    t_py, n_py = best(parse_pywbem, body, max(1, min(args.repeat, 2)))
    assert n_ow == args.count, n_ow
    assert n_py == args.count, n_py
    print("parse only (same bytes):")
    print(f"  openwmi ResponseParser: {t_ow:.3f} s ({n_ow / t_ow:,.0f} instances/s)")
    print(
        f"  pywbem tupletree+tupleparse: {t_py:.3f} s ({n_py / t_py:,.0f} instances/s)"
    )
    print(
        f"  ratio: openwmi parses {t_py / t_ow:.1f}x as many instances/s (target >= 10x)"
    )
    if not args.no_http:
        e_ow, e_py, m_ow, m_py = end_to_end(body, max(1, min(args.repeat, 2)))
        assert m_ow == m_py == args.count, (m_ow, m_py)
        print("end to end (canned HTTP server on loopback, same response):")
        print(f"  openwmi client: {e_ow:.3f} s ({m_ow / e_ow:,.0f} instances/s)")
        print(f"  pywbem client:  {e_py:.3f} s ({m_py / e_py:,.0f} instances/s)")
        print(f"  ratio: {e_py / e_ow:.1f}x")


if __name__ == "__main__":
    main()
