"""Warnings for sources that hold instructions aimed at an assistant (prompt injection).

The detection is grund/injection.py's; here every answer that cites such a section gets a
note (``Answer.notes``) and the citation and passages a ``warning``, so the text is never
presented as plain fact without one. Sections stored before the flag existed are checked
on the way out, so an old archive is covered without re-ingest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from grund.injection import describe, find_instructions
from grund.prompts import INJECTION_NOTE, INJECTION_PASSAGE_WARNING
from grund.records import Answer, Passage, Section

if TYPE_CHECKING:
    from ingest.store import Store


def flag_section(section: Section) -> Section:
    """The section with ``injection`` set (also for sections ingested before it was detected)."""
    if section.injection is None:
        found = describe(find_instructions(section.text))
        if found:
            return section.model_copy(update={"injection": found})
    return section


def warn_passages(passages: list[Passage]) -> list[Passage]:
    """Passages whose text instructs an assistant get ``warning`` set (copies; the others as they are)."""
    return [
        p.model_copy(update={"warning": INJECTION_PASSAGE_WARNING}) if find_instructions(p.text) else p
        for p in passages
    ]


def annotate_answer(answer: Answer, store: Store) -> Answer:
    """The answer with a note, and warnings on citations, when a cited source instructs an assistant."""
    citations, flagged, quote = [], [], None
    sections: dict[str, Section | None] = {}
    for c in answer.citations:
        found = find_instructions(c.text)
        if not found and c.section_id:
            if c.section_id not in sections:
                s = store.get_section(c.section_id)
                sections[c.section_id] = flag_section(s) if s else None
            s = sections[c.section_id]
            found = [s.injection] if s and s.injection else []
        if found:
            citations.append(c.model_copy(update={"warning": INJECTION_PASSAGE_WARNING}))
            flagged.append(f"[{c.n}]")
            quote = quote or found[0]
        else:
            citations.append(c)
    in_text = find_instructions(answer.answer)
    if in_text:
        quote = quote or in_text[0]
    if not flagged and not in_text:
        return answer.model_copy(update={"passages": warn_passages(answer.passages)})
    note = INJECTION_NOTE.format(refs=" ".join(flagged) or "som citeras", quote=(quote or "")[:200])
    return answer.model_copy(
        update={"citations": citations, "passages": warn_passages(answer.passages), "notes": [*answer.notes, note]}
    )


def safety_stream(events: Iterator[tuple[str, Any]], store: Store) -> Iterator[tuple[str, Any]]:
    """``Assistant.ask_stream``'s events with the final Answer annotated."""
    for kind, value in events:
        yield kind, annotate_answer(value, store) if kind == "answer" else value
