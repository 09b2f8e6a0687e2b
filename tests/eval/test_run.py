"""`assistent eval` end to end on a tiny gold set over the ingested example corpus."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistent.cli import main
from eval.run import DEFAULT_GOLD, check_thresholds, parse_threshold

pytestmark = pytest.mark.slow
TINY = ("q017", "q032", "q096")  # two Strömsund questions and one unanswerable


@pytest.fixture
def tiny_gold(tmp_path):
    lines = [
        line
        for line in DEFAULT_GOLD.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["id"] in TINY
    ]
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def run_eval(settings, corpus_settings, tiny_gold, tmp_path):
    """Invoke `assistent eval` on the session's corpus store; returns (result, out dir)."""

    def run(*extra: str):
        out = tmp_path / "reports"
        args = ["eval", "--gold", str(tiny_gold), "--data-dir", str(corpus_settings.data_dir),
                "--systems", "assistant,bm25", "--out", str(out), "-q", *extra]  # fmt: skip
        return CliRunner().invoke(main, args, catch_exceptions=False), out

    return run


def test_eval_writes_report_json_and_plots(run_eval):
    result, out = run_eval("--fail-under", "bm25:hit@5=0")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "latest.md",
        "latest.json",
        "latest-kinds.png",
        "latest-latency.png",
    }
    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in data["systems"]] == ["assistant", "bm25"]
    assert len(data["results"]) == 2 * len(TINY)
    first = data["results"][0]
    assert {"question", "expected", "got", "passed", "reasons", "search_ms"} <= set(first)
    md = (out / "latest.md").read_text(encoding="utf-8")
    assert "| mått | assistant | bm25 |" in md and "| hit@5 |" in md and "## Hastighet" in md
    assert (out / "latest-kinds.png").read_bytes()[:4] == b"\x89PNG"


def test_fail_under_exits_non_zero(run_eval):
    result, _ = run_eval("--fail-under", "hit@1=1.01")
    assert result.exit_code == 3
    assert "hit@1" in result.output and "under gränsen" in result.output


def test_bad_threshold_is_refused_before_running(run_eval):
    result, out = run_eval("--fail-under", "träff=0.5")
    assert result.exit_code == 1 and "--fail-under" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [("hit@5=0.9", (None, "hit@5", 0.9)), ("bm25:mrr@10=0.5", ("bm25", "mrr@10", 0.5))],
)
def test_parse_threshold(spec, parsed):
    assert parse_threshold(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "fails"), [("hit@5=0.5", False), ("hit@5=0.8", True), ("false_abstention=0.1", True)]
)
def test_check_thresholds(spec, fails):
    from eval.run_report import EvalRun, SystemReport

    report = SystemReport(name="assistant", overall={"hit@5": 0.75, "false_abstention": 0.2}, by_kind={},
                          search_ms={}, ask_ms={}, build_seconds=0)  # fmt: skip
    run = EvalRun(
        gold="g", date="d", machine="m", command="", documents=[], n_questions=0, kinds={}, systems=[report]
    )
    assert bool(check_thresholds(run, [spec])) is fails


def test_a_quote_the_reader_does_not_give_is_refused_unless_the_check_is_off(run_eval, tiny_gold):
    """A blind set's writer may read a PDF with another tool; quotes are not scored, so the check can be switched off."""
    rows = [json.loads(line) for line in tiny_gold.read_text(encoding="utf-8").splitlines()]
    answerable = next(r for r in rows if r["sources"])
    answerable["sources"][0]["quote"] = "### en rad som läsaren aldrig ger ur dokumentet"
    tiny_gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    refused, out = run_eval()
    assert refused.exit_code != 0 and "citatet finns inte" in refused.output and not out.exists()
    scored, out = run_eval("--no-quote-check")
    assert scored.exit_code == 0, scored.output
    assert len(json.loads((out / "latest.json").read_text(encoding="utf-8"))["results"]) == 2 * len(TINY)
