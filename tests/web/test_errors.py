"""The error contract: friendly Swedish HTML pages, htmx fragments, JSON under /api/, size limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistent.api import Assistant
from grund.errors import StoreError
from web.app import create_app


@pytest.mark.parametrize("path", ["/finns-inte", "/sektion/finns-inte", "/dokument/0000000000000000"])
def test_not_found_is_a_friendly_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Hittades inte" in response.text and "Till startsidan" in response.text


def test_not_found_for_htmx_is_a_fragment(client):
    response = client.get("/sektion/finns-inte", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text and 'role="alert"' in response.text


def test_boosted_navigation_gets_the_full_error_page(client):
    response = client.get("/finns-inte", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 404 and "<html" in response.text


@pytest.mark.parametrize("path", ["/api/finns-inte", "/api/sections/finns-inte"])
def test_not_found_under_api_is_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json()["detail"], str)


def test_wrong_method_is_405_in_swedish(client):
    response = client.put("/")
    assert response.status_code == 405 and "fel HTTP-metod" in response.text


def test_unexpected_error_is_500_without_internals(fake_app, fake_client):
    fake_app.fake.error = RuntimeError("intern hemlighet")
    for path, kind in (("/admin", "text/html"), ("/api/documents", "application/json")):
        response = fake_client.get(path)
        assert response.status_code == 500
        assert response.headers["content-type"].startswith(kind)
        assert "intern hemlighet" not in response.text and "Ett oväntat fel inträffade" in response.text


def test_user_facing_core_error_shows_its_message(fake_app, fake_client):
    fake_app.fake.error = StoreError("Arkivet är tomt.")
    response = fake_client.get("/api/documents")
    assert response.status_code == 503 and response.json() == {"detail": "Arkivet är tomt."}


@pytest.fixture
def small_limit_client(settings):
    settings.web.max_request_kb = 1
    settings.web.max_upload_mb = 0.01
    return TestClient(create_app(assistant=Assistant(settings)))


@pytest.mark.parametrize(
    "method, path, kwargs, kind",
    [
        ("post", "/fraga", {"data": {"fraga": "x" * 2000}}, "text/html"),
        ("post", "/api/ask", {"json": {"question": "x" * 2000}}, "application/json"),
        (
            "post",
            "/admin/ladda-upp",
            {"files": [("filer", ("a.txt", b"x" * 200_000, "text/plain"))]},
            "text/html",
        ),
    ],
)
def test_request_over_the_limit_is_413(small_limit_client, method, path, kwargs, kind):
    response = getattr(small_limit_client, method)(path, **kwargs)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(kind)
    assert "för stor" in response.text


def test_chunked_body_without_length_is_limited_too(small_limit_client):
    def body():
        yield b'{"question": "'
        for _ in range(40):
            yield b"x" * 100
        yield b'"}'

    response = small_limit_client.post(
        "/api/ask", content=body(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
