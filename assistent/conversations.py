"""Conversations and feedback, kept in ``<data dir>/conversations.sqlite``.

The chat stores each question as a turn the moment it is asked (status ``pending``) and
its answer when the stream ends (``done``; ``stopped`` when the user stops it, ``error``
when answering failed), so a conversation survives a reload and a server restart and
has a URL (``/c/<id>``). Feedback (👍/👎 with an optional comment) keeps a copy of the
question, the earlier questions, the filters and the answer with its citations, so it
outlives a regenerated answer or a deleted conversation; ``gold_drafts`` turns it into
lines of the eval gold format (eval/README.md), for a municipality to review and use as
its own test set (``assistent feedback export``).

The file is separate from the document store: deleting or re-ingesting documents never
touches conversations, and the store's schema stays the store's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from grund.records import Answer, Filters

TurnStatus = Literal["pending", "done", "stopped", "error"]
#: Ids are 12 URL-safe characters (72 random bits): unguessable, short enough for a URL.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{12}")
MAX_TITLE_CHARS = 120
MAX_COMMENT_CHARS = 2000
#: Conversations listed in the side panel at most (newest first).
LIST_LIMIT = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations(owner, updated_at);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, idx INTEGER NOT NULL,
    question TEXT NOT NULL, filters TEXT NOT NULL, answer TEXT, status TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, idx);
CREATE TABLE IF NOT EXISTS feedback (
    turn_id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, rating INTEGER NOT NULL,
    comment TEXT NOT NULL, question TEXT NOT NULL, history TEXT NOT NULL, filters TEXT NOT NULL,
    answer TEXT NOT NULL, created_at TEXT NOT NULL);
"""


class Turn(BaseModel):
    """One question of a conversation and, once answered, its answer."""

    id: str
    conversation_id: str
    index: int
    question: str
    filters: Filters = Field(default_factory=Filters)
    answer: Answer | None = None
    status: TurnStatus = "pending"


class Conversation(BaseModel):
    id: str
    owner: str = Field(description="the browser that started it (a random cookie value)")
    title: str
    created_at: str
    updated_at: str
    turns: list[Turn] = Field(default_factory=list)

    def history_before(self, turn: Turn) -> list[str]:
        """The questions asked before ``turn``, oldest first (what a follow-up is read against)."""
        return [t.question for t in self.turns if t.index < turn.index]

    def previous(self, turn: Turn) -> Turn | None:
        earlier = [t for t in self.turns if t.index < turn.index]
        return earlier[-1] if earlier else None


class Feedback(BaseModel):
    """A user's verdict on one answer, with a copy of what was judged."""

    turn_id: str
    conversation_id: str
    rating: Literal[1, -1] = Field(description="1 = 👍, -1 = 👎")
    comment: str = ""
    question: str
    history: list[str] = Field(default_factory=list)
    filters: Filters = Field(default_factory=Filters)
    answer: Answer
    created_at: str


