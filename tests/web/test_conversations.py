"""Conversations in the chat: stored turns, a URL per conversation, the side panel, regenerate,
stop, feedback, clarification choices, and the stream's error event (a scripted core)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from assistent.conversations import ConversationStore
from grund.records import Answer, Clarification
from tests.web.conftest import CITED, LOCAL, FakeAssistant
from tests.web.test_chat import HX, events
from web.app import create_app
from web.deps import get_assistant


def ask(client: TestClient, question: str, **fields) -> tuple[str, str]:
    """Ask through htmx and let the answer stream; returns (conversation id, turn id)."""
    response = client.post("/fraga", data={"fraga": question, **fields}, headers=HX)
    assert response.status_code == 200, response.text
    conv_id = response.headers["HX-Push-Url"].removeprefix("/c/")
    turn_id = re.search(r'data-stream="/fraga/strom/([^"]+)"', response.text).group(1)
    client.get(f"/fraga/strom/{turn_id}")
    return conv_id, turn_id


def test_answer_is_stored_and_the_conversation_survives_a_restart(fake_app, fake_client, settings):
    conv_id, turn_id = ask(fake_client, "Vad beslutade nämnden om bokslutet?")
    page = fake_client.get(f"/c/{conv_id}").text
    assert "Vad beslutade nämnden om bokslutet?" in page and "Nämnden godkände bokslutet" in page
    assert "data-stream=" not in page, "an answered turn is not asked again on reload"
    # a new app over the same data directory: the server restarted
    again = create_app(assistant=fake_app.state.assistant)
    again.dependency_overrides[get_assistant] = lambda: FakeAssistant()
    restarted = TestClient(again, client=LOCAL, cookies=dict(fake_client.cookies))
    page = restarted.get(f"/c/{conv_id}").text
    assert "Nämnden godkände bokslutet" in page and f'href="/c/{conv_id}" aria-current="page"' in page
    assert ConversationStore.for_settings(settings).get(conv_id).turns[0].status == "done"


def test_side_panel_lists_only_this_browsers_conversations(fake_app, fake_client):
    first, _ = ask(fake_client, "Första frågan?")
    second, _ = ask(fake_client, "Andra frågan?")
    html = fake_client.get("/").text
    listed = re.findall(r'class="convs__link" href="/c/([^"]+)"', html)
    assert listed == [second, first], "newest first"
    stranger = TestClient(fake_app, client=LOCAL)
    assert re.findall(r'class="convs__link"', stranger.get("/").text) == []
    # a stranger with the link reads it, but cannot rename it or continue it
    assert "Första frågan?" in stranger.get(f"/c/{first}").text
    assert stranger.post(f"/c/{first}/byt-namn", data={"titel": "x"}).status_code == 403
    asked = stranger.post("/fraga", data={"fraga": "Följd?", "konversation": first}, headers=HX)
    assert asked.headers["HX-Push-Url"] != f"/c/{first}"


def test_follow_up_in_a_conversation_passes_the_earlier_questions(fake_app, fake_client):
    conv_id, _ = ask(fake_client, "Vad beslutade nämnden?")
    ask(fake_client, "Och när?", konversation=conv_id)
    assert [c["history"] for c in fake_app.fake.calls] == [[], ["Vad beslutade nämnden?"]]


def test_rename_and_delete(fake_client, settings):
    conv_id, _ = ask(fake_client, "En fråga?")
    html = fake_client.post(f"/c/{conv_id}/byt-namn", data={"titel": "  Bokslut   2023 "}, headers=HX).text
    assert ">Bokslut 2023</a>" in html
    response = fake_client.post(f"/c/{conv_id}/ta-bort", data={"aktuell": conv_id}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"
    assert ConversationStore.for_settings(settings).get(conv_id) is None
    assert fake_client.get(f"/c/{conv_id}").status_code == 404


def test_regenerate_asks_again_and_stop_is_not_overwritten(fake_app, fake_client, settings):
    conv_id, turn_id = ask(fake_client, "Bokslutet?")
    html = fake_client.post(f"/tur/{turn_id}/igen", headers=HX).text
    assert f'data-stream="/fraga/strom/{turn_id}"' in html
    fake_app.fake.answer = Answer(question="q", answer="Ett nytt svar [1].", citations=[CITED])
    fake_client.get(f"/fraga/strom/{turn_id}")
    assert "Ett nytt svar" in fake_client.get(f"/c/{conv_id}").text
    # stop: the turn says so, and an answer that arrives afterwards does not replace it
    fake_client.post(f"/tur/{turn_id}/igen", headers=HX)
    stopped = fake_client.post(f"/tur/{turn_id}/stoppa", headers=HX).text
    assert "Svaret avbröts." in stopped and "Generera igen" in stopped
    store = ConversationStore.for_settings(settings)
    assert not store.finish_turn(turn_id, fake_app.fake.answer, "done", only_pending=True)
    assert store.get_turn(turn_id).status == "stopped"


def test_failed_stream_sends_an_error_with_retry(fake_app, fake_client, settings):
    fake_app.fake.error = RuntimeError("hemlig intern detalj")
    response = fake_client.post("/fraga", data={"fraga": "Bokslutet?"}, headers=HX)
    turn_id = re.search(r'data-stream="/fraga/strom/([^"]+)"', response.text).group(1)
    stream = events(fake_client.get(f"/fraga/strom/{turn_id}").text)
    assert [n for n, _ in stream] == ["fel", "klart"]
    assert "Försök igen" in stream[0][1] and f'hx-post="/tur/{turn_id}/igen"' in stream[0][1]
    assert "hemlig" not in stream[0][1]
    assert ConversationStore.for_settings(settings).get_turn(turn_id).status == "error"


def test_feedback_is_stored_with_question_answer_and_citations(fake_client, settings):
    conv_id, first = ask(fake_client, "Bokslutet?")
    _, second = ask(fake_client, "Och beslutet?", konversation=conv_id)
    html = fake_client.post(
        f"/tur/{second}/omdome", data={"betyg": "-1", "kommentar": "Fel paragraf"}, headers=HX
    ).text
    assert (
        "Omdömet är sparat med din kommentar" in html
        and 'value="-1" class="tool tool--icon" aria-pressed="true"' in html
    )
    fb = ConversationStore.for_settings(settings).feedback_for(second)
    assert (fb.rating, fb.comment, fb.question, fb.history) == (
        -1,
        "Fel paragraf",
        "Och beslutet?",
        ["Bokslutet?"],
    )
    assert fb.answer.citations[0].paragraf == "§ 23"
    # shown again after a reload
    assert 'value="-1" class="tool tool--icon" aria-pressed="true"' in fake_client.get(f"/c/{conv_id}").text


def test_clarification_choices_re_ask_with_the_chosen_kommun(fake_app, fake_client):
    fake_app.fake.answer = Answer(
        question="Vad kostar avgiften?",
        answer="Frågan passar in på flera kommuner.",
        clarify=[
            Clarification(kommun="Gnesta kommun", line="300 kr"),
            Clarification(kommun="Solna stad", line="250 kr"),
        ],
    )
    conv_id, turn_id = ask(fake_client, "Vad kostar avgiften?")
    html = fake_client.get(f"/c/{conv_id}").text
    forms = re.findall(r'<form method="post" action="/fraga".*?</form>', html, re.S)
    choice = next(f for f in forms if "Solna stad" in f)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', choice))
    assert fields == {"fraga": "Vad kostar avgiften?", "kommun": "Solna stad", "konversation": conv_id}
    fake_app.fake.calls.clear()
    ask(fake_client, fields.pop("fraga"), **fields)
    assert fake_app.fake.calls[0]["filters"].kommun == "Solna stad"
    assert fake_app.fake.calls[0]["history"] == ["Vad kostar avgiften?"]


def test_api_answer_keeps_its_fields_and_has_clarify(fake_app, fake_client):
    fake_app.fake.answer = Answer(
        question="Vad kostar avgiften?", answer="Vilken kommun menar du?",
        clarify=[Clarification(kommun="Gnesta kommun", line="300 kr", n=1), Clarification(kommun="Solna stad", n=2)],
    )  # fmt: skip
    body = fake_client.post("/api/ask", json={"question": "Vad kostar avgiften?"}).json()
    assert {"answer", "abstained", "citations", "passages", "clarify", "resolved"} <= set(body)
    assert [c["kommun"] for c in body["clarify"]] == ["Gnesta kommun", "Solna stad"]
    assert body["clarify"][0] == {
        "kommun": "Gnesta kommun", "namnd": None, "datum": None, "paragraf": None,
        "diarienummer": None, "rubrik": None, "line": "300 kr", "n": 1,
    }  # fmt: skip


def test_api_docs_are_served_from_vendored_files(fake_client):
    html = fake_client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "cdn.jsdelivr" not in html
    assert "/static/vendor/redoc/redoc.standalone.js" in fake_client.get("/redoc").text
    script = fake_client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 500_000


def test_kallelse_items_carry_the_meeting_date():
    import datetime as dt

    from grund.records import Document
    from web.conversation_deps import shown_answer

    class Store:
        def get_document(self, doc_id):
            return Document(
                id=doc_id, fil="k.pdf", path="k.pdf", sha256="x", format="pdf", datum=dt.date(2023, 10, 3)
            )

    class Core:
        store = Store()

    item = CITED.model_copy(
        update={"dokumenttyp": "kallelse", "document_id": "d1", "datum": dt.date(2023, 9, 12)}
    )
    other = CITED.model_copy(update={"n": 2, "document_id": "d2", "dokumenttyp": "protokoll"})
    shown = shown_answer(Core(), Answer(answer="a", citations=[item, other]))
    assert shown.citations[0].datum == dt.date(2023, 10, 3), "the meeting, not the tjänsteskrivelse"
    assert shown.citations[1].datum == CITED.datum
