"""Measure the embedding stage: conversion, load, and passages/s for the pipeline vs raw encode.

Run: ``python -m eval.bench_embed [--passages 64]``. Prints one JSON object.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import click

from assistent.settings import Settings, offline_env
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


@click.command()
@click.option("--passages", default=64, show_default=True, help="number of ~300-token passages")
def main(passages: int) -> None:
    """Print conversion time, load time and throughput as JSON."""
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
        result = {
            "convert_s": round(convert_s, 2),
            "load_s": round(load_s, 2),
            "passages": len(texts),
            "mean_tokens": round(sum(tokens) / len(tokens), 1),
            "batch_size": settings.embedding.batch_size,
            **throughput(embedder, texts),
        }
    click.echo(json.dumps(result))


if __name__ == "__main__":
    main()
