"""The answer engine: units → kinds → features → rank → abstain/compose (see core.py).

Kept thin on purpose: ingest imports ``grund.units`` at ingest time, and that
must not pull in retrieval or the store. The entry points import their stage lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from assistent.services import Services
    from grund.records import Answer, Filters


def answer(assistant: Services, question: str, filters: Filters | None = None, history: list[str] | None = None) -> Answer:
    """The extractive answer to one question (see assistent.engine.core.answer)."""
    from assistent.engine.core import answer as _answer

    return _answer(assistant, question, filters, history)


def answer_stream(
    assistant: Services, question: str, filters: Filters | None = None, history: list[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """("delta", text) pieces, then ("answer", Answer) (see assistent.engine.core.answer_stream)."""
    from assistent.engine.core import answer_stream as _stream

    yield from _stream(assistant, question, filters, history)
