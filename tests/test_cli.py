"""`assistent` command line: ingest exit codes and output, status and report tables, Swedish help,
quiet model loading, clarifications, and the search/ask --json contract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from assistent.cli import main
from grund.settings import get_settings
from tests.conftest import CORPUS
from tests.ingest.test_store import DOC_A, DOC_B, write

PROTOKOLL = CORPUS / "003_99c67a5cadad0a17.txt"

#: Every § of the Strömsund protokoll with its diarienummer (filing code dropped).
PARAGRAFER = {
    14: "SN.2023.373", 15: "SN.2024.32", 16: "VSF.2023.59", 17: "SN.2022.562", 18: "VSF.2023.363",
    19: "SN.2023.261", 20: "AME.2023.367", 21: "BIST.2023.366", 22: "VSF.2023.247", 23: "VSF.2024.8",
    24: "SN.2024.5", 25: "VSF.2024.1", 26: "IFO.2022.7", 27: "HSV-VSF.2023.112", 28: "ÄO-VSF.2022.290",
    29: "VSF.2024.11", 30: "SN.2024.15", 31: "SN.2024.17",
}
PASSAGE_FIELDS = {"kommun", "namnd", "datum", "dokumenttyp", "diarienummer", "paragraf", "rubrik", "fil", "sida", "text", "score"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def corpus_env(corpus_settings, monkeypatch):
    """Point the CLI's settings at the session's ingested example corpus."""
    monkeypatch.setenv("ASSISTENT_DATA_DIR", str(corpus_settings.data_dir))
    monkeypatch.setenv("ASSISTENT_MODEL_CACHE", str(corpus_settings.model_cache))
    for var in ("CHROMA_HOST", "ASSISTENT_LLM_BASE_URL", "ASSISTENT_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield corpus_settings
    get_settings.cache_clear()


def test_ingest_success_exit_0(tmp_path, settings, runner):
    write(tmp_path / "in", "a.txt", DOC_A)
    write(tmp_path / "in", "b.txt", DOC_B)
    result = runner.invoke(main, ["ingest", "-q", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    assert "Dokument: 2 nya" in result.output and "Misslyckades" not in result.output
    again = runner.invoke(main, ["ingest", "-q", str(tmp_path / "in")])
    assert again.exit_code == 0 and "0 nya, 0 ändrade, 2 oförändrade" in again.output


@pytest.mark.parametrize(
    "make,name,reason",
    [
        (lambda d: (d / "tom.txt").write_bytes(b""), "tom.txt", "filen är tom"),
        (lambda d: (d / "tabell.xlsx").write_bytes(b"PK"), "tabell.xlsx", "stöds inte"),
        (lambda d: (d / "skrap.pdf").write_bytes(b"\x00skrap" * 50), "skrap.pdf", "ingen PDF"),
    ],
)
def test_ingest_failure_exit_2_names_file_and_reason(tmp_path, settings, runner, make, name, reason):
    folder = tmp_path / "in"
    write(folder, "a.txt", DOC_A)
    make(folder)
    result = runner.invoke(main, ["ingest", "-q", str(folder)])
    assert result.exit_code == 2, result.output
    line = next(line for line in result.output.splitlines() if line.strip().startswith("✗"))
    assert name in line and reason in line
    assert "Dokument: 1 nya" in result.output  # the rest of the batch went in


def test_ingest_missing_folder_exit_2(tmp_path, settings, runner):
    result = runner.invoke(main, ["ingest", "-q", str(tmp_path / "saknas")])
    assert result.exit_code == 2 and "saknas: finns inte" in result.output


def test_ingest_json_summary(tmp_path, settings, runner):
    write(tmp_path / "in", "a.txt", DOC_A)
    (tmp_path / "in" / "tom.txt").write_bytes(b"")
    result = runner.invoke(main, ["ingest", "--json", str(tmp_path / "in")])
    assert result.exit_code == 2
    data = json.loads(result.output)
    for key in ("files_seen", "documents_new", "documents_unchanged", "pages", "sections", "chunks_embedded",
                "failures", "total_seconds", "embed_seconds"):
        assert key in data, key
    assert data["files_seen"] == 2 and data["documents_new"] == 1 and data["chunks_embedded"] >= 1
    assert [f["path"].rsplit("/", 1)[-1] for f in data["failures"]] == ["tom.txt"]
    assert "filen är tom" in data["failures"][0]["reason"]


def test_ingest_report_lists_every_paragraf_with_dnr(corpus_env, runner):
    """Re-ingesting corpus/003 into the session store: unchanged (no embedding), report from the store."""
    result = runner.invoke(main, ["ingest", "-q", "--report", str(PROTOKOLL)])
    assert result.exit_code == 0, result.output
    assert "1 oförändrade" in result.output
    lines = result.output.splitlines()
    header, docs = _table(lines, "Fil", "Typ", "Kommun", "Nämnd", "Datum", "Diarienummer", "Avsnitt")
    assert len(docs) == 1 and docs[0].index("Strömsunds kommun") == header.index("Kommun")
    header, sections = _table(lines, "§/typ", "Diarienummer", "Rubrik", "Delar", "Sida")
    assert len(sections) == len(PARAGRAFER)
    beslut = next(row for row in sections if row.split()[:2] == ["§", "16"])
    assert "ärende" in beslut[header.index("Delar") :] and "skickas till" in beslut
    assert any("Strömsunds kommun" in line and "Socialnämnden" in line and "2024-02-21" in line for line in lines)
    for nr, dnr in PARAGRAFER.items():
        assert any(re.search(rf"§ {nr}\b", line) and re.search(rf"(?<![\w.-]){re.escape(dnr)}\b", line) for line in lines), (
            f"§ {nr} {dnr} saknas i rapporten"
        )


def _table(lines: list[str], *headers: str) -> tuple[str, list[str]]:
    """The header row made of ``headers``, and the rows under its rule (up to a blank line)."""
    at = next(i for i, line in enumerate(lines) if line.split() == list(headers))
    assert set(lines[at + 1].replace(" ", "")) == {"-"}, "no rule under the header row"
    rows = []
    for line in lines[at + 2 :]:
        if not line.strip():
            break
        rows.append(line)
    return lines[at], rows


def test_status_lists_documents(corpus_env, runner):
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Dokument: 5\s+avsnitt: \d+\s+delar: \d+", result.output)
    header, rows = _table(result.output.splitlines(), "Fil", "Typ", "Kommun", "Nämnd", "Datum", "Avsnitt", "Delar")
    assert sorted(row.split()[0] for row in rows) == sorted(p.name for p in CORPUS.glob("*.txt"))
    stromsund = next(row for row in rows if "Strömsunds kommun" in row)
    # the kommun sits in the Kommun column, the label (not the code) in Typ
    assert stromsund.index("Strömsunds kommun") == header.index("Kommun")
    assert stromsund[header.index("Typ") :].startswith("Protokoll ")
    assert "Tjänsteskrivelse" in result.output and "tjansteskrivelse" not in result.output


ENGLISH_CLICK = ("Usage:", "Options:", "Commands:", "Show this message and exit.", "[OPTIONS]", "COMMAND [ARGS]")


@pytest.mark.parametrize("args", [[], ["ask"], ["ingest"], ["status"], ["shell"], ["serve"], ["eval"], ["eval", "run"]])
def test_help_is_swedish(runner, args):
    result = runner.invoke(main, [*args, "--help"], prog_name="assistent")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Användning: assistent")
    assert "Flaggor:" in result.output and "Visa den här hjälpen och avsluta." in result.output
    for english in ENGLISH_CLICK:
        assert english not in result.output, english


def test_usage_errors_are_swedish(runner):
    result = runner.invoke(main, ["ask", "--k", "3"], prog_name="assistent")
    assert result.exit_code == 2
    assert "Fel: Flaggan '--k' finns inte." in result.output and "Skriv 'assistent ask --help' för hjälp." in result.output
    assert "Fel: Argument saknas 'SÖKVÄGAR...'." in runner.invoke(main, ["ingest"], prog_name="assistent").output


MODEL_AND_CHROMA = ("torch", "chromadb", "onnxruntime", "transformers", "sentence_transformers", "eval")
SEARCH_STACK = ("bm25s", "scipy", "wordfreq")  # ingest.store opens the lexical index module: status has it


@pytest.mark.parametrize("args,heavy", [(["--help"], MODEL_AND_CHROMA + SEARCH_STACK), (["status"], MODEL_AND_CHROMA)])
def test_help_and_status_import_no_model_or_chroma(tmp_path, args, heavy):
    code = (
        "import sys\nfrom assistent.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    env = {**os.environ, "ASSISTENT_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-800:]
    assert "LOADED []" in proc.stdout, proc.stdout[-300:]


PROGRESS = re.compile(r"Loading weights|Batches|it/s\]|\d+%\|")


@pytest.mark.slow
@pytest.mark.parametrize("backend,verbose", [("onnx", False), ("torch", False), ("torch", True)])
def test_ask_prints_no_third_party_progress(corpus_settings, backend, verbose):
    """The real CLI in its own process: a question prints the answer and nothing else, unless --verbose
    (transformers shows a "Loading weights" bar whenever torch loads the model)."""
    env = {
        **os.environ,
        "ASSISTENT_DATA_DIR": str(corpus_settings.data_dir),
        "ASSISTENT_MODEL_CACHE": str(corpus_settings.model_cache),
        "ASSISTENT_EMBED_BACKEND": backend,
    }
    for var in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY", "CHROMA_HOST", "ASSISTENT_LLM_BASE_URL"):
        env.pop(var, None)
    args = [sys.executable, "-m", "assistent.cli", *(["--verbose"] if verbose else []), "ask", "Vad kostar hemsjukvården i Strömsund?"]
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-800:]
    assert "Källor:" in proc.stdout and "VSF.2024.8" in proc.stdout
    if verbose:
        assert "Loading weights" in proc.stderr  # the check below would see a bar
    else:
        assert not PROGRESS.search(proc.stdout + proc.stderr)
        assert proc.stderr == ""


AMBIGUOUS = "Vad beslutade socialnämnden om bokslut 2023?"



def test_ask_prints_clarification_as_numbered_list(corpus_env, runner, clarifying):
    data = json.loads(runner.invoke(main, ["ask", "--json", AMBIGUOUS]).output)
    kommuner = [c["kommun"] for c in data["clarify"]]
    assert len(kommuner) >= 2
    result = runner.invoke(main, ["ask", AMBIGUOUS])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("Välj kommun:")
    numbered = [re.match(r"  (\d+)\. (.+?) \(", line) for line in lines[at + 1 : at + 1 + len(kommuner)]]
    assert [(int(m.group(1)), m.group(2)) for m in numbered if m] == list(enumerate(kommuner, 1))
    assert f'--kommun "{kommuner[0]}"' in result.output
    # the JSON contract keeps its fields and adds clarify
    assert {"answer", "abstained", "citations", "passages", "clarify"} <= set(data)


def _passage_ok(p: dict) -> None:
    assert PASSAGE_FIELDS <= set(p), PASSAGE_FIELDS - set(p)
    assert isinstance(p["text"], str) and p["text"] and isinstance(p["score"], (int, float))
    assert p["fil"].endswith(".txt")


def test_search_json_contract(corpus_env, runner):
    result = runner.invoke(main, ["search", "--json", "avgift för hemsjukvård"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"query", "passages"} and data["query"] == "avgift för hemsjukvård"
    assert data["passages"]
    for p in data["passages"]:
        _passage_ok(p)
    assert any(p["paragraf"] == "§ 23" and p["diarienummer"] == "VSF.2024.8" for p in data["passages"][:3])


def test_ask_json_contract(corpus_env, runner):
    result = runner.invoke(main, ["ask", "--json", "Vad beslutade socialnämnden om bokslut 2023?"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"answer", "abstained", "citations", "passages"}
    assert isinstance(data["answer"], str) and isinstance(data["abstained"], bool)
    for p in data["passages"] + data["citations"]:
        _passage_ok(p)


@pytest.mark.parametrize("command,key", [("search", "query"), ("ask", "question")])
def test_batch_mode_one_json_line_per_question_in_order(corpus_env, runner, command, key):
    questions = ["Vilka avgifter gäller för hemsjukvård?", "Hur gick bokslutet 2023 för socialnämnden?"]
    result = runner.invoke(main, [command, "--json"], input="\n".join(questions) + "\n\n")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 2
    assert [json.loads(line)[key] for line in lines] == questions


def test_module_entry_points_import_without_cycles():
    # `python -m assistent.cli` imports eval/, which must not import the CLI module back
    import subprocess
    import sys

    for module in ("assistent.cli", "eval"):
        proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr[-500:]


def test_eval_without_subcommand_runs_run():
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["eval", "--help"])
    assert "structure" in result.output and "run" in result.output
    result = CliRunner().invoke(main, ["eval", "--gold", "/no/such/file.jsonl"])
    assert result.exit_code != 0 and "file.jsonl" in result.output  # parsed by `run`'s options
