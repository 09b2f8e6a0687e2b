"""Measure the embedding stage: conversion, load, passages/s, and question encoding old vs new.

Run: ``python -m eval.bench_embed [--passages 64] [--questions 30]``. Prints one JSON object.
``python -m eval bench`` runs ``compare_query_encoders`` too, with hit@5 on a real store.

Question encoding is timed alone and beside a busy neighbour: a second Python process
spinning on one core for a bounded time, as on a shared server where other jobs want the
CPU. Old and new encoders are timed in alternating turns over the question list, so both
see the same noise from the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from eval.metrics import percentiles
from grund.settings import Settings, offline_env
from ingest.embed import Embedder, get_embedder

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def corpus_passages(
    embedder: Embedder, n: int, target_tokens: int = 300, source: str = "003_*.txt"
) -> list[str]:
    """Consecutive word windows of a corpus file, each grown to about ``target_tokens`` tokens.

    Args:
        embedder: used to count tokens the way the model does.
        n: number of passages wanted (fewer if the file runs out).
        target_tokens: tokens per passage including prefix and specials.
        source: glob of the corpus file to cut.
    """
    words = next(CORPUS.glob(source)).read_text(encoding="utf-8").split()
    passages: list[str] = []
    start = 0
    # Swedish runs ~1.6 tokens per word here, so 300 tokens is ~180 words: start
    # from that guess and add words one by one until the target is reached
    guess = int(target_tokens / 1.6)
    while len(passages) < n and start + guess < len(words):
        end = start + guess
        while end < len(words) and embedder.count_tokens(" ".join(words[start:end])) < target_tokens:
            end += 1
        passages.append(" ".join(words[start:end]))
        start = end
    return passages


def throughput(embedder: Embedder, texts: list[str]) -> dict[str, float]:
    """Passages per second through ``embed_passages`` and through the plain ``encode`` call.

    Args:
        embedder: a loaded embedder.
        texts: the passages to embed.
    """
    embedder.embed_passages(texts[:4])  # warm-up: first call allocates and tunes kernels
    t = time.perf_counter()
    embedder.raw_encode(texts)
    raw = time.perf_counter() - t
    t = time.perf_counter()
    embedder.embed_passages(texts)
    pipeline = time.perf_counter() - t
    return {"raw_per_s": round(len(texts) / raw, 2), "pipeline_per_s": round(len(texts) / pipeline, 2)}


#: The busy neighbour: one CPU-bound loop that ends by itself after argv[1] seconds.
_BUSY = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end:\n    pass\n"


@contextmanager
def busy_neighbour(max_seconds: float = 300.0) -> Iterator[None]:
    """Run a CPU-bound process beside the block; it is killed at the end, and stops by itself anyway.

    Args:
        max_seconds: how long it may spin at most.
    """
    proc = subprocess.Popen([sys.executable, "-c", _BUSY, str(max_seconds)])
    try:
        time.sleep(0.3)  # let it start spinning before anything is timed
        yield
    finally:
        proc.kill()
        proc.wait()


def old_query_settings(settings: Settings) -> Settings:
    """The settings of the encoder before ONNX: torch with every core (ASSISTENT_EMBED_THREADS=0).

    Args:
        settings: the current settings.
    """
    embedding = settings.embedding.model_copy(update={"backend": "torch", "threads": 0})
    return settings.model_copy(update={"embedding": embedding})


def _timed_turns(embedders: dict[str, Embedder], questions: list[str], rounds: int = 2) -> dict[str, dict]:
    # Turns of the whole question list, not of single questions: torch's OpenMP threads
    # keep spinning for a while after each call and would slow the next encoder's call.
    # Besides wall time, the CPU time of this process (every thread, so torch's pool counts too):
    # on a machine where other jobs hold the cores, wall time is CPU time plus the wait for a core.
    times: dict[str, list[float]] = {name: [] for name in embedders}
    cpu: dict[str, list[float]] = {name: [] for name in embedders}
    for _ in range(rounds):
        for name, e in embedders.items():
            time.sleep(0.5)  # the other encoder's threads go quiet
            for q in questions:
                t, c = time.perf_counter(), time.process_time()
                e.embed_queries([q])  # not embed_query: its cache would time a dict look-up
                times[name].append((time.perf_counter() - t) * 1000)
                cpu[name].append((time.process_time() - c) * 1000)
    return {name: {**percentiles(ms), "cpu_p50": percentiles(cpu[name])["p50"]} for name, ms in times.items()}


def compare_query_encoders(old: Embedder, new: Embedder, questions: list[str]) -> dict:
    """embed_query p50/p95 of both encoders alone and beside a busy neighbour, and how close
    the new vectors are to the old (fp32) ones.

    Args:
        old: the reference encoder (torch, fp32).
        new: the encoder to compare (the default).
        questions: questions to encode (each is timed once per condition and encoder).
    """
    pair = {"old": old, "new": new}
    for e in pair.values():
        e.embed_queries(questions[:2])  # warm-up: first calls allocate and pick kernels
    alone = _timed_turns(pair, questions)
    with busy_neighbour():
        busy = _timed_turns(pair, questions)
    cos = (old.embed_queries(questions) * new.embed_queries(questions)).sum(axis=1)
    out: dict = {
        "questions": len(questions),
        "old": {"runtime": old.runtime, "alone": alone["old"], "busy": busy["old"]},
        "new": {"runtime": new.runtime, "alone": alone["new"], "busy": busy["new"]},
        "cosine_min": round(float(cos.min()), 4),
        "cosine_mean": round(float(cos.mean()), 4),
    }
    for cond in ("alone", "busy"):
        for p in ("p50", "p95"):
            o, n = out["old"][cond][p], out["new"][cond][p]
            out[f"speedup_{cond}_{p}"] = round(o / n, 1) if o and n else None
    return out


@click.command()
@click.option("--passages", default=64, show_default=True, help="number of ~300-token passages")
@click.option("--questions", default=30, show_default=True, help="dev questions for question encoding")
def main(passages: int, questions: int) -> None:
    """Print conversion time, load time, throughput and question-encoding latency as JSON."""
    offline_env()
    from ingest.e5convert import ensure_converted

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", model_cache=Path(tmp) / "models")
        t = time.perf_counter()
        ensure_converted(settings.models_dir)
        convert_s = time.perf_counter() - t
        t = time.perf_counter()
        embedder = get_embedder(settings)
        load_s = time.perf_counter() - t
        texts = corpus_passages(embedder, passages)
        tokens = [embedder.count_tokens(p) for p in texts]
        result: dict[str, object] = {
            "convert_s": round(convert_s, 2),
            "load_s": round(load_s, 2),
            "passages": len(texts),
            "mean_tokens": round(sum(tokens) / len(tokens), 1),
            "batch_size": settings.embedding.batch_size,
            **throughput(embedder, texts),
        }
        from eval.run import DEFAULT_GOLD

        lines = DEFAULT_GOLD.read_text(encoding="utf-8").splitlines()[:questions]
        qs = [json.loads(line)["question"] for line in lines]
        old = get_embedder(old_query_settings(settings))
        result["embed_query"] = compare_query_encoders(old, embedder, qs)
    click.echo(json.dumps(result))


if __name__ == "__main__":
    main()
