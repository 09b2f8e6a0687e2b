"""Plain-text tables (assistent/cli_tables.py) and click's texts in Swedish (assistent/cli_sv.py)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from assistent.cli_errors import UserErrorGroup
from assistent.cli_tables import doctype_label, part_labels, table


def test_table_has_header_rule_and_aligned_columns():
    text = table(("Fil", "Kommun", "Delar"), [("a.txt", "Strömsunds kommun", 119), ("längre-namn.pdf", None, 7)], right=(2,))
    header, rule, first, second = text.splitlines()
    assert header.split() == ["Fil", "Kommun", "Delar"]
    assert set(rule.replace(" ", "")) == {"-"} and len(rule) == len(first)
    # every cell starts where its header starts; numbers end where theirs ends
    assert first.index("Strömsunds kommun") == header.index("Kommun") == second.index("–")
    assert first.endswith("119") and second.endswith("  7") and len(header) == len(first)


def test_table_cuts_long_cells_and_keeps_one_line_per_row():
    text = table(("Rubrik",), [("Höjning av avgift\nför hemsjukvård 2024",)], max_width={0: 12})
    assert text.splitlines()[2] == "Höjning av …"
    assert len(text.splitlines()) == 3


@pytest.mark.parametrize(
    "code,utdrag,label",
    [("tjansteskrivelse", False, "Tjänsteskrivelse"), ("kallelse", False, "Kallelse/föredragningslista"),
     ("protokoll", True, "Protokollsutdrag"), (None, False, "–")],
)  # fmt: skip
def test_doctype_labels_are_swedish(code, utdrag, label):
    assert doctype_label(code, utdrag) == label


def test_part_labels_once_each_in_swedish():
    assert part_labels(["arende", "forslag", "beslut", "forslag", "skickas_till"]) == "ärende, förslag, beslut, skickas till"
    assert part_labels([]) == "–"


@click.group(cls=UserErrorGroup, lazy={"tung": ("tests.no_such_module:cli", "Laddas först när den körs.")})
def _group() -> None:
    """En grupp."""


@_group.command()
@click.argument("fil")
@click.option("--antal", type=int)
def visa(fil, antal) -> None:
    """Visa något."""


def test_click_errors_and_usage_in_swedish():
    runner = CliRunner()
    result = runner.invoke(_group, ["visa", "a", "--antal", "tre"])
    assert result.exit_code == 2
    assert "Användning: " in result.output and "[FLAGGOR] FIL" in result.output
    assert "Fel: Ogiltigt värde för '--antal': 'tre' är inte ett giltigt heltal." in result.output
    assert "--antal HELTAL" in runner.invoke(_group, ["visa", "--help"]).output
    assert "Skriv '" in result.output and "för hjälp." in result.output
    missing = runner.invoke(_group, ["visa"])
    assert "Fel: Argument saknas 'FIL'." in missing.output
    assert "Fel: Kommandot 'nej' finns inte." in runner.invoke(_group, ["nej"]).output


def test_lazy_command_listed_without_import():
    result = CliRunner().invoke(_group, ["--help"])
    assert result.exit_code == 0, result.output
    assert "tung" in result.output and "Laddas först när den körs." in result.output
    assert "Kommandon:" in result.output and "Commands:" not in result.output
    # running it imports it (here: a module that does not exist)
    assert isinstance(CliRunner().invoke(_group, ["tung"]).exception, ModuleNotFoundError)