def new_id() -> str:
    return secrets.token_urlsafe(9)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def title_of(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= 80 else text[:79].rstrip() + "…"


class ConversationStore:
    """Conversations, turns and feedback in one SQLite file (one connection per call: safe
    across threads and across the worker processes of ``assistent serve --workers N``)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @classmethod
    def for_settings(cls, settings) -> ConversationStore:
        return cls(settings.data_dir / "conversations.sqlite")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:  # one transaction per block
                yield db
        finally:
            db.close()

    # ------------------------------------------------------------ conversations
    def create(self, owner: str, title: str = "Ny konversation") -> Conversation:
        now = _now()
        conv = Conversation(
            id=new_id(), owner=owner, title=title[:MAX_TITLE_CHARS], created_at=now, updated_at=now
        )
        with self._db() as db:
            db.execute("INSERT INTO conversations VALUES (?,?,?,?,?)", (conv.id, owner, conv.title, now, now))
        return conv

    def get(self, conv_id: str) -> Conversation | None:
        if not ID_PATTERN.fullmatch(conv_id or ""):
            return None
        with self._db() as db:
            row = db.execute(
                "SELECT id, owner, title, created_at, updated_at FROM conversations WHERE id = ?", (conv_id,)
            ).fetchone()
            if row is None:
                return None
            turns = db.execute(
                "SELECT id, conversation_id, idx, question, filters, answer, status FROM turns "
                "WHERE conversation_id = ? ORDER BY idx",
                (conv_id,),
            ).fetchall()
        conv = Conversation(id=row[0], owner=row[1], title=row[2], created_at=row[3], updated_at=row[4])
        conv.turns = [_turn(t) for t in turns]
        return conv

    def list_for(self, owner: str, limit: int = LIST_LIMIT) -> list[Conversation]:
        """The owner's conversations that have at least one question, most recently used first (without turns)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT id, owner, title, created_at, updated_at FROM conversations c WHERE owner = ? "
                "AND EXISTS (SELECT 1 FROM turns t WHERE t.conversation_id = c.id) "
                "ORDER BY updated_at DESC, rowid DESC LIMIT ?",
                (owner, limit),
            ).fetchall()
        return [Conversation(id=r[0], owner=r[1], title=r[2], created_at=r[3], updated_at=r[4]) for r in rows]

    def rename(self, conv_id: str, title: str) -> None:
        title = " ".join(title.split())[:MAX_TITLE_CHARS] or "Namnlös konversation"
        with self._db() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conv_id))

    def delete(self, conv_id: str) -> None:
        """Remove a conversation and its turns (feedback given on it stays: it is its own copy)."""
        with self._db() as db:
            db.execute("DELETE FROM turns WHERE conversation_id = ?", (conv_id,))
            db.execute("DELETE FROM conversations WHERE id = ?", (conv_id,))

    # ------------------------------------------------------------ turns
    def add_turn(self, conv: Conversation, question: str, filters: Filters | None = None) -> Turn:
        now = _now()
        filters = filters or Filters()
        with self._db() as db:
            (last,) = db.execute(
                "SELECT COALESCE(MAX(idx), -1) FROM turns WHERE conversation_id = ?", (conv.id,)
            ).fetchone()
            turn = Turn(
                id=new_id(), conversation_id=conv.id, index=last + 1, question=question, filters=filters
            )
            db.execute(
                "INSERT INTO turns VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    turn.id,
                    conv.id,
                    turn.index,
                    question,
                    filters.model_dump_json(),
                    None,
                    "pending",
                    now,
                    now,
                ),
            )
            if last < 0 and conv.title == "Ny konversation":
                db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title_of(question), conv.id))
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conv.id))
        conv.turns.append(turn)
        return turn

    def get_turn(self, turn_id: str) -> Turn | None:
        if not ID_PATTERN.fullmatch(turn_id or ""):
            return None
        with self._db() as db:
            row = db.execute(
                "SELECT id, conversation_id, idx, question, filters, answer, status FROM turns WHERE id = ?",
                (turn_id,),
            ).fetchone()
        return _turn(row) if row else None

    def finish_turn(
        self, turn_id: str, answer: Answer | None, status: TurnStatus, only_pending: bool = False
    ) -> bool:
        """Store a turn's outcome: its answer (``done``), or that it was stopped or failed. True if stored.

        Args:
            turn_id: the turn.
            answer: the answer (None when stopped or failed).
            status: the outcome.
            only_pending: leave a turn alone that is no longer pending (an answer that arrives
                after the user pressed stop does not overwrite the stop).
        """
        now = _now()
        guard = " AND status = 'pending'" if only_pending else ""
        with self._db() as db:
            cur = db.execute(
                f"UPDATE turns SET answer = ?, status = ?, updated_at = ? WHERE id = ?{guard}",
                (answer.model_dump_json() if answer else None, status, now, turn_id),
            )
        return cur.rowcount > 0

    def reset_turn(self, turn_id: str) -> None:
        """Forget a turn's answer so it is asked again (regenerate, retry)."""
        self.finish_turn(turn_id, None, "pending")

    # ------------------------------------------------------------ feedback
    def save_feedback(self, turn: Turn, conv: Conversation, rating: int, comment: str = "") -> Feedback:
        """Store (or replace) the verdict on a turn's answer, with a copy of question, history, filters and answer.

        Args:
            turn: an answered turn.
            conv: its conversation (for the earlier questions).
            rating: 1 (👍) or -1 (👎).
            comment: optional, at most MAX_COMMENT_CHARS characters.
        """
        if turn.answer is None:
            raise ValueError("turn has no answer")
        fb = Feedback(
            turn_id=turn.id,
            conversation_id=conv.id,
            rating=1 if rating > 0 else -1,
            comment=comment.strip()[:MAX_COMMENT_CHARS],
            question=turn.question,
            history=conv.history_before(turn),
            filters=turn.filters,
            answer=turn.answer,
            created_at=_now(),
        )
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    fb.turn_id, fb.conversation_id, fb.rating, fb.comment, fb.question,
                    json.dumps(fb.history, ensure_ascii=False), fb.filters.model_dump_json(),
                    fb.answer.model_dump_json(), fb.created_at,
                ),
            )  # fmt: skip
        return fb

    def feedback_for(self, turn_id: str) -> Feedback | None:
        rows = self._feedback("WHERE turn_id = ?", (turn_id,))
        return rows[0] if rows else None

    def all_feedback(self) -> list[Feedback]:
        return self._feedback("ORDER BY created_at, rowid", ())

    def _feedback(self, where: str, args: tuple) -> list[Feedback]:
        with self._db() as db:
            rows = db.execute(
                "SELECT turn_id, conversation_id, rating, comment, question, history, filters, answer, created_at "
                f"FROM feedback {where}",
                args,
            ).fetchall()
        return [
            Feedback(
                turn_id=r[0],
                conversation_id=r[1],
                rating=r[2],
                comment=r[3],
                question=r[4],
                history=json.loads(r[5]),
                filters=Filters.model_validate_json(r[6]),
                answer=Answer.model_validate_json(r[7]),
                created_at=r[8],
            )  # fmt: skip
            for r in rows
        ]


