"""The chat: page, form (full page without JavaScript, fragment for htmx), answer stream."""

from __future__ import annotations

import re

import pytest

from grund.errors import ModelError, QuestionError
from grund.prompts import CANNOT_ANSWER
from grund.records import Filters
from tests.web.conftest import ABSTAINED

HX = {"HX-Request": "true"}
CHIP = re.compile(r'class="chip"[^>]*>\s*<span class="chip__n">1</span>([^<]+)</a>')
QUESTION = "Vad beslutade socialnämnden i Strömsund om bokslutet för 2023?"


def events(body: str) -> list[tuple[str, str]]:
    """Parse a text/event-stream body into (event, data) pairs."""
    out = []
    for block in body.strip().split("\n\n"):
        lines = block.split("\n")
        name = lines[0].removeprefix("event: ")
        out.append((name, "\n".join(line.removeprefix("data: ") for line in lines[1:])))
    return out


def test_chat_page_has_form_filters_and_new_conversation(client, assistant):
    html = client.get("/").text
    assert '<label for="fraga"' in html and 'name="fraga"' in html
    for kommun in assistant.facets()["kommuner"]:
        assert f"<option >{kommun}</option>" in html
    assert 'id="ny-konversation"' in html and 'href="/"' in html
    assert 'name="historik"' not in html


def test_plain_post_answers_and_lands_on_the_conversation(client):
    response = client.post("/fraga", data={"fraga": QUESTION})
    assert response.status_code == 200 and re.fullmatch(r"/c/[A-Za-z0-9_-]{12}", response.url.path)
    html = response.text
    assert html.startswith("<!doctype html>")
    assert "Strömsunds kommun · Socialnämnden · " in html
    assert CHIP.search(html), "the answer has citation chips"
    conv_id = response.url.path.removeprefix("/c/")
    assert f'<input type="hidden" name="konversation" value="{conv_id}">' in html
    assert f'href="/c/{conv_id}" aria-current="page"' in html, "listed in the side panel"


def test_htmx_post_returns_streaming_turn_and_conversation(fake_client):
    response = fake_client.post("/fraga", data={"fraga": "Bokslutet?", "kommun": "Gnesta kommun"}, headers=HX)
    html = response.text
    assert "<html" not in html
    conv_id = response.headers["HX-Push-Url"].removeprefix("/c/")
    turn_id = re.search(r'data-stream="/fraga/strom/([^"]+)"', html).group(1)
    hidden = re.search(r'<div id="historik" hx-swap-oob="true">(.*?)</div>', html, re.S).group(1)
    assert re.findall(r'name="konversation" value="([^"]+)"', hidden) == [conv_id]
    assert 'id="konversationer" class="convs__list" hx-swap-oob="true"' in html and "Bokslutet?" in html
    assert "Avgränsat till Gnesta kommun" in html
    stream = events(fake_client.get(f"/fraga/strom/{turn_id}").text)
    assert [n for n, _ in stream][-2:] == ["svar", "klart"]


def test_stream_sends_deltas_then_answer_then_done(client):
    response = client.get("/fraga/strom", params={"fraga": QUESTION})
    assert response.headers["content-type"].startswith("text/event-stream")
    names = [name for name, _ in events(response.text)]
    assert names[-2:] == ["svar", "klart"] and set(names[:-2]) == {"delta"} and len(names) > 3
    final = dict(events(response.text))["svar"]
    assert CHIP.search(final) and "Socialnämnden" in final


@pytest.mark.parametrize("via", ["form", "stream"])
def test_follow_up_sends_history_and_filters_to_the_core(fake_app, fake_client, via):
    fields = {"fraga": "Och 2024?", "kommun": "Strömsunds kommun", "fran": "2024-01-01", "till": ""}
    if via == "form":  # the conversation's earlier question is the history
        first = fake_client.post("/fraga", data={"fraga": "Vad kostade det 2023?"})
        fake_app.fake.calls.clear()
        fake_client.post("/fraga", data={**fields, "konversation": first.url.path.removeprefix("/c/")})
    else:  # the stateless stream takes the history from the query
        fake_client.get("/fraga/strom", params={**fields, "historik": ["Vad kostade det 2023?", ""]})
    assert fake_app.fake.calls == [
        {
            "question": "Och 2024?",
            "history": ["Vad kostade det 2023?"],
            "filters": Filters(kommun="Strömsunds kommun", date_from="2024-01-01"),
        }
    ]


def test_chip_label_and_link_to_highlighted_source(fake_client):
    html = fake_client.post("/fraga", data={"fraga": "Bokslutet?"}).text
    assert (
        CHIP.search(html).group(1).strip()
        == "Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8"
    )
    assert 'href="/sektion/abc-s1?markera=Socialn%C3%A4mnden+godk%C3%A4nner+bokslutet.#markerat"' in html


@pytest.mark.parametrize("via", ["form", "stream"])
def test_abstention_looks_different(fake_app, fake_client, via):
    fake_app.fake.answer = ABSTAINED
    if via == "form":
        html = fake_client.post("/fraga", data={"fraga": "Vad kostar en resa till Mars?"}).text
    else:
        html = dict(events(fake_client.get("/fraga/strom", params={"fraga": "Mars?"}).text))["svar"]
    assert 'class="answer answer--abstained"' in html
    assert "Inget säkert svar i dokumenten" in html and CANNOT_ANSWER in html


def test_real_abstention_for_question_outside_the_corpus(client):
    html = client.post("/fraga", data={"fraga": "Vilken färg har bussarna i Kiruna kommun?"}).text
    assert "answer--abstained" in html and CANNOT_ANSWER in html


def test_answer_without_abstention_is_plain(fake_client):
    html = fake_client.post("/fraga", data={"fraga": "Bokslutet?"}).text
    assert 'class="answer"' in html and "answer--abstained" not in html


@pytest.mark.parametrize(
    "error, status, text",
    [
        (QuestionError("Frågan är tom."), 422, "Frågan är tom."),
        (ModelError("Språkmodellen svarar inte."), 503, "Språkmodellen svarar inte."),
        (RuntimeError("hemlig intern detalj"), 500, "Ett oväntat fel inträffade."),
    ],
)
def test_errors_while_streaming_become_an_error_fragment(fake_app, fake_client, error, status, text):
    fake_app.fake.error = error
    stream = events(fake_client.get("/fraga/strom", params={"fraga": "Bokslutet?"}).text)
    assert [n for n, _ in stream] == ["svar", "klart"]
    assert 'role="alert"' in stream[0][1] and text in stream[0][1] and "hemlig" not in stream[0][1]


@pytest.mark.parametrize(
    "data, headers",
    [
        ({"fraga": ""}, {}),
        ({"fraga": "   "}, {}),
        ({"fraga": "x" * 1001}, {}),
        ({}, HX),
        ({"fraga": "a", "fran": "igår"}, {}),
    ],
)
def test_invalid_question_gives_friendly_422(fake_client, data, headers):
    response = fake_client.post("/fraga", data=data, headers=headers)
    assert response.status_code == 422
    assert "Kontrollera" in response.text
    assert ("<html" in response.text) == (not headers)


def test_question_text_is_escaped_in_the_turn(fake_client):
    html = fake_client.post("/fraga", data={"fraga": "<script>alert(1)</script>"}, headers=HX).text
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
