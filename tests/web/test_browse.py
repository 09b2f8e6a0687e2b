"""Browsing kommun → nämnd → documents → §-list, a case's timeline, and search."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

STROMSUND = "Strömsunds kommun"


def test_browse_lists_every_kommun(client, assistant):
    html = client.get("/bladdra").text
    for kommun in assistant.facets()["kommuner"]:
        assert f'href="/bladdra?kommun={quote(kommun)}"' in html


def test_browse_kommun_lists_its_namnder(client, assistant):
    html = client.get("/bladdra", params={"kommun": STROMSUND}).text
    namnder = {d.namnd for d, *_ in assistant.documents() if d.kommun == STROMSUND and d.namnd}
    assert namnder and all(n in html for n in namnder)
    assert "<h1>Strömsunds kommun</h1>" in html


def test_browse_namnd_lists_documents(client, assistant):
    doc = next(d for d, *_ in assistant.documents() if d.kommun == STROMSUND and d.namnd)
    html = client.get("/bladdra", params={"kommun": STROMSUND, "namnd": doc.namnd}).text
    assert f'href="/dokument/{doc.id}"' in html


def test_browse_unknown_kommun_falls_back_to_the_list(client):
    html = client.get("/bladdra", params={"kommun": "Atlantis kommun"}).text
    assert "Bläddra bland dokumenten" in html and "Atlantis" not in html


def test_document_page_lists_sections_with_rubrik_and_dnr(client, assistant):
    doc = next(d for d, *_ in assistant.documents() if d.kommun == STROMSUND and d.dokumenttyp == "protokoll")
    html = client.get(f"/dokument/{doc.id}").text
    sections = assistant.sections(doc.id)
    assert '<th scope="col">Sida</th>' not in html, "text files have no pages"
    with_dnr = [s for s in sections if s.diarienummer and s.paragraf]
    assert with_dnr
    for s in with_dnr:
        assert f'href="/sektion/{s.id}"' in html and s.paragraf in html
        assert f'href="/arende/{quote(s.diarienummer)}"' in html


def test_case_page_is_the_timeline_of_a_diarienummer(client, assistant):
    s = next(s for d, *_ in assistant.documents() for s in assistant.sections(d.id) if s.diarienummer)
    response = client.get(f"/arende/{quote(s.diarienummer)}")
    assert response.status_code == 200
    ids = re.findall(r'href="/sektion/([^"]+)"', response.text)
    assert s.id in ids
    assert ids == [sec.id for _, sec in assistant.case_timeline(s.diarienummer)]


def test_case_page_for_unknown_dnr_says_so(client):
    html = client.get("/arende/KS%202099%2F999").text
    assert "Inga avsnitt i arkivet" in html and "KS 2099/999" in html


@pytest.mark.parametrize("headers, full", [({}, True), ({"HX-Request": "true"}, False)])
def test_search_page_and_fragment(client, headers, full):
    response = client.get("/sok", params={"q": "bokslut 2023", "kommun": STROMSUND}, headers=headers)
    assert response.status_code == 200
    assert ("<html" in response.text) == full
    assert "träffar för <strong>bokslut 2023</strong>" in response.text
    assert "Strömsunds kommun · " in response.text


def test_empty_search_shows_the_form_only(client):
    html = client.get("/sok").text
    assert 'hx-push-url="true"' in html and "träffar" not in html


def test_case_page_with_an_8000_digit_dnr_is_not_found_not_a_crash(fresh_client):
    response = fresh_client.get("/arende/SN.2024." + "9" * 8000)
    assert response.status_code == 404 and "för långt" in response.text
