"""The JSON API: the records of the public contract, validation, status codes, OpenAPI."""

from __future__ import annotations

import pytest

from grund.records import Answer, Citation, Passage

QUESTION = "Vad beslutade socialnämnden i Strömsund om bokslutet för 2023?"


def test_api_ask_returns_the_answer_contract(client):
    response = client.post(
        "/api/ask", json={"question": QUESTION, "filters": {"kommun": "Strömsunds kommun"}}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(Answer.model_fields) == set(body)
    answer = Answer.model_validate(body)
    assert not answer.abstained and answer.citations
    assert set(Citation.model_fields) == set(body["citations"][0])
    assert all(c.kommun == "Strömsunds kommun" for c in answer.citations)


def test_api_ask_passes_history(fake_app, fake_client):
    fake_client.post("/api/ask", json={"question": "Och 2024?", "history": ["Bokslutet 2023?"]})
    assert fake_app.fake.calls[0]["history"] == ["Bokslutet 2023?"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "x" * 1001}, "question"),
        ({"question": "a", "filters": {"date_from": "igår"}}, "date_from"),
        ({"question": "a", "history": "inte en lista"}, "history"),
    ],
)
def test_api_ask_validates_the_body(fake_client, body, field):
    response = fake_client.post("/api/ask", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["detail"].startswith("Kontrollera") and payload["errors"][0]["loc"][-1] == field


def test_api_ask_rejects_non_json(fake_client):
    response = fake_client.post(
        "/api/ask", content=b"fraga=hej", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 422


def test_api_search_returns_passages(client):
    response = client.get("/api/search", params={"q": "bokslut", "k": 3, "kommun": "Strömsunds kommun"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "bokslut" and 0 < len(body["passages"]) <= 3
    assert set(Passage.model_fields) == set(body["passages"][0])
    assert {p["kommun"] for p in body["passages"]} == {"Strömsunds kommun"}


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "a", "k": 0}, {"q": "a", "k": 101}, {"q": "a", "date_from": "x"}]
)
def test_api_search_validates_parameters(fake_client, params):
    assert fake_client.get("/api/search", params=params).status_code == 422


def test_api_documents(client, assistant):
    body = client.get("/api/documents").json()
    assert [d["document"]["id"] for d in body] == [d.id for d, *_ in assistant.documents()]
    assert all(d["n_sections"] > 0 and d["n_chunks"] > 0 for d in body)


def test_api_section(client, assistant):
    doc = assistant.documents()[0][0]
    section = assistant.sections(doc.id)[0]
    body = client.get(f"/api/sections/{section.id}").json()
    assert body["section"]["id"] == section.id and body["document"]["id"] == doc.id
    assert [c["section_id"] for c in body["chunks"]] == [section.id] * len(body["chunks"])


def test_api_section_not_found(client):
    response = client.get("/api/sections/finns-inte")
    assert response.status_code == 404 and "finns inte" in response.json()["detail"]


def test_healthz(client, assistant):
    assert client.get("/healthz").json() == {"status": "ok", "documents": len(assistant.documents())}


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/ask", "/api/search", "/api/documents", "/api/sections/{section_id}", "/healthz"):
        assert path in spec["paths"]
    assert "AskRequest" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    "params", [{"q": "a" * 1001}, {"q": "avgift", "k": -5}, {"q": "avgift", "k": 101}]
)
def test_api_search_uses_the_same_bounds_as_cli_and_python(fake_client, params):
    from assistent.limits import MAX_K, MAX_QUESTION_CHARS

    assert (MAX_QUESTION_CHARS, MAX_K) == (1000, 100)
    assert fake_client.get("/api/search", params=params).status_code == 422


def test_api_ask_refuses_a_megabyte_question(fake_client):
    response = fake_client.post("/api/ask", json={"question": "avgift " * 150_000})
    assert response.status_code in (413, 422)
