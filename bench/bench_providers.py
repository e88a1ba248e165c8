"""Provider benchmarks (issue 7), each against a peer measured in the same run.

1. ``SELECT Name, ProcessId FROM Win32_Process`` (enumeration + projection of
   Name and ProcessId) vs ``ps -e -o pid,comm`` (the floor for reading every
   process, its process start included). Target: within 3x.
2. Get by key ``Win32_Process.Handle="<pid>"``. Target: median <= 1 ms.
3. The same provider (a 20,000-object enumeration, then Win32_Process)
   isolated in a provider host vs in-process. Target: isolated rate >= 1/2.

Run: ``.venv/bin/python bench/bench_providers.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openwmi
from openwmi.providers import IsolatedProvider, ProviderHost, install_builtin

COUNTING = """
class Counting:
    def __init__(self, n=20000):
        self.n = n
    def enumerate_instances(self, ctx, classname):
        for i in range(self.n):
            yield {"Name": "n%d" % i, "V": i}
"""


def median_time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeat = 5 if args.quick else 30
    print(f"openwmi imported from {Path(openwmi.__file__).parent}")
    svc = openwmi.connect(repository=":memory:")
    install_builtin(svc)
    results: list[tuple[str, str, bool]] = []

    # 1. enumeration vs ps
    def query() -> list[tuple[str, int]]:
        return [
            (p.Name, p.ProcessId) for p in svc.create_instance_enum("Win32_Process")
        ]

    def ps() -> bytes:
        return subprocess.run(
            ["ps", "-e", "-o", "pid,comm"], capture_output=True, check=True
        ).stdout

    n = len(query())
    ours, peer = median_time(query, repeat), median_time(ps, repeat)
    ratio = ours / peer
    print(
        f"Win32_Process Name,ProcessId ({n} processes): openwmi {ours * 1e3:.2f} ms | "
        f"ps -e -o pid,comm {peer * 1e3:.2f} ms | openwmi/ps = {ratio:.2f}x"
    )
    results.append(("enumeration within 3x of ps", f"{ratio:.2f}x", ratio <= 3.0))

    # 2. get by key
    path = f'Win32_Process.Handle="{os.getpid()}"'
    get = median_time(lambda: svc.get_object(path), repeat * 20)
    print(f"get by key {path}: median {get * 1e3:.3f} ms")
    results.append(("get by key <= 1 ms", f"{get * 1e3:.3f} ms", get <= 1e-3))

    # 3. isolated vs in-process, same provider
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bench_counting.py").write_text(COUNTING)
        sys.path.insert(0, tmp)
        import bench_counting  # type: ignore[import-not-found]

        svc.compile_mof("class B_In { [Key] string Name; uint32 V; };")
        svc.compile_mof("class B_Iso { [Key] string Name; uint32 V; };")
        svc.register_provider("B_In", bench_counting.Counting())
        host = ProviderHost("bench", sys_path=[tmp])
        svc.register_provider(
            "B_Iso", IsolatedProvider("bench_counting:Counting", host=host)
        )
        reps = max(3, repeat // 3)
        t_in = median_time(lambda: list(svc.create_instance_enum("B_In")), reps)
        t_iso = median_time(lambda: list(svc.create_instance_enum("B_Iso")), reps)
        r = t_in / t_iso
        print(
            f"20,000 objects: in-process {20000 / t_in:,.0f}/s | isolated "
            f"{20000 / t_iso:,.0f}/s | isolated/in-process = {r:.2f}"
        )
        results.append(("isolated >= 1/2 in-process (counting)", f"{r:.2f}", r >= 0.5))

        iso_svc = openwmi.connect(repository=":memory:")
        builtin_host = ProviderHost("builtin")
        install_builtin(iso_svc, hosting="isolated", host=builtin_host)

        def iso_query() -> int:
            return len(list(iso_svc.create_instance_enum("Win32_Process")))

        t_iso_p = median_time(iso_query, repeat)
        rp = ours / t_iso_p
        print(
            f"Win32_Process: in-process {ours * 1e3:.2f} ms | isolated "
            f"{t_iso_p * 1e3:.2f} ms | isolated/in-process rate = {rp:.2f}"
        )
        results.append(
            ("isolated >= 1/2 in-process (Win32_Process)", f"{rp:.2f}", rp >= 0.5)
        )
        host.close()
        builtin_host.close()
        iso_svc.close()
    svc.close()
    print("\nsummary")
    for name, value, ok in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {value}")


if __name__ == "__main__":
    main()