def _turn(row: tuple) -> Turn:
    return Turn(
        id=row[0],
        conversation_id=row[1],
        index=row[2],
        question=row[3],
        filters=Filters.model_validate_json(row[4]),
        answer=Answer.model_validate_json(row[5]) if row[5] else None,
        status=row[6],
    )


# ---------------------------------------------------------------- export to the gold format
def gold_drafts(
    feedback: list[Feedback], ratings: tuple[int, ...] = (1, -1)
) -> tuple[list[dict[str, Any]], int]:
    """Gold-file lines (eval/README.md) drafted from feedback, and how many were left out.

    A 👍 answer becomes a question whose sources are the answer's citations (the quote is
    the first unit a citation quotes, verbatim from the document); a 👍 on an abstention is
    an ``unanswerable`` question. A 👎 keeps the cited sources as the reviewer's starting
    point; a 👎 on an abstention has no source to offer and is left out. ``facts`` are left
    empty for the reviewer; the verdict, comment, earlier questions and answer travel in
    ``feedback`` (the gold loader ignores fields it does not know).

    Args:
        feedback: stored feedback, oldest first.
        ratings: which verdicts to export (1, -1 or both).
    """
    lines: list[dict[str, Any]] = []
    skipped = 0
    for fb in feedback:
        if fb.rating not in ratings:
            continue
        a = fb.answer
        sources = [
            {
                "file": c.fil,
                "diarienummer": c.diarienummer,
                "paragraf": c.paragraf,
                "heading": c.rubrik,
                "quote": c.text.split(" … ")[0].strip(),
            }
            for c in a.citations
            if c.fil and c.text.strip()
        ]
        if a.abstained and fb.rating > 0:
            kind, sources = "unanswerable", []
        elif not sources:
            skipped += 1
            continue
        else:
            kind = "ambiguous" if len(a.clarify) >= 2 and len(sources) >= 2 else "fact"
        kommun = fb.filters.kommun or a.resolved.get("kommun")
        lines.append(
            {
                "id": f"fb-{fb.turn_id}",
                "question": fb.question,
                "kind": kind,
                "kommun": kommun,
                "sources": sources,
                "facts": [],
                "answer": a.answer if fb.rating > 0 else "",
                "feedback": {
                    "rating": "bra" if fb.rating > 0 else "dåligt",
                    "comment": fb.comment,
                    "history": fb.history,
                    "given_at": fb.created_at,
                    "assistant_answer": a.answer,
                },
            }
        )
    return lines, skipped


def write_gold_draft(path: Path, lines: list[dict[str, Any]]) -> None:
    """One JSON object per line, UTF-8 (the gold file format)."""
    Path(path).write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
