"""`assistent` command line: ingest exit codes and output, status, and the search/ask --json contract."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from assistent.cli import main
from assistent.settings import get_settings
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
    assert any("Strömsunds kommun" in line and "Socialnämnden" in line and "2024-02-21" in line for line in lines)
    for nr, dnr in PARAGRAFER.items():
        assert any(re.search(rf"§ {nr}\b", line) and re.search(rf"(?<![\w.-]){re.escape(dnr)}\b", line) for line in lines), (
            f"§ {nr} {dnr} saknas i rapporten"
        )


def test_status_lists_documents(corpus_env, runner):
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Dokument: 5\s+avsnitt: \d+\s+delar: \d+", result.output)
    for path in sorted(CORPUS.glob("*.txt")):
        assert path.name in result.output
    assert "Strömsunds kommun" in result.output and "protokoll" in result.output


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
