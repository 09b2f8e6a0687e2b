"""`assistent shell`: follow-ups with the conversation as history, clarifications picked by number."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from assistent.cli import main
from assistent.limits import MAX_QUESTION_CHARS
from assistent.shell import Shell
from grund.records import Filters
from grund.settings import get_settings

AMBIGUOUS = "Vad beslutade socialnämnden om bokslut 2023?"
FIRST = "vad beslutade socialnämnden om avgiften för hemsjukvård?"
FOLLOW_UP = "och vad kostar det?"


class Screen:
    """What the shell printed, stdout and stderr apart."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def __call__(self, message: str = "", nl: bool = True, err: bool = False) -> None:
        (self.err if err else self.out).append(message + ("\n" if nl else ""))

    def take(self) -> str:
        text, self.out = "".join(self.out), []
        return text


@pytest.fixture
def screen() -> Screen:
    return Screen()



def _choice_numbers(text: str) -> dict[str, int]:
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^  (\d+)\. (.+?)(?: \(.*\))? \[\d+\]$", text, re.M)}


def test_follow_up_is_asked_with_the_earlier_question_as_history(assistant, screen):
    shell = Shell(assistant, echo=screen)
    shell.handle(FIRST)
    screen.take()
    shell.handle(FOLLOW_UP)
    printed = screen.take()
    assert shell.history == [FIRST, FOLLOW_UP]
    # exactly what `assistent ask FOLLOW_UP --history FIRST` answers
    assert printed.strip() == assistant.ask(FOLLOW_UP, history=[FIRST]).answer.strip()
    assert "VSF.2024.8" in printed  # the fee's §, found through the earlier question


def test_clarification_is_a_numbered_choice_and_the_choice_sticks(assistant, screen, clarifying):
    shell = Shell(assistant, echo=screen)
    shell.handle(AMBIGUOUS)
    offered = screen.take()
    choices = _choice_numbers(offered)
    assert "Välj kommun:" in offered and len(choices) >= 2
    assert sorted(choices.values()) == list(range(1, len(choices) + 1))

    kommun = next(k for k, n in choices.items() if n == 2)  # not the best-scored one
    shell.handle("2")
    chosen = screen.take()
    assert chosen.startswith(f"{AMBIGUOUS} ({kommun}):\n")
    expected = assistant.ask(AMBIGUOUS, filters=Filters(kommun=kommun))
    assert not expected.clarify and expected.answer.strip() in chosen
    assert shell.history == [AMBIGUOUS]  # the question once, not once per choice

    after = shell.ask("när beslutades det?")
    assert after is not None and after.passages and not after.clarify
    assert {p.kommun for p in after.passages} == {kommun}  # the follow-up kept the chosen kommun
    assert shell.history == [AMBIGUOUS, "när beslutades det?"]


def test_a_number_out_of_range_asks_again(assistant, screen, clarifying):
    shell = Shell(assistant, echo=screen)
    shell.handle(AMBIGUOUS)
    n = len(_choice_numbers(screen.take()))
    assert shell.handle(str(n + 1))
    assert screen.take() == f"Välj ett nummer mellan 1 och {n}.\n"


def test_commands_new_conversation_history_errors_and_quit(assistant, screen):
    shell = Shell(assistant, echo=screen)
    shell.handle(FIRST)
    screen.take()
    shell.handle(":historik")
    assert screen.take() == f"1. {FIRST}\n"
    assert shell.handle("x" * (MAX_QUESTION_CHARS + 1))  # a bad question is reported, the shell goes on
    assert screen.err and screen.err[-1].startswith("Fel: ") and shell.history == [FIRST]
    shell.handle(":ny")
    assert screen.take() == "Nytt samtal.\n" and shell.history == []
    shell.handle(":okänt")
    assert "Okänt kommando :okänt" in screen.take()
    assert shell.handle(":hjälp") and ":avsluta" in screen.take()
    assert shell.handle(":avsluta") is False


def test_shell_command_loads_once_and_reads_lines(corpus_settings, monkeypatch, clarifying):
    monkeypatch.setenv("ASSISTENT_DATA_DIR", str(corpus_settings.data_dir))
    monkeypatch.setenv("ASSISTENT_MODEL_CACHE", str(corpus_settings.model_cache))
    monkeypatch.delenv("ASSISTENT_LLM_BASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["shell"], input=f"{AMBIGUOUS}\n1\n:historik\n:avsluta\nnot asked\n")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Klar på" in result.stderr and result.stderr.count("Laddar modellen") == 1
    assert "Välj kommun:" in result.stdout and f"{AMBIGUOUS} (" in result.stdout
    assert result.stdout.rstrip().endswith(f"1. {AMBIGUOUS}")  # stopped at :avsluta
