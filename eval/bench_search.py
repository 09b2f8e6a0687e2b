"""Timings of ``python -m eval bench`` on one store: search and answer latency, filtered search old
vs new, hit@5 per encoder, peak RSS of a serving process, and one new protokoll into the store.

Old and new paths are measured in the same run, on the same store, in turns, and reported
as ratios (the machine is shared and its load moves between runs).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from eval.bench_corpus import CORPUS, alter
from eval.metrics import percentiles
from eval.run import DEFAULT_GOLD
from grund.settings import Settings


def _questions(n: int) -> list[str]:
    return [
        json.loads(line)["question"] for line in DEFAULT_GOLD.read_text(encoding="utf-8").splitlines()[:n]
    ]


def latencies(settings: Settings, questions: list[str], ask: bool) -> dict[str, dict[str, float | None]]:
    """Warm p50/p95 ms of search (and ask) over the questions, with a fresh Assistant.

    Args:
        settings: settings of the store.
        questions: questions to time.
        ask: also time answers.
    """
    from assistent.api import Assistant

    a = Assistant(settings)
    a.warm_up()
    a.search(questions[0])  # the first search builds caches; that is not steady-state latency
    search_ms, ask_ms = [], []
    for q in questions:
        t = time.perf_counter()
        a.search(q)
        search_ms.append((time.perf_counter() - t) * 1000)
        if ask:
            t = time.perf_counter()
            a.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
    a.store.close()
    return {"search": percentiles(search_ms), "ask": percentiles(ask_ms)}


# Peak RSS as VmHWM of this process image. Not getrusage's ru_maxrss: Linux keeps that
# across execve, so a child forked from the bench (2 GB after ingesting) reports the
# parent's size, not its own.
_SERVE = """
import json, sys
from assistent.api import Assistant
from grund.settings import Settings
a = Assistant(Settings(data_dir=sys.argv[1], model_cache=sys.argv[2]))
a.warm_up()
for q in json.loads(sys.argv[3]):
    a.ask(q)
