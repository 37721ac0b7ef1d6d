"""Issue 14: a load test of `unetkit serve` on 127.0.0.1, bounded: N requests from C concurrent
clients, then it stops. Reports errors, p50/p95 latency, requests/s, and the server's resident memory
after each quarter of the requests (stable = no growth from the second quarter on).

Usage: python benchmarks/serve_load.py --checkpoint runs/x/best.pt [--image IMG] [--requests 500]
       [--clients 16] [--workers 2] [--no-append]
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from _report import append_report


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--image", default=str(Path(__file__).resolve().parents[2] / "shared/data/drive/test/images/01_test.tif"))
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("overrides", nargs="*", help="infer.key=value for the server, e.g. infer.tta=false")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "unetkit", "serve", "--checkpoint", args.checkpoint, "--port",
                               str(port), "--workers", str(args.workers), *args.overrides],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        payload = Path(args.image).read_bytes()
        latencies, errors, memory, done = [], [], [], [0]
        lock = threading.Lock()
        quarter = max(1, args.requests // 4)

        def one(index: int) -> None:
            started = time.perf_counter()
            try:
                response = httpx.post(f"{url}/predict", files={"file": (Path(args.image).name, payload)}, timeout=600)
                ok = response.status_code == 200 and "classes" in response.json()
            except httpx.HTTPError as error:
                ok, response = False, error
            with lock:
                latencies.append(time.perf_counter() - started)
                if not ok:
                    errors.append(str(response))
                done[0] += 1
                if done[0] % quarter == 0:
                    memory.append((done[0], resident_mb(server.pid)))

        memory.append((0, resident_mb(server.pid)))
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(one, range(args.requests)))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    p50, p95 = np.percentile(latencies, [50, 95])
    lines = [(f"`unetkit serve --checkpoint {args.checkpoint} --workers {args.workers} {' '.join(args.overrides)}` on "
              f"127.0.0.1; {args.requests} "
              f"POST /predict (JSON) of {Path(args.image).name} from {args.clients} concurrent clients (httpx).\n"),
             "| requests | errors | p50 latency s | p95 latency s | requests/s "
             "| server RSS MB (after 0 / 1/4 / 1/2 / 3/4 / all) |",
             "|---|---|---|---|---|---|",
             f"| {args.requests} | {len(errors)} | {p50:.2f} | {p95:.2f} | {args.requests / elapsed:.2f} | "
             + " / ".join(f"{mb:.0f}" for _, mb in memory) + " |"]
    if errors:
        lines.append(f"\nfirst error: {errors[0][:200]}")
    append_report("unetkit serve under load (issue 14)", lines, append=not args.no_append)


if __name__ == "__main__":
    main()
