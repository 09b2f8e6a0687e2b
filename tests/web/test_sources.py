"""Source viewer (highlighted passage) and original downloads, including XSS and path traversal."""

from __future__ import annotations

import re

import pytest

from ingest.pipeline import ingest_paths


@pytest.fixture(scope="module")
def bokslut(assistant):
    """The section behind the answer to the bokslut question, and the quote the answer cites."""
    answer = assistant.ask("Vad beslutade socialnämnden i Strömsund om bokslutet för 2023?")
    citation = answer.citations[0]
    return citation


def test_section_page_highlights_the_cited_passage(client, assistant, bokslut):
    response = client.get(f"/sektion/{bokslut.section_id}", params={"markera": bokslut.text})
    assert response.status_code == 200
    html = response.text
    mark = re.search(r'<mark id="markerat" tabindex="-1">(.*?)</mark>', html, re.S)
    assert mark, "the quote is highlighted"
    first_words = bokslut.text.split()[:3]
    assert " ".join(mark.group(1).split()[:3]) == " ".join(first_words).replace("&", "&amp;")
    view = assistant.section(bokslut.section_id)
    assert view.document.kommun in html and f"/filer/{view.document.id}" in html
    assert re.search(r"<dt>Sida</dt><dd>\d+", html)


def test_section_fragment_for_the_side_panel(client, bokslut):
    response = client.get(f"/sektion/{bokslut.section_id}", params={"markera": bokslut.text}, headers={"HX-Request": "true"})
    assert "<html" not in response.text and "<mark" in response.text


def test_quote_not_found_shows_the_whole_section_with_a_notice(client, bokslut):
    html = client.get(f"/sektion/{bokslut.section_id}", params={"markera": "ordet som inte finns någonstans"}).text
    assert "<mark" not in html and "kunde inte hittas ordagrant" in html


def test_download_serves_the_stored_original(client, assistant):
    doc = assistant.documents()[0][0]
    response = client.get(f"/filer/{doc.id}")
    assert response.status_code == 200
    assert response.content == assistant.store.original_file(doc).read_bytes()
    assert doc.fil in response.headers["content-disposition"]


@pytest.mark.parametrize(
    "path",
    [
        "/filer/..%2F..%2Fetc%2Fpasswd",
        "/filer/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/filer/../../etc/passwd",
        "/filer/..%5C..%5Cetc%5Cpasswd",
        "/filer/%2Fetc%2Fpasswd",
        "/filer/0123456789abcdef",
        "/filer/0123456789ABCDEF0",
    ],
)
def test_download_never_leaves_the_store(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "root:" not in response.text


def test_script_in_a_document_shows_as_text(fresh, fresh_client, tmp_path):
    doc = tmp_path / "protokoll.txt"
    doc.write_text(
        "Socialnämnden\nProtokoll 2024-03-01\n\n§ 5 Avgifter <script>alert('xss')</script>\n"
        "Dnr SN 2024/5\n\nNämnden beslutar att <script>alert(2)</script> godkänna avgifterna.\n",
        encoding="utf-8",
    )
    summary = ingest_paths([doc], fresh.settings, progress=False, store=fresh.store)
    assert summary.ok, summary.render()
    doc_id = fresh.documents()[0][0].id
    pages = [fresh_client.get(f"/dokument/{doc_id}").text, fresh_client.get("/admin").text]
    pages += [fresh_client.get(f"/sektion/{s.id}", params={"markera": "beslutar att <script>"}).text for s in fresh.sections(doc_id)]
    for html in pages:
        assert "<script>alert" not in html
    assert any("&lt;script&gt;alert(2)&lt;/script&gt;" in html for html in pages)
    assert any("<mark" in html and "&lt;script&gt;" in html for html in pages)
    api = fresh_client.get(f"/api/sections/{fresh.sections(doc_id)[-1].id}").json()
    assert "<script>alert(2)</script>" in api["section"]["text"]
