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

import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np

from assistent.settings import Settings, get_settings
from eval.metrics import percentiles
from eval.run import DEFAULT_GOLD, DEFAULT_OUT, ROOT, machine_description

CORPUS = ROOT / "corpus"
TARGETS = {
    "embed_query_busy_p50": ("embed_query p50 bredvid en upptagen process ≤ 10 ms", 10.0),
    "embed_query_busy_p95": ("embed_query p95 bredvid en upptagen process ≤ 25 ms", 25.0),
    "filtered_p50_ms_1x": ("filtrerad sökning p50 vid 1× ≤ 30 ms", 30.0),
    "filtered_p95_ms_100x": ("filtrerad sökning p95 vid 100× ≤ 100 ms", 100.0),
    "add_one_s_100x": ("en ny protokollfil i 100×-arkivet ≤ 5 s utöver inbäddningen", 5.0),
    "search_p95_ms_100x": ("sök p95 vid 100× ≤ 200 ms", 200.0),
    "serve_peak_rss_mb": ("toppminne för serverprocessen ≤ 1,5 GB", 1536.0),
    "embed_vs_raw": ("inbäddningssteget ≥ 80 % av modellens råa kodningshastighet", 0.8),
}
NOISE = 0.01


def alter(text: str, copy: int) -> str:
    """The text with every number raised by ``copy``, so each copy's content (and hash) differs.

    "2023-10-03, 120 deltagare" in copy 2 becomes "2025-12-5, 122 deltagare".

    Args:
        text: original text.
        copy: the copy's number (1, 2, ...).
    """
    return re.sub(r"\d+", lambda m: str(int(m.group(0)) + copy), text)


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
from assistent.settings import Settings
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


