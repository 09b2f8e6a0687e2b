"""`python -m eval bench`: ingest throughput, latency, growth with corpus size, and memory, in one run.

Growth uses synthetic copies of the example corpus with altered numbers and dates,
so every copy has its own content hash and ids. Embedding 100× the corpus for real
would take hours on 2 cores (~30 000 chunks at ~7/s ≈ 70 min), so only the 1× corpus
is embedded for real; each copy's chunks reuse the vector of the original chunk
plus small Gaussian noise (σ 0.01 per dimension, renormalised) and go into the store
through its normal write path (``Store.write_document``), which also fills SQLite
and the BM25 index. Search cost depends on the number of vectors and postings, not
on their exact values, so latency at 10×/100× is measured fairly.

Old and new paths are measured in the same run, on the same store, in turns, and
reported as ratios (the machine is shared and its load moves between runs):
- question encoding: torch on every core (before) vs ONNX int8 on one thread, alone and
  beside a bounded busy process (eval/bench_embed.py), with the cosine between them and
  hit@5 on the dev set for each;
- search with kommun/nämnd/date filters: Chroma's filtered HNSW (before,
  ``exact_filter_max=0``) vs exact scores over the filtered chunks;
- adding one protokoll to the 1× and 100× store: the lexical step as a full BM25
  rebuild (before) vs one new segment (``Store.update_lexical``).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import click

from eval.bench_corpus import CORPUS, NOISE, add_copies, alter, store_size_mb
from eval.bench_report import TARGETS, plot_bench, render_bench, render_comparison
from eval.bench_search import (
    _questions,
    add_one_document,
    compare_search,
    dense_agreement,
    filter_cases,
    fp32_settings,
    hit_at_5,
    latencies,
    old_settings,
    serving_peak_rss_mb,
)
from eval.run import DEFAULT_OUT, machine_description
from grund.settings import get_settings

#: The load run of ``assistent serve --workers 1`` and ``2`` (issue 13: 20 clients × 60 s).
SERVE_CLIENTS, SERVE_SECONDS = 20, 60.0

__all__ = [
    "CORPUS", "NOISE", "TARGETS", "add_copies", "add_one_document", "alter", "bench_command", "compare_search",
    "filter_cases", "hit_at_5", "latencies", "old_settings", "plot_bench", "render_bench", "render_comparison",
    "run_bench", "serving_peak_rss_mb",
]  # fmt: skip


def run_bench(scales: tuple[int, ...] = (1, 10, 100), n_questions: int = 20) -> dict:
    """Every benchmark figure, measured in a fresh temporary store.

    Args:
        scales: corpus multiples to measure search latency at (1 must come first).
        n_questions: dev questions timed at each scale.
    """
    from ingest.embed import get_embedder
    from ingest.pipeline import ingest_paths
    from ingest.store import Store

    base = get_settings()
    questions = _questions(n_questions)
    result: dict = {"machine": machine_description(), "date": time.strftime("%Y-%m-%d %H:%M"), "scales": []}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        settings = base.model_copy(
            update={"data_dir": Path(tmp) / "data", "model_cache": base.models_dir.resolve()}
        )
        get_embedder(settings)  # load (and convert, once) the model before anything is timed
        s = ingest_paths([CORPUS], settings, progress=False)
        store = Store(settings)
        texts = [c.embed_text for c in store.get_chunks(store.chunk_ids()).values()]
        store.close()
        embedder = get_embedder(settings)
        embedder.raw_encode(texts[:4])
        t = time.perf_counter()
        embedder.raw_encode(texts)
        raw_s = time.perf_counter() - t
        t = time.perf_counter()
        again = ingest_paths([CORPUS], settings, progress=False)
        reingest_s = time.perf_counter() - t
        assert again.chunks_embedded == 0, "a re-ingest of unchanged files must embed nothing"
        result["ingest"] = {
            "documents": s.documents_new, "pages": s.pages, "chunks": s.chunks_embedded,
            "parse_s": round(s.parse_seconds, 2), "embed_s": round(s.embed_seconds, 2), "total_s": round(s.total_seconds, 2),
            "pages_per_s_parse": round(s.pages / s.parse_seconds, 2),
            "chunks_per_s_embed": round(s.chunks_embedded / s.embed_seconds, 2),
            "chunks_per_s_raw": round(len(texts) / raw_s, 2),
            "embed_vs_raw": round((s.chunks_embedded / s.embed_seconds) / (len(texts) / raw_s), 3),
            "reingest_unchanged_s": round(reingest_s, 2),
        }  # fmt: skip
        result["serve_peak_rss_mb"] = round(serving_peak_rss_mb(settings, questions[:5]), 0)
        # several workers on the example corpus (the RSS target's store): the real command, loaded
        from eval.bench_serve import load_run

        dev = _questions(10_000)
        result["serve"] = [
            load_run(settings.data_dir, w, SERVE_CLIENTS, SERVE_SECONDS, dev, model_cache=settings.models_dir)
            for w in (1, 2)
        ]
        result["serve_store"] = f"exempelkorpusen (1×, {s.chunks_embedded} delar)"
        result["serve_peak_rss_mb_old"] = round(
            serving_peak_rss_mb(settings, questions[:5], {"ASSISTENT_EMBED_BACKEND": "torch"}), 0
        )
        from eval.bench_embed import compare_query_encoders

        old_embedder = get_embedder(old_settings(settings))
        result["embed_query"] = compare_query_encoders(old_embedder, embedder, _questions(40))
        result["embed_query"]["hit@5"] = {
            "new": hit_at_5(settings), "fp32": hit_at_5(fp32_settings(settings)), "old": hit_at_5(old_settings(settings)),
        }  # fmt: skip
        copies = Path(tmp) / "kopior"
        copies.mkdir()
        done = 1
        for scale in scales:
            t = time.perf_counter()
            added = add_copies(settings, done, scale - 1, copies) if scale > done else 0
            grow_s = time.perf_counter() - t
            done = scale
            store = Store(settings)
            n_chunks = store.stats()["chunks"]
            store.close()
            lat = latencies(settings, questions, ask=True)
            cmp = compare_search(
                {"old": old_settings(settings), "new": settings},
                questions,
                filter_cases(settings, len(questions)),
            )
            agreement = dense_agreement(settings, questions, filter_cases(settings, len(questions)))
            row = {
                "scale": scale, "chunks": n_chunks, "added_chunks": added, "write_s": round(grow_s, 1),
                "search_p50_ms": lat["search"]["p50"], "search_p95_ms": lat["search"]["p95"],
                "ask_p50_ms": lat["ask"]["p50"], "ask_p95_ms": lat["ask"]["p95"],
                "compare": cmp, "dense_agreement": agreement,
            }  # fmt: skip
            row["disk_mb"] = store_size_mb(settings)
            row["serve_rss_mb"] = round(serving_peak_rss_mb(settings, questions[:5]), 0)
            if scale in (scales[0], scales[-1]):
                row["add_one"] = add_one_document(settings, copies, scale)
            result["scales"].append(row)
    return result


@click.command("bench")
@click.option(
    "--scales", default="1,10,100", show_default=True, help="Korpusstorlekar att mäta, som multiplar."
)
@click.option("--questions", default=20, show_default=True, help="Frågor ur dev-setet per storlek.")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT, show_default=True
)
def bench_command(scales: str, questions: int, out: Path) -> None:
    """Mät inläsningshastighet, svarstider vid 1×/10×/100× korpus och minnesåtgång."""
    r = run_bench(tuple(int(x) for x in scales.split(",")), questions)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
    plot_bench(r, out / "bench.png")
    md = render_bench(r)
    (out / "bench.md").write_text(md, encoding="utf-8")
    click.echo(md)
