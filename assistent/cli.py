"""`assistent` command line: ingest, status, doctor, search, ask, shell, serve, eval, feedback.

Start-up stays light: each command imports what it needs when it runs, `eval` and `feedback`
are loaded only when invoked (UserErrorGroup's ``lazy``): `--help` imports neither the model,
Chroma nor the search stack, `status` neither the model nor Chroma (measured 2026-12-01 on the
busy 2-core machine, medians of 9 paired runs: `--help` 3.3 → 0.8 s, `status` 3.6 → 2.4 s).
`assistent shell` keeps one process (and model) warm: 5 questions 45.7 s as 5 `ask` calls, 8.6 s.

Errors meant for users (AssistentError) become one clean line on stderr and exit
code 1, in one place (``UserErrorGroup.invoke``, assistent/cli_errors.py); anything else is a bug and shows a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import click

from assistent.cli_errors import UserErrorGroup
from grund.settings import get_settings, offline_env

#: Third-party output while a model loads or runs ("Loading weights", "Batches", advisory
#: warnings): not for users; ``--verbose`` keeps it. Set before transformers and
#: huggingface_hub are imported, which read these once, at import.
_QUIET_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}
_NOISY_PACKAGES = r"(torch|transformers|sentence_transformers|huggingface_hub|onnxruntime|onnx|chromadb)(\.|$)"


def quiet_third_party() -> None:
    """Silence other libraries' progress bars and warnings in this process (and its children)."""
    for name, value in _QUIET_ENV.items():
        os.environ.setdefault(name, value)
    warnings.filterwarnings("ignore", module=_NOISY_PACKAGES)


@click.group(
    cls=UserErrorGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy={
        "eval": ("eval.cli:cli", "Utvärdering och prestandamätning (standard: run)."),
        "feedback": ("assistent.feedback_cli:cli", "Omdömen från chatten: exportera som utkast till guldfil."),
    },
)
@click.option("--verbose", "-v", is_flag=True, help="Visa även andra bibliotekens förlopp och varningar.")
def main(verbose: bool) -> None:
    """Nämndassistenten: frågor och svar om kommunala nämndbeslut, med källhänvisningar."""
    offline_env()
    if not verbose:
        quiet_third_party()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="SÖKVÄGAR...")