def add_copies(settings: Settings, first: int, last: int, folder: Path, seed: int = 0) -> int:
    """Store synthetic copies ``first..last`` of every original document, reusing noisy original vectors.

    Returns the number of chunks written.

    Args:
        settings: settings of the store holding the 1× corpus.
        first: number of the first copy.
        last: number of the last copy (inclusive).
        folder: where the copies' (altered) files are written, so their paths exist.
        seed: noise seed.
    """
    from assistent.engine.units import UNITS_VERSION as units_version
    from assistent.records import ParsedDocument
    from ingest.store import Store

    rng = np.random.default_rng(seed + first)
    store = Store(settings)
    originals = [d for d, *_ in store.list_documents() if d.path.startswith(str(CORPUS))]
    written = 0
    for doc in originals:
        sections = store.sections_of(doc.id)
        chunks = [c for s in sections for c in store.chunks_of_section(s.id)]
        got = store.collection.get(ids=[c.id for c in chunks], include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        base = np.asarray([by_id[c.id] for c in chunks], dtype=np.float32)
        # answer units too (assistent.engine.units): a copy without them would have every
        # one of its units embedded for real by the next ingest (hours at 100×)
        unit_rows = store.units_of([sec.id for sec in sections])
        original_text = Path(doc.path).read_text(encoding="utf-8")
        for n in range(first, last + 1):
            text = alter(original_text, n)
            path = folder / f"kopia{n:03d}_{doc.fil}"
            path.write_text(text, encoding="utf-8")
            sha = hashlib.sha256(text.encode()).hexdigest()
            new_id = sha[:16]
            new_doc = doc.model_copy(
                update={"id": new_id, "sha256": sha, "fil": path.name, "path": str(path)}
            )
            sec_ids = {s.id: f"{new_id}-s{s.index}" for s in sections}
            new_sections = [
                s.model_copy(update={"id": sec_ids[s.id], "document_id": new_id, "text": alter(s.text, n)})
                for s in sections
            ]
            new_chunks = [
                c.model_copy(
                    update={
                        "id": f"{sec_ids[c.section_id]}-c{c.index}",
                        "section_id": sec_ids[c.section_id],
                        "document_id": new_id,
                        "text": alter(c.text, n),
                        "header": alter(c.header, n),
                        "fil": path.name,
                    }
                )  # fmt: skip
                for c in chunks
            ]
            vectors = base + rng.normal(0, NOISE, base.shape).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.write_document(
                ParsedDocument(document=new_doc, sections=new_sections), new_chunks, vectors, path
            )
            rows = []
            for sec in sections:
                units, vecs = unit_rows.get(sec.id, ([], np.zeros((0, 0), np.float32)))
                copied = [u.model_copy(update={"text": alter(u.text, n)}) for u in units]
                noisy = vecs + rng.normal(0, NOISE, vecs.shape).astype(np.float32) if len(units) else vecs
                if len(units):
                    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
                rows.append((sec_ids[sec.id], copied, noisy))
            if unit_rows:
                store.write_units(new_id, rows, units_version)
            written += len(new_chunks)
    store.rebuild_lexical()
    store.close()
    return written


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

    from assistent.records import Filters
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
            row = {
                "scale": scale, "chunks": n_chunks, "added_chunks": added, "write_s": round(grow_s, 1),
                "search_p50_ms": lat["search"]["p50"], "search_p95_ms": lat["search"]["p95"],
                "ask_p50_ms": lat["ask"]["p50"], "ask_p95_ms": lat["ask"]["p95"],
                "compare": cmp,
            }  # fmt: skip
            if scale in (scales[0], scales[-1]):
                row["add_one"] = add_one_document(settings, copies, scale)
            result["scales"].append(row)
    return result


def render_bench(r: dict) -> str:
    """The benchmark as Markdown, each target beside its figure.

    Args:
        r: what ``run_bench`` returned.
    """
    ing = r["ingest"]
    last = r["scales"][-1]
    eq = r["embed_query"]
    first = r["scales"][0]
    add_last = last.get("add_one", {})
    checks = {
        "embed_query_busy_p50": (eq["new"]["busy"]["p50"], f"{eq['new']['busy']['p50']:.1f} ms", "le"),
        "embed_query_busy_p95": (eq["new"]["busy"]["p95"], f"{eq['new']['busy']['p95']:.1f} ms", "le"),
        "filtered_p50_ms_1x": (
            first["compare"]["new"]["filtered"]["p50"],
            f"{first['compare']['new']['filtered']['p50']:.0f} ms vid {first['scale']}×",
            "le",
        ),
        "filtered_p95_ms_100x": (
            last["compare"]["new"]["filtered"]["p95"],
            f"{last['compare']['new']['filtered']['p95']:.0f} ms vid {last['scale']}×",
            "le",
        ),
        "add_one_s_100x": (
            add_last.get("command_without_embed_s", float("inf")),
            f"{add_last.get('command_without_embed_s', float('nan')):.1f} s vid {last['scale']}×",
            "le",
        ),
        "search_p95_ms_100x": (
            last["search_p95_ms"],
            f"{last['search_p95_ms']:.0f} ms vid {last['scale']}×",
            "le",
        ),
        "serve_peak_rss_mb": (r["serve_peak_rss_mb"], f"{r['serve_peak_rss_mb']:.0f} MB", "le"),
        "embed_vs_raw": (ing["embed_vs_raw"], f"{ing['embed_vs_raw'] * 100:.0f} %", "ge"),
    }
    lines = [
        "# Prestanda",
        "",
        f"- Mätt: {r['date']} på {r['machine']}",
        "- Kommando: `python -m eval bench`",
        "",
        "| mål | uppmätt | mål uppfyllt |",
        "|---|---:|:---:|",
    ]
    for key, (label, limit) in TARGETS.items():
        value, shown, how = checks[key]
        ok = value <= limit if how == "le" else value >= limit
        lines.append(f"| {label} | {shown} | {'ja' if ok else 'nej'} |")
    lines += [
        "",
        "## Inläsning av exempelkorpusen (1×)",
        "",
        f"- {ing['documents']} dokument, {ing['pages']} sidor, {ing['chunks']} delar; totalt {ing['total_s']} s",
        f"- Tolkning: {ing['pages_per_s_parse']} sidor/s ({ing['parse_s']} s)",
        f"- Inbäddning: {ing['chunks_per_s_embed']} delar/s ({ing['embed_s']} s); modellens råa `encode` på samma texter: "
        f"{ing['chunks_per_s_raw']} delar/s → {ing['embed_vs_raw'] * 100:.0f} %",
        f"- Ny inläsning utan ändringar: {ing['reingest_unchanged_s']} s",
        f"- Toppminne (RSS) för en process som laddar assistenten och svarar på 5 frågor: {r['serve_peak_rss_mb']:.0f} MB",
        "",
        "## Tillväxt med korpusens storlek (varma tider, 20 frågor ur dev-setet)",
        "",
        "| storlek | delar | sök p50 ms | sök p95 ms | svar p50 ms | svar p95 ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r["scales"]:
        lines.append(
            f"| {s['scale']}× | {s['chunks']} | {s['search_p50_ms']:.0f} | {s['search_p95_ms']:.0f} | "
            f"{s['ask_p50_ms']:.0f} | {s['ask_p95_ms']:.0f} |"
        )
    lines += render_comparison(r)
    if r.get("serve"):
        from eval.bench_serve import render_serve

        lines += render_serve(r["serve"])
        lines.append(
            f"\n(Mätt med `python -m eval.bench_serve --data-dir DIR --merge eval/reports/bench.json` mot "
            f"{r.get('serve_store', 'ett arkiv')}.)"
        )
    lines += [
        "",
        "Kopiorna (10×, 100×) är exempelkorpusen med ändrade tal och årtal, så varje kopia får egen hash. "
        "Bara 1× bäddas in på riktigt; kopiornas delar återanvänder originalets vektor plus lite brus "
        f"(σ {NOISE}, normaliserad) och skrivs via arkivets vanliga skrivväg (`Store.write_document`), "
        "som också fyller SQLite och BM25-indexet.",
        "",
        "![Svarstid mot korpusstorlek](bench.png)",
        "",
    ]
    return "\n".join(lines)


def _ratio(old: float | None, new: float | None) -> str:
    return f"{old / new:.1f}×" if old and new else "–"


def render_comparison(r: dict) -> list[str]:
    """The old-vs-new sections of the report: question encoding, filtered search, one-document ingest.

    Args:
        r: what ``run_bench`` returned.
    """
    eq = r["embed_query"]
    old, new = eq["old"], eq["new"]
    hit = eq["hit@5"]
    lines = [
        "",
        f"## Frågekodning (`embed_query`, {eq['questions']} dev-frågor, varje fråga två gånger per läge)",
        "",
        "Före: sentence-transformers/torch på alla kärnor (`ASSISTENT_EMBED_THREADS=0`). Nu: ONNX-exporten, "
        'int8 per kanal, en tråd i onnxruntime utan spinnande trådar. "Upptagen": en annan Python-process '
        "snurrar på en kärna under mätningen (begränsad i tid). Samma körning, turvis.",
        "",
        "| läge | före p50 | före p95 | nu p50 | nu p95 | kvot p50 | kvot p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for cond, label in (("alone", "ensam"), ("busy", "bredvid upptagen process")):
        o, n = old[cond], new[cond]
        lines.append(
            f"| {label} | {o['p50']:.1f} ms | {o['p95']:.1f} ms | {n['p50']:.1f} ms | {n['p95']:.1f} ms | "
            f"{_ratio(o['p50'], n['p50'])} | {_ratio(o['p95'], n['p95'])} |"
        )
    lines += [
        "",
        f"- Noggrannhet mot fp32-modellen: cosinus min {eq['cosine_min']:.4f}, medel {eq['cosine_mean']:.4f}",
        f"- hit@5 på hela dev-setet: nu (int8-frågor) {hit['new']:.3f}, fp32-frågor med samma sökväg "
        f"{hit['fp32']:.3f}, före (torch + Chromas filter) {hit['old']:.3f}",
        f"- Toppminne för en serverprocess: nu {r['serve_peak_rss_mb']:.0f} MB, med torch "
        f"{r['serve_peak_rss_mb_old']:.0f} MB",
        "",
        "## Sökning med och utan filter (före: Chromas filtrerade HNSW och torch; nu: exakt likhet över "
        "de filtrerade delarna och ONNX)",
        "",
        "Filtren går runt över arkivets kommuner, tre nämnder och ett datumintervall (2023), ett per fråga.",
        "",
        "| storlek | delar | utan filter före p50/p95 | nu p50/p95 | med filter före p50/p95 | nu p50/p95 | "
        "kvot p95 med filter |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["scales"]:
        c = row["compare"]
        op, np_, of, nf = c["old"]["plain"], c["new"]["plain"], c["old"]["filtered"], c["new"]["filtered"]
        lines.append(
            f"| {row['scale']}× | {row['chunks']} | {op['p50']:.0f} / {op['p95']:.0f} ms | "
            f"{np_['p50']:.0f} / {np_['p95']:.0f} ms | {of['p50']:.0f} / {of['p95']:.0f} ms | "
            f"{nf['p50']:.0f} / {nf['p95']:.0f} ms | {_ratio(of['p95'], nf['p95'])} |"
        )
    adds = [row for row in r["scales"] if "add_one" in row]
    if adds:
        lines += [
            "",
            "## En ny protokollfil i arkivet",
            "",
            "`assistent ingest FIL` med en ny fil (hela kommandot), och BM25-steget för ytterligare en fil "
            "mätt båda vägarna på samma arkiv: ett nytt segment (nu) mot att bygga om hela indexet (före).",
            "",
            "| storlek | delar | hela kommandot | varav inbäddning | utan inbäddning | BM25 nu | BM25 före "
            "(ombyggnad) | kvot | utan inbäddning före (beräknat) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in adds:
            a = row["add_one"]
            lines.append(
                f"| {row['scale']}× | {a['chunks_in_store']} | {a['command_s']:.1f} s | {a['embed_s']:.1f} s | "
                f"{a['command_without_embed_s']:.1f} s | {a['lexical_segment_s'] * 1000:.0f} ms | "
                f"{a['lexical_rebuild_s']:.1f} s | {a['lexical_speedup']}× | {a['old_command_without_embed_s']:.1f} s |"
            )
    return lines


def plot_bench(r: dict, path: Path) -> None:
    """Search and answer latency (p50, p95) against the number of chunks, log–log, with the target line.

    Args:
        r: what ``run_bench`` returned.
        path: PNG to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [s["chunks"] for s in r["scales"]]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label, style in (
        ("search_p50_ms", "sök p50", "o-"), ("search_p95_ms", "sök p95", "o--"),
        ("ask_p50_ms", "svar p50", "s-"), ("ask_p95_ms", "svar p95", "s--"),
    ):  # fmt: skip
        ax.plot(x, [s[key] for s in r["scales"]], style, label=label)
    ax.axhline(200, color="red", lw=0.8, label="mål: sök p95 ≤ 200 ms")
    for s in r["scales"]:
        ax.annotate(
            f"{s['scale']}×", (s["chunks"], s["search_p50_ms"]), textcoords="offset points", xytext=(0, -12)
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("delar i arkivet")
    ax.set_ylabel("ms")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


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
