"""Load on ``assistent serve --workers N``: 20 clients × 60 s of /api/search on loopback, 1 vs 2 workers.

Each run starts the real command against one data directory (the store is shared,
read-only for the workers), waits for /healthz, lets ``clients`` threads send searches
(the dev questions in turn) for ``seconds``, then reads every worker's peak RSS
(VmHWM) and stops the server. The request loop is bounded in time and only talks to
127.0.0.1. Run: ``python -m eval.bench_serve --data-dir DIR [--clients 20] [--seconds 60]``;
``--merge eval/reports/bench.json`` adds the figures to the benchmark report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import httpx

from eval.metrics import percentiles
from eval.run import DEFAULT_GOLD

#: Seconds a server may take to load its model(s) and answer /healthz.
START_TIMEOUT_S = 300


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _worker_pids(pid: int) -> list[int]:
    import psutil

    children = psutil.Process(pid).children(recursive=True)
    # uvicorn's supervisor forks the workers (multiprocessing spawn also starts a resource tracker)
    return [c.pid for c in children if "resource_tracker" not in " ".join(c.cmdline())] or [pid]


def load_run(
    data_dir: Path,
    workers: int,
    clients: int,
    seconds: float,
    questions: list[str],
    model_cache: Path | None = None,
) -> dict:
    """Start the server with ``workers``, load it, and return latency, throughput, errors and RSS.

    Args:
        data_dir: the data directory the server reads.
        workers: uvicorn worker processes.
        clients: concurrent client threads.
        seconds: how long the clients send requests.
        questions: the questions sent, in turn.
        model_cache: the converted models' directory (default: the data directory's).
    """
    port = _free_port()
    env = {**os.environ, "ASSISTENT_DATA_DIR": str(data_dir)}
    if model_cache is not None:
        env["ASSISTENT_MODEL_CACHE"] = str(model_cache)
    # the installed command itself, as a user starts it
    cmd = [str(Path(sys.executable).parent / "assistent"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        ready = 0
        with httpx.Client(base_url=base, timeout=30) as c:
            # every worker must have its model loaded: ask until `workers` distinct answers came fast
            while time.monotonic() - t0 < START_TIMEOUT_S:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"servern avslutades: {proc.stderr.read()[-2000:] if proc.stderr else ''}"
                    )
                try:
                    if c.get("/healthz").status_code == 200:
                        ready += 1
                        if ready >= 3 * workers:
                            break
                        continue
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            else:
                raise RuntimeError("servern svarade inte i tid")
            for q in questions[: 4 * workers]:  # warm every worker's caches a little
                c.get("/api/search", params={"q": q})
        start_s = time.monotonic() - t0
        lat: list[float] = []
        errors = 0
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def client(i: int) -> None:
            nonlocal errors
            n = i
            with httpx.Client(base_url=base, timeout=60) as c:
                while time.monotonic() < stop_at:
                    q = questions[n % len(questions)]
                    n += clients
                    t = time.perf_counter()
                    try:
                        ok = c.get("/api/search", params={"q": q}).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    ms = (time.perf_counter() - t) * 1000
                    with lock:
                        if ok:
                            lat.append(ms)
                        else:
                            errors += 1

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        t = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - t
        rss = [r for r in (_peak_rss_mb(p) for p in _worker_pids(proc.pid)) if r is not None]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {
        "workers": workers,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "start_s": round(start_s, 1),
        "requests": len(lat),
        "errors": errors,
        "per_s": round(len(lat) / elapsed, 1),
        **{k: round(v, 1) if v is not None else None for k, v in percentiles(lat).items()},
        "rss_mb_per_worker": [round(r) for r in rss],
    }


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--clients", default=20, show_default=True)
@click.option("--seconds", default=60.0, show_default=True)
@click.option("--workers", default="1,2", show_default=True, help="worker counts to compare")
@click.option(
    "--merge", type=click.Path(path_type=Path, dir_okay=False), default=None, help="bench.json to add to"
)
def main(data_dir: Path, clients: int, seconds: float, workers: str, merge: Path | None) -> None:
    """Print the load runs as JSON (and add them to a benchmark report with --merge)."""
    lines = DEFAULT_GOLD.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines]
    runs = [load_run(data_dir, int(w), clients, seconds, questions) for w in workers.split(",")]
    click.echo(json.dumps(runs))
    if merge:
        from eval.bench_report import plot_bench, render_bench

        r = json.loads(merge.read_text(encoding="utf-8"))
        r["serve"] = runs
        merge.write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
        plot_bench(r, merge.parent / "bench.png")
        (merge.parent / "bench.md").write_text(render_bench(r), encoding="utf-8")


if __name__ == "__main__":
    main()