print(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))
"""


def serving_peak_rss_mb(settings: Settings, questions: list[str], env: dict[str, str] | None = None) -> float:
    """Peak RSS (MB) of a fresh process that loads the assistant and answers the questions.

    Args:
        settings: settings of the store.
        questions: questions it answers.
        env: extra environment variables for that process (e.g. the old encoder's backend).
    """
    import os

    out = subprocess.run(
        [sys.executable, "-c", _SERVE, str(settings.data_dir), str(settings.models_dir), json.dumps(questions)],
        capture_output=True, text=True, check=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # VmHWM is in kB


def old_settings(settings: Settings) -> Settings:
    """The paths before this round: torch on every core for questions, Chroma's filtered HNSW.

    Args:
        settings: the current settings.
    """
    from eval.bench_embed import old_query_settings

    s = old_query_settings(settings)
    return s.model_copy(update={"retrieval": s.retrieval.model_copy(update={"exact_filter_max": 0})})


def fp32_settings(settings: Settings) -> Settings:
    """The current search path with the fp32 (torch) question encoder, to isolate int8's effect on hit@5.

    Args:
        settings: the current settings.
    """
    return settings.model_copy(
        update={"embedding": settings.embedding.model_copy(update={"backend": "torch", "threads": 0})}
    )


def filter_cases(settings: Settings, n: int) -> list:
    """``n`` filters cycling over the store's kommuner, its nämnder and a date range, as a user sets them.

    Args:
        settings: settings of the store.
        n: how many.
    """
    import datetime as dt

    from grund.records import Filters
    from ingest.store import Store

    store = Store(settings)
    facets = store.facets()
    store.close()
    cases = [Filters(kommun=k) for k in facets["kommuner"]]
    cases += [Filters(namnd=x) for x in facets["namnder"][:3]]
    cases.append(Filters(date_from=dt.date(2023, 1, 1), date_to=dt.date(2023, 12, 31)))
    return [cases[i % len(cases)] for i in range(n)]


def compare_search(variants: dict[str, Settings], questions: list[str], filters: list) -> dict[str, dict]:
    """Warm search p50/p95 with and without explicit filters for each variant, in turns.

    Args:
        variants: name → settings of the same store (old and new paths).
        questions: questions to time.
        filters: one filter per question.
    """
    from assistent.api import Assistant

    assistants = {name: Assistant(s) for name, s in variants.items()}
    for a in assistants.values():
        a.warm_up()
        a.search(questions[0], filters=filters[0])  # the first filtered search loads the vector table
    times: dict[str, dict[str, list[float]]] = {name: {"plain": [], "filtered": []} for name in variants}
    for _ in range(2):
        for name, a in assistants.items():
            time.sleep(0.5)  # torch's OpenMP threads of the old encoder go quiet
            for q, f in zip(questions, filters, strict=True):
                t = time.perf_counter()
                a.search(q)
                times[name]["plain"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                a.search(q, filters=f)
                times[name]["filtered"].append((time.perf_counter() - t) * 1000)
    for a in assistants.values():
        a.store.close()
    return {name: {kind: percentiles(ms) for kind, ms in t.items()} for name, t in times.items()}


def dense_agreement(settings: Settings, questions: list[str], filters: list) -> dict[str, float]:
    """How often filtered dense search (HNSW over-fetch for large shares, exact otherwise) returns
    exact brute force's top 10 over the chunks that pass: the share of questions with the same
    10 ids, and the mean overlap of the two top-10 sets; ``plain_*`` the same for unfiltered
    search (Chroma's HNSW, as before this round), the reference for an approximate index.

    Args:
        settings: settings of the store.
        questions: the questions.
        filters: one filter per question.
    """
    from assistent.retrieve import _where
    from ingest.embed import get_embedder
    from ingest.store import Store

    store = Store(settings)
    embedder = get_embedder(settings)
    everything = frozenset(store.chunk_ids())
    out: dict[str, float] = {}
    for name, cases in (("", filters), ("plain_", [None] * len(filters))):
        same, overlap = [], []
        for q, f in zip(questions, cases, strict=True):
            vec = embedder.embed_query(q)
            allowed = store.chunk_ids_where(f) if f is not None else None
            got = [c for c, _ in store.dense_search(vec, 40, _where(f) if f else None, allowed=allowed)[:10]]
            exact = [c for c, _ in store.exact_dense_search(vec, 10, allowed if allowed is not None else everything)]
            same.append(got == exact)
            overlap.append(len(set(got) & set(exact)) / max(1, len(exact)))
        out[f"{name}same_top10"] = round(sum(same) / len(same), 3)
        out[f"{name}overlap_at_10"] = round(sum(overlap) / len(overlap), 3)
    store.close()
    return out


def hit_at_5(settings: Settings) -> float:
    """Share of the dev set's answerable questions whose gold source is among the first 5 passages.

    Args:
        settings: settings of the store (and the encoder to search with).
    """
    from assistent.api import Assistant
    from eval.gold import load_gold
    from eval.metrics import first_hit_rank

    a = Assistant(settings)
    hits = []
    for q in load_gold(DEFAULT_GOLD):
        if q.answerable:
            rank = first_hit_rank(a.search(q.question, k=10).passages[:10], q.sources)
            hits.append(rank is not None and rank <= 5)
    a.store.close()
    return round(sum(hits) / len(hits), 3)


def add_one_document(settings: Settings, folder: Path, n: int) -> dict:
    """Ingest one new protokoll (``assistent ingest FILE``, timed whole), then time the lexical step
    of a second one both ways on the same store: one new segment vs a full BM25 rebuild.

    Args:
        settings: settings of the store.
        folder: where the new files are written.
        n: a number that makes this call's files new (their numbers are raised by 1000 + n).
    """
    from ingest.embed import get_embedder
    from ingest.pipeline import ingest_paths, parse_file
    from ingest.store import Store

    original = next(CORPUS.glob("003_*.txt"))
    first, second = (folder / f"ny{n}{x}_{original.name}" for x in "ab")
    first.write_text(alter(original.read_text(encoding="utf-8"), 1000 + n), encoding="utf-8")
    second.write_text(alter(original.read_text(encoding="utf-8"), 2000 + n), encoding="utf-8")
    t = time.perf_counter()
    summary = ingest_paths([first], settings, progress=False)
    command_s = time.perf_counter() - t
    store = Store(settings)
    store.lexical()
    embedder = get_embedder(settings)
    _, parsed, chunks = parse_file(second, settings, embedder.count_tokens)
    vectors = embedder.embed_passages([c.embed_text for c in chunks])
    store.write_document(parsed, chunks, vectors, second)
    t = time.perf_counter()
    store.update_lexical()
    segment_s = time.perf_counter() - t
    t = time.perf_counter()
    store.rebuild_lexical()
    rebuild_s = time.perf_counter() - t
    chunks_total = store.stats()["chunks"]
    store.close()
    embed_s = summary.embed_seconds + summary.units_seconds
    return {
        "chunks_in_store": chunks_total,
        "doc_chunks": summary.chunks_embedded,
        "command_s": round(command_s, 2),
        "embed_s": round(embed_s, 2),
        "command_without_embed_s": round(command_s - embed_s, 2),
        "lexical_segment_s": round(segment_s, 3),
        "lexical_rebuild_s": round(rebuild_s, 2),
        "lexical_speedup": round(rebuild_s / segment_s, 1) if segment_s else None,
        # the same command before: its lexical step was the rebuild
        "old_command_without_embed_s": round(command_s - embed_s - segment_s + rebuild_s, 2),
    }
