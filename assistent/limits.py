"""Bounds on what a question may ask for, the same in the CLI, the Python API and the web.

A 1 MB query did not finish in 300 s (every word is stemmed, split into compound parts
and looked up); ``--k -5`` was accepted. The caps here are the ones the HTTP API already
enforced (1,000 characters, 1–100 passages, 20 earlier questions), so a script gets the
same answer whichever way it asks.
"""

from __future__ import annotations

from grund.errors import QuestionError
from grund.prompts import HISTORY_TOO_LONG, K_OUT_OF_RANGE, QUESTION_EMPTY, QUESTION_TOO_LONG

MAX_QUESTION_CHARS = 1000
MAX_K = 100
MAX_HISTORY = 20


def check_question(question: str) -> str:
    """The question stripped; QuestionError when it is empty or longer than MAX_QUESTION_CHARS."""
    q = (question or "").strip()
    if not q:
        raise QuestionError(QUESTION_EMPTY)
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(QUESTION_TOO_LONG.format(n=len(q), cap=MAX_QUESTION_CHARS))
    return q


def check_k(k: int | None, default: int) -> int:
    """``k`` (or ``default`` when None) when it lies in 1..MAX_K; QuestionError otherwise."""
    k = default if k is None else k
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise QuestionError(K_OUT_OF_RANGE.format(k=k, cap=MAX_K))
    return k


def check_history(history: list[str] | None) -> list[str]:
    """Earlier questions, each within the question cap, at most MAX_HISTORY of them."""
    history = list(history or [])
    if len(history) > MAX_HISTORY:
        raise QuestionError(HISTORY_TOO_LONG.format(n=len(history), cap=MAX_HISTORY))
    for h in history:
        if len(h) > MAX_QUESTION_CHARS:
            raise QuestionError(QUESTION_TOO_LONG.format(n=len(h), cap=MAX_QUESTION_CHARS))
    return history
