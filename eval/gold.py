"""Gold question sets: load a JSONL file, check every line, and check quotes against the documents.

One JSON object per line (format documented in eval/README.md). A file is either
valid as a whole or refused with every problem listed as ``file:line: field: problem``,
so a municipality writing its own set fixes all mistakes in one go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from grund.errors import AssistentError
from grund.settings import Settings, get_settings

Kind = Literal["fact", "decision", "policy", "lookup", "multi", "noisy", "ambiguous", "unanswerable"]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
#: Every error message lists at most this many problems; the rest are counted.
_MAX_LISTED = 25


class GoldError(AssistentError):
    """A gold file cannot be used; the message lists each problem as file:line: field: problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        listed = problems[:_MAX_LISTED]
        more = len(problems) - len(listed)
        tail = f"\n  … och {more} fel till" if more else ""
        super().__init__(f"Guldfilen har {len(problems)} fel:\n  " + "\n  ".join(listed) + tail)


class GoldSource(BaseModel):
    """Where the answer is written: file, its dnr/§ as printed, the heading, a verbatim quote."""

    file: str
    diarienummer: str | None = None
    paragraf: str | None = None
    heading: str | None = None
    quote: str


class GoldQuestion(BaseModel):
    id: str
    question: str
    kind: Kind
    kommun: str | None = None
    sources: list[GoldSource] = Field(default_factory=list)
    facts: list[list[str]] = Field(default_factory=list, description="per required fact, its accepted forms")
    answer: str = ""
    line: int = Field(0, exclude=True, description="line in the gold file, for messages")

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


# field → (required, accepted types, Swedish type name)
_FIELDS: dict[str, tuple[bool, tuple[type, ...], str]] = {
    "id": (True, (str,), "text"),
    "question": (True, (str,), "text"),
    "kind": (True, (str,), "text"),
    "kommun": (False, (str, type(None)), "text eller null"),
    "sources": (True, (list,), "lista"),
    "facts": (True, (list,), "lista"),
    "answer": (False, (str,), "text"),
}
_SOURCE_FIELDS: dict[str, tuple[bool, tuple[type, ...], str]] = {
    "file": (True, (str,), "text"),
    "diarienummer": (False, (str, type(None)), "text eller null"),
    "paragraf": (False, (str, type(None)), "text eller null"),
    "heading": (False, (str, type(None)), "text eller null"),
    "quote": (True, (str,), "text"),
}


def _check_fields(obj: dict[str, Any], spec: dict, where: str, prefix: str) -> list[str]:
    problems = []
    for name, (required, types, type_name) in spec.items():
        if name not in obj:
            if required:
                problems.append(f"{where}: {prefix}{name}: fältet saknas")
        elif not isinstance(obj[name], types):
            problems.append(f"{where}: {prefix}{name}: ska vara {type_name}, är {type(obj[name]).__name__}")
        elif isinstance(obj[name], str) and required and not obj[name].strip():
            problems.append(f"{where}: {prefix}{name}: är tom")
    return problems


def _check_line(obj: Any, where: str) -> list[str]:
    """Every problem of one parsed line, as 'where: field: problem'."""
    if not isinstance(obj, dict):
        return [f"{where}: raden ska vara ett JSON-objekt"]
    problems = _check_fields(obj, _FIELDS, where, "")
    kind = obj.get("kind")
    if isinstance(kind, str) and kind not in KINDS:
        problems.append(f"{where}: kind: okänd sort {kind!r} (tillåtna: {', '.join(KINDS)})")
    sources = obj.get("sources")
    if isinstance(sources, list):
        for i, src in enumerate(sources):
            if not isinstance(src, dict):
                problems.append(f"{where}: sources[{i}]: ska vara ett objekt")
            else:
                problems += _check_fields(src, _SOURCE_FIELDS, where, f"sources[{i}].")
        if kind == "unanswerable" and sources:
            problems.append(f"{where}: sources: en obesvarbar fråga ska ha en tom lista")
        if kind in KINDS and kind != "unanswerable" and not sources:
            problems.append(f"{where}: sources: en besvarbar fråga behöver minst en källa")
        if kind == "ambiguous" and len(sources) < 2:
            problems.append(f"{where}: sources: en tvetydig fråga behöver minst två källor")
    facts = obj.get("facts")
    if isinstance(facts, list):
        for i, group in enumerate(facts):
            if not (
                isinstance(group, list) and group and all(isinstance(f, str) and f.strip() for f in group)
            ):
                problems.append(f"{where}: facts[{i}]: ska vara en icke-tom lista med texter")
    return problems


def load_gold(
    path: Path, documents: Mapping[str, Path] | None = None, read_text: Callable[[Path], str] | None = None
) -> list[GoldQuestion]:
    """Read and validate a gold JSONL file; raise GoldError listing every problem.

    Args:
        path: the .jsonl file.
        documents: file name (as in ``sources[].file``) → path of that document; when given,
            every source file must be in it and every quote must occur in its text.
        read_text: how to read a document's text (default: ``document_text``).
    """
    path = Path(path)
    if not path.is_file():
        raise GoldError([f"{path}: filen finns inte"])
    problems: list[str] = []
    questions: list[GoldQuestion] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: ogiltig JSON ({exc.msg}, tecken {exc.colno})")
            continue
        line_problems = _check_line(obj, where)
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            if obj["id"] in seen:
                line_problems.append(f"{where}: id: {obj['id']!r} finns redan på rad {seen[obj['id']]}")
            seen.setdefault(obj["id"], n)
        if line_problems:
            problems += line_problems
            continue
        questions.append(GoldQuestion(**obj, line=n))
    if not questions and not problems:
        problems.append(f"{path.name}: filen innehåller inga frågor")
    if documents is not None and not problems:
        problems += check_quotes(questions, documents, path.name, read_text or document_text)
    if problems:
        raise GoldError(problems)
    return questions


def check_quotes(
    questions: list[GoldQuestion],
    documents: Mapping[str, Path],
    gold_name: str,
    read_text: Callable[[Path], str],
) -> list[str]:
    """Problems with source files that are missing or quotes not found in their document.

    Args:
        questions: validated questions.
        documents: file name → path.
        gold_name: the gold file's name, for messages.
        read_text: reads a document's text as the assistant sees it.
    """
    problems = []
    texts: dict[str, str] = {}
    for q in questions:
        for i, src in enumerate(q.sources):
            where = f"{gold_name}:{q.line}: sources[{i}]"
            if src.file not in documents:
                problems.append(f"{where}.file: {src.file!r} finns inte bland dokumenten")
                continue
            if src.file not in texts:
                texts[src.file] = squash(read_text(documents[src.file]))
            if squash(src.quote) not in texts[src.file]:
                problems.append(f"{where}.quote: citatet finns inte i {src.file}: {src.quote[:60]!r}")
    return problems


def squash(text: str) -> str:
    """Lower-cased text with every whitespace character removed, for whitespace-blind matching.

    Args:
        text: any text.
    """
    return re.sub(r"\s+", "", text).lower()


def document_text(path: Path, settings: Settings | None = None) -> str:
    """A document's text as our readers see it (read + clean); txt/md files as they are.

    Args:
        path: the document file.
        settings: reader settings (OCR on/off, language); default from the environment.
    """
    if path.suffix.lower() in (".txt", ".md"):
        return path.read_text(encoding="utf-8", errors="replace")
    from ingest.clean import clean_document
    from ingest.read import read_file

    return clean_document(read_file(path, settings or get_settings())).text
