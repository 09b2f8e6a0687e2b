"""`assistent eval` / `python -m eval run`: score systems on a gold set and write the report.

Flow: load + validate the gold file → ingest the documents into a fresh temporary
store (or open an existing one) → check every gold quote against the documents as
our readers see them → build the systems (assistant, BM25, LangChain) over the same
documents → search + ask every question with each → score → Markdown, JSON, PNGs
(eval/run_report.py).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import click

from eval.gold import GoldQuestion, document_text, load_gold
from eval.metrics import (
    LOWER_BETTER,
    METRICS,
    QuestionResult,
    by_kind,
    mean_scores,
    percentiles,
    score_question,
)
from eval.run_report import EvalRun, SystemReport, fmt, write_report
from eval.systems import System
from grund.errors import AssistentError
from grund.settings import Settings, get_settings

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
DEFAULT_GOLD = EVAL_DIR / "dev_questions.jsonl"
DEFAULT_OUT = EVAL_DIR / "reports"
SYSTEMS = ("assistant", "bm25", "langchain")
#: Systems run only when named: assistant-llm needs ASSISTENT_LLM_BASE_URL and ASSISTENT_LLM_MODEL.
OPTIONAL_SYSTEMS = ("assistant-llm",)


def default_docs() -> list[Path]:
    """The bundled example corpus, plus ../shared/realdocs when it exists (as distractors)."""
    docs = [ROOT / "corpus"]
    real = ROOT.parent / "shared" / "realdocs"
    return docs + [real] if real.is_dir() else docs


def machine_description() -> str:
    """One line naming the machine: CPU model, cores, memory, OS, Python."""
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return f"{cpu}, {os.cpu_count()} kärnor, {mem:.0f} GB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def document_files(settings: Settings) -> dict[str, Path]:
    """File name (as gold sources name them) → readable path, for every document in the store.

    Args:
        settings: settings of the store.
    """
    from ingest.store import Store

    store = Store(settings)
    try:
        files = {}
        for doc, *_ in store.list_documents():
            path = Path(doc.path)
            files[doc.fil] = path if path.is_file() else store.original_file(doc) or path
        return files
    finally:
        store.close()


def build_systems(
    names: Sequence[str], settings: Settings, files: dict[str, Path]
) -> list[tuple[System, float]]:
    """The named systems over the store of ``settings``, each with the seconds it took to build.

    Args:
        names: any of "assistant", "bm25", "langchain".
        settings: settings of the ingested store (and the embedding model).
        files: file name → path of the documents the baselines index.
    """
    from assistent.api import Assistant
    from eval.baselines import BM25System, LangChainSystem
    from eval.systems import AssistantLLMSystem, AssistantSystem
    from grund.settings import LLMSettings

    # "assistant" is the extractive answer even when the environment names a language model
    assistant = Assistant(settings.model_copy(update={"llm": LLMSettings(base_url=None, model=None)}))
    texts: dict[str, str] | None = None
    built: list[tuple[System, float]] = []
    for name in names:
        t = time.perf_counter()
        if name == "assistant":
            assistant.warm_up()
            system: System = AssistantSystem(assistant)
        elif name == "assistant-llm":
            llm_assistant = Assistant(settings)
            llm_assistant.warm_up()
            system = AssistantLLMSystem(llm_assistant)
        else:
            if texts is None:
                texts = {fil: document_text(path, settings) for fil, path in files.items()}
            system = BM25System(texts) if name == "bm25" else LangChainSystem(texts, assistant.embedder)
        built.append((system, time.perf_counter() - t))
    return built


def run_system(
    system: System, questions: Sequence[GoldQuestion], bar=None, k: int = 10
) -> list[QuestionResult]:
    """Search and ask every question with one system, timing each call, and score the results.

    Args:
        system: the system.
        questions: the gold questions.
        bar: a tqdm bar to advance per question.
        k: passages asked of search (MRR is cut at 10).
    """
    system.search("uppvärmning", k)  # warm: first calls load models and indexes, which is not latency
    results = []
    for q in questions:
        t = time.perf_counter()
        passages = system.search(q.question, k)
        search_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        answer = system.ask(q.question)
        ask_ms = (time.perf_counter() - t) * 1000
        r = score_question(q, system.name, passages, answer)
        r.search_ms, r.ask_ms = round(search_ms, 1), round(ask_ms, 1)
        results.append(r)
        if bar is not None:
            bar.update(1)
    return results


def evaluate(
    gold: Path,
    docs: Sequence[Path] | None = None,
    data_dir: Path | None = None,
    systems: Sequence[str] = SYSTEMS,
    progress: bool = True,
    command: str = "",
    quote_check: bool = True,
) -> EvalRun:
    """Run a gold set against the named systems and return every measurement.

    Args:
        gold: the gold JSONL file.
        docs: files/folders to ingest into a fresh temporary store (ignored when ``data_dir`` is given).
        data_dir: an existing data directory whose store is used as it is.
        systems: which systems to run, in report order.
        progress: show progress bars on stderr.
        command: the command line, recorded in the report.
        quote_check: check that every gold quote occurs in its document as the reader gives it
            (off for a blind set whose writer read the PDFs with another tool: quotes are not scored).
    """
    from tqdm import tqdm

    from assistent.api import Assistant

    unknown = [s for s in systems if s not in SYSTEMS + OPTIONAL_SYSTEMS]
    if unknown:
        raise AssistentError(
            f"Okänt system: {', '.join(unknown)} (tillåtna: {', '.join(SYSTEMS + OPTIONAL_SYSTEMS)})"
        )
    questions = load_gold(gold)
    base = get_settings()
    with tempfile.TemporaryDirectory(prefix="eval-store-") as tmp:
        ingest_info: dict = {}
        if data_dir is not None:
            settings = base.model_copy(update={"data_dir": Path(data_dir)})
            ingest_info["store"] = str(data_dir)
        else:
            # the converted model is cached outside the temporary store, so it is converted once ever
            settings = base.model_copy(
                update={"data_dir": Path(tmp), "model_cache": base.models_dir.resolve()}
            )
            ingester = Assistant(settings)
            try:
                summary = ingester.ingest(list(docs or default_docs()), progress=progress)
            finally:
                ingester.store.close()
            ingest_info = summary.model_dump(mode="json", include={
                "documents_new", "pages", "pages_ocr", "sections", "chunks_embedded",
                "parse_seconds", "embed_seconds", "total_seconds",
            })  # fmt: skip
            ingest_info["failures"] = [f"{f.path}: {f.reason}" for f in summary.failures]
        files = document_files(settings)
        if not files:
            raise AssistentError(f"Arkivet i {settings.data_dir} är tomt: inget att utvärdera.")
        if quote_check:
            questions = load_gold(gold, files, lambda p: document_text(p, settings))
        built = build_systems(systems, settings, files)
        run = EvalRun(
            gold=str(gold),
            date=dt.datetime.now().isoformat(timespec="minutes"),
            machine=machine_description(),
            command=command,
            documents=sorted(files),
            n_questions=len(questions),
            kinds={k: sum(q.kind == k for q in questions) for k in dict.fromkeys(q.kind for q in questions)},
            ingest=ingest_info,
        )
        bar = tqdm(total=len(questions) * len(built), desc="Frågor", unit="fråga", disable=not progress)
        try:
            for system, seconds in built:
                bar.set_postfix_str(system.name)
                results = run_system(system, questions, bar)
                run.results += results
                if system.name == "assistant":
                    seconds = ingest_info.get("total_seconds", 0.0) + seconds
                run.systems.append(
                    SystemReport(
                        name=system.name,
                        overall=mean_scores(results),
                        by_kind=by_kind(results),
                        search_ms=percentiles([r.search_ms for r in results]),
                        ask_ms=percentiles([r.ask_ms for r in results]),
                        build_seconds=round(seconds, 1),
                        generation=system.stats() if hasattr(system, "stats") else None,
                    )
                )
                if hasattr(system, "close"):
                    system.close()
        finally:
            bar.close()
    return run


# ---------------------------------------------------------------------------- output
def parse_threshold(spec: str) -> tuple[str | None, str, float]:
    """'hit@5=0.9' or 'bm25:hit@5=0.5' → (system or None, metric, value).

    Args:
        spec: the --fail-under value.
    """
    left, sep, value = spec.partition("=")
    system, _, metric = left.rpartition(":")
    if not sep or metric not in {**METRICS, **LOWER_BETTER}:
        raise AssistentError(
            f"--fail-under {spec!r}: skriv mått=värde, t.ex. hit@5=0.9; kända mått: {', '.join([*METRICS, *LOWER_BETTER])}"
        )
    try:
        return system or None, metric, float(value)
    except ValueError:
        raise AssistentError(f"--fail-under {spec!r}: {value!r} är inget tal") from None


def check_thresholds(run: EvalRun, specs: Sequence[str]) -> list[str]:
    """Thresholds that were not met, as messages (for false_abstention the value is a maximum).

    Args:
        run: the measurements.
        specs: --fail-under values; without a system prefix they apply to the first system.
    """
    failures = []
    for spec in specs:
        system, metric, limit = parse_threshold(spec)
        report = next((s for s in run.systems if s.name == (system or run.systems[0].name)), None)
        if report is None:
            raise AssistentError(f"--fail-under {spec!r}: systemet {system!r} ingick inte i körningen")
        value = report.overall.get(metric)
        if value is None:
            failures.append(f"{report.name} {metric}: kunde inte mätas på den här guldfilen (gräns {limit})")
        elif metric in LOWER_BETTER and value > limit:
            failures.append(f"{report.name} {metric} = {value:.3f} är över gränsen {limit}")
        elif metric not in LOWER_BETTER and value < limit:
            failures.append(f"{report.name} {metric} = {value:.3f} är under gränsen {limit}")
    return failures


@click.command("eval")
@click.option("--gold", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_GOLD, show_default=True,
              help="Guldfrågor (JSONL, se eval/README.md).")  # fmt: skip
@click.option("--docs", multiple=True, type=click.Path(path_type=Path),
              help="Filer/mappar att läsa in i ett nytt tillfälligt arkiv (standard: corpus/ och ../shared/realdocs).")  # fmt: skip
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Använd ett befintligt arkiv i stället.",
)
@click.option(
    "--systems", default=",".join(SYSTEMS), show_default=True, help="System att jämföra, kommaseparerade."
)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT, show_default=True,
              help="Mapp för rapporten.")  # fmt: skip
@click.option("--name", default="latest", show_default=True, help="Filnamn för rapporten (utan ändelse).")
@click.option("--fail-under", multiple=True, metavar="MÅTT=VÄRDE",
              help="Avsluta med felkod om måttet är lägre (t.ex. hit@5=0.9, bm25:mrr@10=0.5). Upprepningsbar.")  # fmt: skip
@click.option("--no-quote-check", is_flag=True,
              help="Kontrollera inte att guldets citat finns i läsarens text (citat poängsätts inte).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="Ingen förloppsindikator.")
def eval_command(
    gold: Path, docs: tuple[Path, ...], data_dir: Path | None, systems: str, out: Path, name: str,
    fail_under: tuple[str, ...], no_quote_check: bool, quiet: bool,
) -> None:  # fmt: skip
    """Mät träffsäkerhet och hastighet på en guldfrågefil, mot enkla jämförelsesystem."""
    for spec in fail_under:
        parse_threshold(spec)  # refuse a typo before minutes of work, not after
    prog = "assistent" if Path(sys.argv[0]).name == "assistent" else "python -m eval"
    run = evaluate(
        gold,
        docs=list(docs) or None,
        data_dir=data_dir,
        systems=[s.strip() for s in systems.split(",") if s.strip()],
        progress=not quiet,
        command=" ".join([prog, *(shlex.quote(a) for a in sys.argv[1:])]),
        quote_check=not no_quote_check,
    )
    paths = write_report(run, out, name)
    for s in run.systems:
        o = s.overall
        click.echo(
            f"{s.name:10} hit@1 {fmt(o['hit@1'])}  hit@5 {fmt(o['hit@5'])}  mrr@10 {fmt(o['mrr@10'])}  "
            f"fakta {fmt(o['facts'])}  avstår {fmt(o['abstention'])}  klarade {fmt(o['pass'])}  "
            f"sök p95 {fmt(s.search_ms['p95'], 0)} ms"
        )
    click.echo("Rapport: " + ", ".join(str(p) for p in paths))
    failures = check_thresholds(run, fail_under)
    for f in failures:
        click.echo(f"Under gränsen: {f}", err=True)
    if failures:
        sys.exit(3)
