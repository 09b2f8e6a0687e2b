"""Question bounds are the same in Python, the CLI and the HTTP API (assistent/limits.py)."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from assistent.api import Assistant
from assistent.cli import main
from assistent.limits import MAX_K, MAX_QUESTION_CHARS, check_k, check_question
from grund.errors import QuestionError


@pytest.mark.parametrize("k", [0, -5, MAX_K + 1, 2.5, True])
def test_k_out_of_range_is_refused(k):
    with pytest.raises(QuestionError, match="Antal träffar måste vara ett heltal från 1 till 100"):
        check_k(k, 10)


def test_k_default_and_range():
    assert check_k(None, 10) == 10 and check_k(1, 10) == 1 and check_k(MAX_K, 10) == MAX_K


def test_question_bounds():
    assert check_question("  hej  ") == "hej"
    with pytest.raises(QuestionError, match="tom"):
        check_question("   ")
    with pytest.raises(QuestionError, match=f"1001 tecken; högst {MAX_QUESTION_CHARS}"):
        check_question("a" * (MAX_QUESTION_CHARS + 1))


def test_python_search_refuses_a_megabyte_query_at_once(settings):
    """A 1 MB query did not finish in 300 s; now it is refused before any work."""
    assistant = Assistant(settings)
    t = time.monotonic()
    with pytest.raises(QuestionError, match="för lång"):
        assistant.search("avgift " * 150_000)
    with pytest.raises(QuestionError, match="för lång"):
        assistant.ask("avgift " * 150_000)
    with pytest.raises(QuestionError, match="för lång"):
        assistant.search("avgift", history=["x" * 5000])
    with pytest.raises(QuestionError, match="Antal träffar"):
        assistant.search("avgift", k=-5)
    assert time.monotonic() - t < 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "avgift", "--k", "-5"], "Antal träffar måste vara ett heltal från 1 till 100 (fick -5)"),
        (["search", "avgift", "--k", "101"], "(fick 101)"),
        (["search", "a" * 1001], "Frågan är för lång (1001 tecken; högst 1000)"),
        (["ask", "a" * 1001], "Frågan är för lång (1001 tecken; högst 1000)"),
    ],
)
def test_cli_refuses_out_of_range_with_one_swedish_line(settings, args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
