"""Time to first answer fragment in the web chat: first 'delta' event of /fraga/strom over HTTP.

Serves the example corpus with uvicorn on a free loopback port (the model warmed up
at startup, as ``assistent serve`` does) and asks the gold questions through the SSE
stream the browser uses. Reports p50/p90/max in ms of the first answer byte and of
the complete answer. Run: ``python -m eval.bench_web [--data-dir DIR] [--questions 20]``.
The store in --data-dir is reused; an empty one gets the example corpus ingested first.
"""

from __future__ import annotations

import json
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import click
import httpx

from assistent.api import Assistant
from grund.settings import get_settings, offline_env

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "dev_questions.jsonl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_stream(client: httpx.Client, question: str) -> tuple[float, float]:
    """(seconds to the first 'delta' event, seconds to the end of the stream) for one question.

    Args:
        client: an httpx client whose base_url is the running app.
        question: the question, sent as the chat's answer stream does.
    """
    t0 = time.perf_counter()
    first = None
    with client.stream("GET", "/fraga/strom", params={"fraga": question}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if first is None and line == "event: delta":
                first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return (first if first is not None else total), total


def _percentiles(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[min(len(ms) - 1, int(0.9 * len(ms)))], 1),
        "max_ms": round(ms[-1], 1),
    }


@click.command()
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Datakatalog (standard: en tillfällig)."
)
@click.option("--questions", default=20, show_default=True, help="Antal guldfrågor att ställa.")
def main(data_dir: Path | None, questions: int) -> None:
    """Mät tid till första svarsfragmentet i webbchatten."""
    import uvicorn

    from web.app import create_app

    offline_env()
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="bench-web-"))
    settings = get_settings().model_copy(update={"data_dir": data_dir})
    assistant = Assistant(settings)
    if assistant.store.count_documents() == 0:
        assistant.ingest([ROOT / "corpus"])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(assistant=assistant), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()  # runs the lifespan: the model is warmed up before the first question
    while not server.started:
        time.sleep(0.05)
    asked = [
        json.loads(line)["question"]
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    asked = asked[:questions]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            times = [time_stream(client, q) for q in asked]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    report = {
        "questions": len(times),
        "answerer": "generativ" if settings.llm.enabled else "extraktiv",
        "first_fragment": _percentiles([t[0] for t in times]),
        "complete_answer": _percentiles([t[1] for t in times]),
    }
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
