"""Personnummer are masked in every answer, passage, search result and source view, and (by
default) already in the store; settings keep them for authorised archives (grund/privacy.py,
ingest/bounds.py)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistent.api import Assistant
from grund.privacy import StreamMasker, mask_personnummer, mask_stream
from grund.prompts import PERSONNUMMER_MASK
from grund.records import Answer, Citation
from ingest.pipeline import ingest_paths
from tests.ingest.test_store import write

PNR = "19811218-9876"
DOC = (
    "Socialnämnden\nProtokoll 2024-03-01\n\n§ 5 Bistånd\n\n"
    f"Socialnämnden beviljar Anna Andersson ({PNR}) bistånd i form av hemtjänst. "
    "Hennes make, 811218+9876 enligt ansökan, och dottern 8112189876 informeras.\n"
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("19811218-9876", True),
        ("811218-9876", True),
        ("811218+9876", True),  # over 100 years old
        ("8112189876", True),
        ("198112189876", True),
        ("811261-1002", True),  # samordningsnummer: day + 60
        ("19850101-1234", True),  # the full form with a real date, even with a wrong check digit
        ("850101-1234", False),  # short form with a wrong check digit: could be anything
        ("212000-2411", False),  # a kommun's organisationsnummer (month 20)
        ("SN.2024.1234", False),
        ("Dnr 2024-000123", False),
        ("070-123 45 67", False),
        ("2024-01-01", False),
        ("811232-9876", False),  # day 32
    ],
)
def test_what_is_masked(text, masked):
    out = mask_personnummer(f"Uppgift: {text}.")
    assert (out == f"Uppgift: {PERSONNUMMER_MASK}.") is masked, out


def test_a_number_split_over_streamed_pieces_never_shows():
    pieces = ["Beviljas Anna (1981", "12", "18-98", "76) och ", "8112189876", " samt 3 500 kr."]
    masker = StreamMasker()
    out = [masker.feed(p) for p in pieces] + [masker.flush()]
    assert "".join(out) == f"Beviljas Anna ({PERSONNUMMER_MASK}) och {PERSONNUMMER_MASK} samt 3 500 kr."
    assert not any("98" in o or "1981" in o for o in out)
    answer = Answer(answer=f"Anna {PNR} [1].", citations=[Citation(text=f"Anna {PNR}", section_id="d-s1")])
    events = list(mask_stream(iter([("delta", "Anna 1981121"), ("delta", "8-9876 [1]."), ("answer", answer)])))
    assert "".join(v for k, v in events if k == "delta") == f"Anna {PERSONNUMMER_MASK} [1]."
    final = events[-1][1]
    assert PNR not in final.model_dump_json() and final.citations[0].section_id == "d-s1"


@pytest.fixture
def pnr_assistant(tmp_path, settings, embedder):
    write(tmp_path / "in", "bistand.txt", DOC)
    assert ingest_paths([tmp_path / "in"], settings, progress=False).ok
    return Assistant(settings)


def _digits_shown(text: str) -> bool:
    return any(p in text for p in (PNR, "811218+9876", "8112189876", "9876"))


@pytest.mark.slow
def test_personnummer_masked_in_answers_passages_search_and_source_view(pnr_assistant):
    a = pnr_assistant
    result = a.search("bistånd hemtjänst Anna Andersson")
    assert result.passages and not _digits_shown(result.model_dump_json())
    assert PERSONNUMMER_MASK in result.passages[0].text
    answer = a.ask("Vad beviljade socialnämnden Anna Andersson?")
    assert not _digits_shown(answer.model_dump_json())
    section_id = result.passages[0].section_id
    view = a.section(section_id)
    assert not _digits_shown(view.section.text + "".join(c.text for c in view.chunks))
    assert PERSONNUMMER_MASK in view.section.text

    from tests.web.conftest import LOCAL
    from web.app import create_app

    client = TestClient(create_app(assistant=a), client=LOCAL)
    for path in (f"/sektion/{section_id}", f"/api/sections/{section_id}", "/sok?q=bistånd+hemtjänst"):
        page = client.get(path)
        assert page.status_code == 200 and not _digits_shown(page.text), path
    streamed = client.get("/fraga/strom", params={"fraga": "Vad beviljade socialnämnden Anna Andersson?"}).text
    assert "klart" in streamed and not _digits_shown(streamed)
    api = client.post("/api/ask", json={"question": "Vad beviljade socialnämnden Anna Andersson?"})
    assert api.status_code == 200 and not _digits_shown(json.dumps(api.json()))
    # the store itself never held the number (privacy.mask_at_ingest defaults to true)
    assert not _digits_shown(a.store.get_section(section_id).text)


@pytest.mark.slow
def test_masking_can_be_turned_off_for_authorised_use(tmp_path, settings, embedder, monkeypatch):
    monkeypatch.setattr(settings.privacy, "mask_at_ingest", False)
    write(tmp_path / "in", "bistand.txt", DOC)
    assert ingest_paths([tmp_path / "in"], settings, progress=False).ok
    assistant = Assistant(settings)
    assert PERSONNUMMER_MASK in assistant.search("bistånd hemtjänst Anna Andersson").passages[0].text
    assistant.settings.privacy.mask_personnummer = False
    result = assistant.search("bistånd hemtjänst Anna Andersson")
    assert PNR in result.passages[0].text
    monkeypatch.setenv("ASSISTENT_PRIVACY_MASK_PERSONNUMMER", "false")
    from grund.settings import Settings

    assert Settings().privacy.mask_personnummer is False
