"""`assistent shell`: one process that loads the model once and keeps a conversation.

Each question is asked with the earlier questions of the conversation as history, exactly as
``assistent ask --history`` passes them, so "och när börjar det gälla?" follows on from the
question before. When an answer asks which kommun is meant (``Answer.clarify``), the choices
are printed as a numbered list and typing a number asks the same question again for that
kommun. The answer engine remembers what each answer settled (its kommun, its case) per
question and history in this process, so follow-ups after a choice keep the chosen kommun.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistent.limits import MAX_HISTORY
from grund.errors import AssistentError
from grund.records import Answer, Clarification, Filters

if TYPE_CHECKING:
    from assistent.api import Assistant

PROMPT = "fråga> "
#: Lines of readline history kept in the data directory between sessions.
HISTORY_LINES = 1000
QUIT = {":q", ":avsluta", "avsluta", "exit", "quit"}
HELP = """Skriv en fråga och tryck Enter. En följdfråga ("och när börjar det gälla?") bygger på frågorna före.
Kommandon:
  <nummer>   välj ett av alternativen när svaret frågar vilken kommun du menar
  :ny        börja ett nytt samtal (glömmer de tidigare frågorna)
  :historik  visa samtalets frågor
  :hjälp     visa den här texten
  :avsluta   avsluta (eller Ctrl-D)"""

Echo = Callable[..., None]


def format_choices(choices: list[Clarification]) -> str:
    """The candidate kommuner of a clarification as a numbered list."""
    lines = ["Välj kommun:"]
    for i, c in enumerate(choices, 1):
        where = ", ".join(x for x in (c.namnd, c.datum.isoformat() if c.datum else None, c.paragraf) if x)
        lines.append(f"  {i}. {c.kommun or '–'}{f' ({where})' if where else ''} [{c.n}]")
    return "\n".join(lines)


def print_answer(
    assistant: Assistant, question: str, filters: Filters | None, history: list[str], echo: Echo = click.echo
) -> Answer:
    """Stream one answer to the terminal as it is produced; then its notes (on stderr).

    Args:
        assistant: the assistant.
        question: the question.
        filters: explicit filters.
        history: earlier questions, oldest first.
        echo: where text goes (click.echo).
    """
    final: Answer | None = None
    for kind, value in assistant.ask_stream(question, filters=filters, history=history):
        if kind == "delta":
            echo(value, nl=False)
        elif kind == "replace":
            echo("\n---\n" + value, nl=False)
        elif kind == "answer":
            final = value
    echo()
    assert final is not None  # ask_stream always ends with ("answer", Answer)
    for note in final.notes:
        echo(f"(Obs: {note})", err=True)
    return final


class Shell:
    """A conversation: its questions so far and the choices the last answer offered.

    Args:
        assistant: the assistant (model loaded once, for every question).
        filters: filters for every question (from the command line).
        echo: where text goes (click.echo).
    """

    def __init__(self, assistant: Assistant, filters: Filters | None = None, echo: Echo = click.echo):
        self.assistant = assistant
        self.filters = filters or Filters()
        self.echo = echo
        self.history: list[str] = []
        self._choices: list[Clarification] = []
        self._choice_question: tuple[str, list[str]] | None = None

    def handle(self, line: str) -> bool:
        """Act on one line typed by the user; False when the user wants to quit."""
        line = line.strip()
        if not line:
            return True
        if line.lower() in QUIT:
            return False
        if line in (":hjälp", ":help", "?"):
            self.echo(HELP)
        elif line == ":ny":
            self.history, self._choices = [], []
            self.echo("Nytt samtal.")
        elif line == ":historik":
            self.echo("\n".join(f"{i}. {q}" for i, q in enumerate(self.history, 1)) or "Inga frågor än.")
        elif line.isdigit() and self._choices:
            self._choose(int(line))
        elif line.startswith(":"):
            self.echo(f"Okänt kommando {line}. Skriv :hjälp för kommandona.")
        else:
            self.ask(line)
        return True

    def ask(self, question: str, filters: Filters | None = None) -> Answer | None:
        """Ask with the conversation so far as history; remember the question and any choices."""
        history = self.history[-MAX_HISTORY:]
        try:
            answer = print_answer(self.assistant, question, filters or self.filters, history, self.echo)
        except AssistentError as exc:  # a question too long, a model that cannot load: say so, go on
            self.echo(f"Fel: {exc}", err=True)
            return None
        self.history.append(question)
        self._choices = list(answer.clarify)
        self._choice_question = (question, history)
        if self._choices:
            self.echo(format_choices(self._choices))
            self.echo(f"Skriv 1–{len(self._choices)} för att välja, eller ställ en ny fråga.")
        return answer

    def _choose(self, n: int) -> None:
        if not 1 <= n <= len(self._choices) or self._choice_question is None:
            self.echo(f"Välj ett nummer mellan 1 och {len(self._choices)}.")
            return
        kommun = self._choices[n - 1].kommun
        question, history = self._choice_question
        self.echo(f"{question} ({kommun}):")
        # The same question with the same history, now for one kommun: the engine's memory of
        # (question, history) then holds this answer, so follow-ups carry its kommun and case.
        self.history = history
        self.ask(question, self.filters.model_copy(update={"kommun": kommun}))

    def run(self, lines: Iterable[str]) -> None:
        """Handle lines until the input ends or the user quits."""
        for line in lines:
            try:
                if not self.handle(line):
                    break
            except KeyboardInterrupt:  # Ctrl-C while an answer streams stops that answer only
                self.echo("\n(avbrutet)")


def typed_lines(history_file: Path | None) -> Iterator[str]:
    """Lines from the terminal with line editing and a kept history, or plain lines from a pipe."""
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    readline = _readline(history_file)
    try:
        while True:
            try:
                yield input(PROMPT)
            except KeyboardInterrupt:  # Ctrl-C drops the line being typed, as in a shell
                click.echo()
            except EOFError:
                click.echo()
                return
    finally:
        if readline is not None and history_file is not None:
            try:
                readline.write_history_file(history_file)
                os.chmod(history_file, 0o600)  # the questions people ask are their own
            except OSError:
                pass


def _readline(history_file: Path | None):
    try:
        import readline
    except ImportError:  # no line editing on this platform: plain input()
        return None
    readline.set_history_length(HISTORY_LINES)
    if history_file is not None and history_file.is_file():
        try:
            readline.read_history_file(history_file)
        except OSError:
            pass
    return readline


def run_shell(assistant: Assistant, filters: Filters, history_file: Path | None) -> None:
    """Load the model, greet, and run the conversation on the terminal (or on stdin's lines).

    Args:
        assistant: the assistant.
        filters: filters for every question.
        history_file: where typed lines are kept between sessions (None: not kept).
    """
    t = time.perf_counter()
    click.echo("Laddar modellen …", err=True)
    assistant.warm_up()
    seconds = f"{time.perf_counter() - t:.1f}".replace(".", ",")
    click.echo(f"Klar på {seconds} s. Skriv en fråga, :hjälp för kommandon, :avsluta för att sluta.", err=True)
    Shell(assistant, filters).run(typed_lines(history_file))
