"""Load run: N clients ask a real server for S seconds while `assistent ingest` runs in another process.

    python scripts/load_live_ingest.py --data-dir /tmp/load --ingest ../shared/realdocs --clients 20 --seconds 60

The data dir should already hold a store (e.g. the example corpus). Prints errors, p50/p95
latency per endpoint and the server's resident memory before/after (VmRSS, VmHWM), and
whether the documents of the ingest were visible to the running server afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

QUESTIONS = [
    "Vad beslutade socialnämnden om avgiften för hemsjukvård?",
    "Vad kostar matdistribution?",
    "Vilka beslut fattade kommunstyrelsen om budgeten?",
    "Hur ofta ska planen revideras?",
    "Vad beslutade nämnden om bokslutet för 2023?",
]


def _mem(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            k, v = line.split(":")
            out[k] = int(v.split()[0]) // 1024
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--ingest", required=True, nargs="+")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "assistent")
    env = dict(os.environ, ASSISTENT_DATA_DIR=args.data_dir)
    base = f"http://127.0.0.1:{args.port}"
    log = open(Path(args.data_dir) / "load-server.log", "w")
    server = subprocess.Popen([exe, "serve", "--port", str(args.port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "servern startade inte"
            time.sleep(0.5)
        docs_before = httpx.get(base + "/healthz").json()["documents"]
        mem_before = _mem(server.pid)
        ingest = subprocess.Popen([exe, "ingest", "-q", *args.ingest], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        results: list[tuple[str, int, float]] = []
        stop_at = time.monotonic() + args.seconds

        def client(i: int) -> None:
            with httpx.Client(base_url=base, timeout=120) as c:
                n = i
                while time.monotonic() < stop_at:
                    q = QUESTIONS[n % len(QUESTIONS)]
                    n += 1
                    t = time.perf_counter()
                    try:
                        if n % 2:
                            r = c.post("/api/ask", json={"question": q})
                            kind = "ask"
                        else:
                            r = c.get("/api/search", params={"q": q, "dokumenttyp": "protokoll"})
                            kind = "search"
                        results.append((kind, r.status_code, time.perf_counter() - t))
                    except httpx.HTTPError as exc:
                        results.append((f"transport:{type(exc).__name__}", 0, time.perf_counter() - t))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ingest_running_at_end = ingest.poll() is None
        mem_after = _mem(server.pid)
        out, _ = ingest.communicate(timeout=3600)
        time.sleep(1)
        docs_after = httpx.get(base + "/healthz").json()["documents"]
        errors = [r for r in results if r[1] != 200]
        print(f"clients {args.clients} × {args.seconds:.0f} s, ingest of {' '.join(args.ingest)} "
              f"{'still running' if ingest_running_at_end else 'finished'} when the clients stopped")
        print(f"requests {len(results)}, errors {len(errors)} {sorted({(e[0], e[1]) for e in errors})}")
        for kind in ("ask", "search"):
            xs = [d for k, s, d in results if k == kind and s == 200]
            print(f"{kind:6} n={len(xs):5}  p50 {_pct(xs, .5):6.0f} ms  p95 {_pct(xs, .95):6.0f} ms")
        print(f"server memory MB before {mem_before}, after {mem_after}")
        print(f"documents seen by the running server: {docs_before} before, {docs_after} after the ingest (no restart)")
        print("ingest: " + " | ".join(out.strip().splitlines()[-6:]))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
