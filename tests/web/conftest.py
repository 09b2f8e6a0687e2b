"""Web test fixtures: TestClients over the ingested example corpus, a fresh store, or a fake core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistent.api import Assistant
from grund.prompts import CANNOT_ANSWER
from grund.records import Answer, Citation, Filters
from web.app import create_app
from web.deps import get_assistant

#: The client address of the test clients: this machine, as for an operator on the server
#: (without an admin token the admin is open only to loopback; see web/security.py).
LOCAL = ("127.0.0.1", 50000)


@pytest.fixture(scope="session")
def corpus_app(assistant):
    return create_app(assistant=assistant)


@pytest.fixture
def client(corpus_app) -> TestClient:
    """HTML/JSON client over the example corpus (no lifespan: the fixture model is already loaded)."""
    return TestClient(corpus_app, client=LOCAL)


@pytest.fixture
def fresh(settings):
    """An Assistant over an empty store of its own (uploads and odd documents go here)."""
    return Assistant(settings)


@pytest.fixture
def fresh_client(fresh) -> TestClient:
    return TestClient(create_app(assistant=fresh), client=LOCAL)


CITED = Citation(
    n=1,
    kommun="Strömsunds kommun",
    namnd="Socialnämnden",
    datum=dt.date(2024, 2, 21),
    paragraf="§ 23",
    diarienummer="VSF.2024.8",
    rubrik="Bokslut 2023",
    fil="protokoll.pdf",
    text="Socialnämnden godkänner bokslutet.",
    section_id="abc-s1",
)


class FakeAssistant:
    """A core that answers from a script, for plumbing tests (rendering, history, errors)."""

    def __init__(self, answer: Answer | None = None, error: Exception | None = None):
        self.answer = answer or Answer(
            question="q", answer="Nämnden godkände bokslutet [1].", citations=[CITED]
        )
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def ask_stream(
        self, question: str, filters: Filters | None = None, history: list[str] | None = None
    ) -> Iterator:
        self.calls.append({"question": question, "filters": filters, "history": history})
        if self.error:
            raise self.error
        for word in self.answer.answer.split(" "):
            yield "delta", word + " "
        yield "answer", self.answer

    def ask(self, question: str, filters: Filters | None = None, history: list[str] | None = None) -> Answer:
        return [v for k, v in self.ask_stream(question, filters, history) if k == "answer"][0]

    def facets(self) -> dict[str, Any]:
        return {
            "kommuner": ["Strömsunds kommun"],
            "namnder": ["Socialnämnden"],
            "dokumenttyper": ["protokoll"],
            "date_min": dt.date(2024, 1, 1),
            "date_max": dt.date(2024, 12, 31),
        }

    def documents(self) -> list:
        if self.error:
            raise self.error
        return []


ABSTAINED = Answer(question="q", answer=f"{CANNOT_ANSWER} Jag sökte i alla dokument.", abstained=True)


@pytest.fixture
def fake_app(settings):
    """An app whose core is a FakeAssistant; set ``app.fake`` attributes in the test."""
    app = create_app(assistant=Assistant(settings))
    app.fake = FakeAssistant()
    app.dependency_overrides[get_assistant] = lambda: app.fake
    return app


@pytest.fixture
def fake_client(fake_app) -> TestClient:
    return TestClient(fake_app, raise_server_exceptions=False, client=LOCAL)
