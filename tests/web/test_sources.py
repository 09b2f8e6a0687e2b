"""Source viewer (highlighted passage) and original downloads, including XSS and path traversal."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

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
    # a citation quotes its units one by one (" … "); the first highlighted span is the first unit
    first = bokslut.text.split(" … ")[0]
    assert " ".join(mark.group(1).split()) == " ".join(str(escape(first)).split())
    view = assistant.section(bokslut.section_id)
    assert view.document.kommun in html and f"/filer/{view.document.id}" in html


def test_section_fragment_for_the_side_panel(client, bokslut):
    response = client.get(
        f"/sektion/{bokslut.section_id}", params={"markera": bokslut.text}, headers={"HX-Request": "true"}
    )
    assert "<html" not in response.text and "<mark" in response.text


def test_quote_not_found_shows_the_whole_section_with_a_notice(client, bokslut):
    html = client.get(
        f"/sektion/{bokslut.section_id}", params={"markera": "ordet som inte finns någonstans"}
    ).text
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
    section = fresh.sections(doc_id)[-1]
    viewer = fresh_client.get(f"/sektion/{section.id}", params={"markera": "beslutar att <script>"}).text
    pages = [viewer, fresh_client.get(f"/dokument/{doc_id}").text, fresh_client.get("/admin").text]
    for html in pages:
        assert "<script>alert" not in html
    assert (
        '<mark id="markerat" tabindex="-1">beslutar att &lt;script&gt;</mark>alert(2)&lt;/script&gt;'
        in viewer
    )
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in viewer
    api = fresh_client.get(f"/api/sections/{section.id}").json()
    assert "<script>alert(2)</script>" in api["section"]["text"]


def test_page_number_is_where_the_quote_lies(fresh, fresh_client, tmp_path):
    import pymupdf

    pdf = pymupdf.open()
    for text in (
        "Socialnämnden Protokoll 2024-03-01\n§ 5 Avgifter\nNämnden beslutar att höja avgiften.",
        "Fortsättning § 5\nBeslutet skickas till ekonomienheten och gäller från 1 maj.",
    ):
        pdf.new_page().insert_text((72, 72), text, fontsize=11)
    pdf.save(tmp_path / "protokoll.pdf")
    ingest_paths([tmp_path / "protokoll.pdf"], fresh.settings, progress=False, store=fresh.store)
    section = fresh.sections(fresh.documents()[0][0].id)[0]
    pages = {
        quote: re.search(
            r"<dt>Sida</dt><dd>(\d+)",
            fresh_client.get(f"/sektion/{section.id}", params={"markera": quote}).text,
        ).group(1)
        for quote in ("beslutar att höja avgiften", "gäller från 1 maj")
    }
    assert pages == {"beslutar att höja avgiften": "1", "gäller från 1 maj": "2"}
    assert '<th scope="col">Sida</th>' in fresh_client.get(f"/dokument/{section.document_id}").text