@click.option("--prune", is_flag=True, help="Ta bort dokument vars filer inte längre finns.")
@click.option("--report", is_flag=True, help="Skriv en tabell över dokument, § och diarienummer.")
@click.option("--json", "as_json", is_flag=True, help="Skriv sammanfattningen som JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Ingen förloppsindikator.")
def ingest(paths: tuple[Path, ...], prune: bool, report: bool, as_json: bool, quiet: bool) -> None:
    """Läs in filer och mappar (PDF, DOCX, HTML, TXT, MD) i arkivet."""
    from assistent.api import Assistant
    from assistent.cli_tables import format_report

    assistant = Assistant(get_settings())
    try:
        summary = assistant.ingest(paths, prune=prune, progress=not (quiet or as_json), keep_parsed=report)
    finally:
        assistant.store.close()
    if report and not as_json:
        click.echo(format_report(summary.parsed))
    if as_json:
        click.echo(json.dumps(summary.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        click.echo(summary.render())
    sys.exit(0 if summary.ok else 2)


@main.command(short_help="Kontrollera att arkivets delar stämmer med varandra.")
@click.option("--repair", is_flag=True, help="Åtgärda det som går: vektorer, BM25-index, originalfiler, temporära filer.")
@click.option("--json", "as_json", is_flag=True, help="Skriv rapporten som JSON.")
def doctor(repair: bool, as_json: bool) -> None:
    """Kontrollera att SQLite, Chroma, BM25-indexet och originalfilerna stämmer med varandra.

    Slutkod 0: i ordning (eller åtgärdat med --repair); 2: fel kvarstår.
    """
    from ingest.doctor import diagnose

    report = diagnose(get_settings(), repair=repair)
    if as_json:
        click.echo(json.dumps({**report.model_dump(mode="json"), "ok": report.ok}, ensure_ascii=False, indent=2))
    else:
        click.echo(report.render())
    sys.exit(0 if report.ok else 2)


@main.command()
def status() -> None:
    """Visa vad arkivet innehåller."""
    from assistent.cli_tables import doctype_label, table
    from ingest.store import Store

    settings = get_settings()
    store = Store(settings)
    stats = store.stats()
    click.echo(f"Datakatalog: {settings.data_dir.resolve()}")
    click.echo(f"Samling: {settings.collection_name} ({settings.embedding.model})")
    click.echo(f"Dokument: {stats['documents']}  avsnitt: {stats['sections']}  delar: {stats['chunks']}")
    rows = [
        (doc.fil, doctype_label(doc.dokumenttyp, doc.utdrag), doc.kommun, doc.namnd,
         doc.datum.isoformat() if doc.datum else None, n_sec, n_chunks)
        for doc, n_sec, n_chunks, _ingested in store.list_documents()
    ]  # fmt: skip
    if rows:
        click.echo()
        headers = ("Fil", "Typ", "Kommun", "Nämnd", "Datum", "Avsnitt", "Delar")
        click.echo(table(headers, rows, right=(5, 6), max_width={0: 45, 2: 24, 3: 30}, indent="  "))


def _filter_options(f):
    for opt in reversed(
        [
            click.option("--kommun", metavar="KOMMUN", help="Bara dokument från denna kommun, t.ex. 'Gnesta kommun'."),
            click.option("--namnd", metavar="NÄMND", help="Bara denna nämnd, t.ex. 'Socialnämnden'."),
            click.option(
                "--dokumenttyp",
                metavar="TYP",
                help="protokoll, kallelse, tjansteskrivelse, plan, riktlinje, rapport, ovrigt",
            ),
            click.option(
                "--fran", "date_from", type=click.DateTime(["%Y-%m-%d"]), metavar="ÅÅÅÅ-MM-DD", help="Från datum (ÅÅÅÅ-MM-DD)."
            ),
            click.option(
                "--till", "date_to", type=click.DateTime(["%Y-%m-%d"]), metavar="ÅÅÅÅ-MM-DD", help="Till datum (ÅÅÅÅ-MM-DD)."
            ),
        ]
    ):
        f = opt(f)
    return f


def _filters(kommun, namnd, dokumenttyp, date_from, date_to):
    from grund.records import Filters

    return Filters(
        kommun=kommun,
        namnd=namnd,
        dokumenttyp=dokumenttyp,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
    )


def _questions(question: str | None):
    """The one question given, or (batch mode) one per non-empty line of stdin."""
    if question is not None:
        yield question
        return
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def _emit(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@main.command()
@click.argument("query", required=False, metavar="[FRÅGA]")
@click.option("--k", "k", default=None, type=int, metavar="ANTAL", help="Antal träffar (standard 10).")
@click.option("--json", "as_json", is_flag=True, help="JSON-utdata (kontrakt för skript).")
@_filter_options
def search(query, k, as_json, **filters) -> None:
    """Sök avsnitt. Utan fråga: en fråga per rad på standard in (batch)."""
    from assistent.api import Assistant

    assistant = Assistant(get_settings())
    f = _filters(**filters)
    for q in _questions(query):
        result = assistant.search(q, filters=f, k=k)
        if as_json:
            _emit(result.model_dump(mode="json"))
            continue
        click.echo(f"Sökning: {q}")
        for i, p in enumerate(result.passages, 1):
            from grund.records import citation_label

            click.echo(
                f"\n{i}. {citation_label(p)} · {p.rubrik or ''} ({p.fil}{', s. ' + str(p.sida) if p.sida else ''})"
            )
            click.echo("   " + p.text[:300].replace("\n", " ") + ("…" if len(p.text) > 300 else ""))


@main.command()
@click.argument("question", required=False, metavar="[FRÅGA]")
@click.option("--json", "as_json", is_flag=True, help="JSON-utdata (kontrakt för skript).")
@click.option("--history", multiple=True, metavar="FRÅGA", help="Tidigare fråga i samtalet (kan upprepas).")
@_filter_options
def ask(question, as_json, history, **filters) -> None:
    """Ställ en fråga. Utan fråga: en fråga per rad på standard in (batch).

    Passar frågan flera kommuner skrivs de som en numrerad lista; fråga igen med --kommun
    (eller använd assistent shell och välj med numret).
    """
    from assistent.api import Assistant
    from assistent.shell import format_choices, print_answer

    assistant = Assistant(get_settings())
    f = _filters(**filters)
    for q in _questions(question):
        if as_json:
            _emit(assistant.ask(q, filters=f, history=list(history)).model_dump(mode="json"))
            continue
        answer = print_answer(assistant, q, f, list(history))
        if answer.clarify:
            click.echo(format_choices(answer.clarify))
            first = answer.clarify[0].kommun or ""
            click.echo(f'Fråga igen med t.ex. --kommun "{first}", eller välj med numret i assistent shell.')


@main.command(short_help="Samtal i terminalen; modellen laddas en gång.")
@_filter_options
def shell(**filters) -> None:
    """Samtal i terminalen: modellen laddas en gång, följdfrågor bygger på de tidigare.

    Skriv en fråga per rad; när svaret frågar vilken kommun du menar väljer du med numret.
    :ny börjar ett nytt samtal, :hjälp visar kommandona, :avsluta (eller Ctrl-D) slutar.
    Utan terminal läses en fråga per rad från standard in, i samma samtal.
    """
    from assistent.api import Assistant
    from assistent.shell import run_shell

    settings = get_settings()
    run_shell(Assistant(settings), _filters(**filters), settings.data_dir / "shell-historik")


@main.command(short_help="Starta webbgränssnittet.")
@click.option("--host", default=None, metavar="ADRESS", help="Adress att lyssna på (standard: ASSISTENT_WEB_HOST).")
@click.option("--port", default=None, type=int, metavar="PORT", help="Port (standard: ASSISTENT_WEB_PORT).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    metavar="ANTAL",
    help="Serverprocesser; var och en laddar modellen en gång och läser samma datakatalog.",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Starta webbgränssnittet (chatt, källor, bläddring, dokumentadministration)."""
    import uvicorn

    web = get_settings().web
    # Each worker process builds its own app (and Assistant) from the factory; they share the
    # data directory read-only and see another process's ingest through the store's generation stamp.
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host or web.host,
        port=port or web.port,
        server_header=False,
        workers=workers,
    )


if __name__ == "__main__":
    main()
