"""Security headers on every route, admin closed to other machines without a token, CSRF refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import LOCAL
from web.app import create_app
from web.security import CSP, DOCS_CSP

TXT = "Socialnämnden\nProtokoll 2024-03-01\n\n§ 5 Avgifter\n\nNämnden beslutar att godkänna avgifterna.\n"
EXPECTED = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _routes(app) -> list[str]:
    return [path for path, ops in app.openapi()["paths"].items() if "get" in ops] + ["/docs", "/openapi.json"]


def test_every_get_route_has_the_security_headers(fresh, fresh_client):
    """Each GET route of the app (with dummy path parameters: errors count too), static files and 404s."""
    paths = [p.replace("{section_id}", "x-s0").replace("{doc_id}", "0" * 16).replace("{dnr}", "SN.2024.1")
             for p in _routes(fresh_client.app)]
    paths += ["/static/app.css", "/static/app.js", "/finns-inte", "/api/finns-inte", "/fraga/strom?fraga=hej"]
    assert "/" in paths and "/admin" in paths and len(paths) > 12
    for path in paths:
        response = fresh_client.get(path)
        for name, value in EXPECTED.items():
            if path == "/docs" and name == "content-security-policy":
                value = DOCS_CSP  # Swagger UI's CDN scripts; still no framing
            assert response.headers.get(name) == value, (path, name, response.status_code)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "server" not in response.headers, path


def test_post_and_error_responses_have_the_headers_too(fresh_client):
    for response in (
        fresh_client.post("/api/ask", json={"question": ""}),
        fresh_client.post("/fraga", data={"fraga": ""}),
    ):
        assert response.status_code == 422
        assert response.headers["x-content-type-options"] == "nosniff"


def test_csp_allows_no_inline_script_or_style_and_pages_need_none(fresh_client):
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP
    html = fresh_client.get("/").text
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert '"includeIndicatorStyles":false' in html  # htmx would inject a <style> the CSP blocks


@pytest.mark.parametrize("address", [("192.168.1.20", 50000), ("10.0.0.5", 1234), ("testclient", 1)])
@pytest.mark.parametrize("method, path", [("get", "/admin"), ("post", "/admin/ladda-upp")])
def test_admin_without_token_is_refused_from_another_machine(fresh, address, method, path):
    client = TestClient(create_app(assistant=fresh), client=address)
    kwargs = {"files": [("filer", ("a.txt", TXT.encode(), "text/plain"))]} if method == "post" else {}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 403 and "ASSISTENT_WEB_ADMIN_TOKEN" in response.text
    assert fresh.documents() == []


def test_admin_without_token_through_a_proxy_is_refused_even_from_loopback(fresh):
    client = TestClient(create_app(assistant=fresh), client=LOCAL)
    assert client.get("/admin").status_code == 200
    assert client.get("/admin", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get("/admin", headers={"Forwarded": "for=203.0.113.9"}).status_code == 403


@pytest.mark.parametrize("address", [("::1", 50000), ("127.0.0.1", 50000)])
def test_admin_without_token_is_open_from_loopback(fresh, address):
    assert TestClient(create_app(assistant=fresh), client=address).get("/admin").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_cross_site_upload_is_refused(fresh, fresh_client, headers):
    files = [("filer", ("a.txt", TXT.encode(), "text/plain"))]
    response = fresh_client.post("/admin/ladda-upp", files=files, headers=headers)
    assert response.status_code == 403 and "annan webbplats" in response.text
    assert fresh.documents() == []


def test_same_origin_upload_is_accepted(fresh, fresh_client):
    files = [("filer", ("a.txt", TXT.encode(), "text/plain"))]
    headers = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert fresh_client.post("/admin/ladda-upp", files=files, headers=headers).status_code == 200
    assert len(fresh.documents()) == 1


def test_access_log_never_holds_the_question(fresh):
    import logging

    create_app(assistant=fresh)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/fraga/strom?fraga=Vad+fick+Anna+Andersson", "1.1", 200), None,
    )
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    line = record.getMessage()
    assert line == '127.0.0.1:5000 - "GET /fraga/strom?… HTTP/1.1" 200' and "Anna" not in line
