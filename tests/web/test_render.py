"""Labels, links and highlighting used by the templates."""

from __future__ import annotations

import datetime as dt

import pytest

from grund.records import Answer, Citation, Passage
from web.render import answer_html, chip_label, highlight, locate, source_url


@pytest.mark.parametrize(
    "passage, label",
    [
        (
            Passage(
                kommun="Strömsunds kommun",
                namnd="Socialnämnden",
                datum=dt.date(2024, 2, 21),
                paragraf="§ 23",
                diarienummer="VSF.2024.8",
            ),
            "Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8",
        ),
        (Passage(kommun="Gnesta kommun", diarienummer="SN.2023.69"), "Gnesta kommun · SN.2023.69"),
        (Passage(rubrik="Kontorsplan", fil="002.txt"), "Kontorsplan"),
        (Passage(fil="002.txt"), "002.txt"),
    ],
)
def test_chip_label_joins_present_parts(passage, label):
    assert chip_label(passage) == label


def test_source_url_carries_the_quote_and_anchor():
    url = source_url(Passage(section_id="abc-s3", text="Nämnden beslutar & godkänner"))
    assert url == "/sektion/abc-s3?markera=N%C3%A4mnden+beslutar+%26+godk%C3%A4nner#markerat"


def test_source_url_is_none_without_a_section():
    assert source_url(Passage(text="x")) is None


def test_answer_html_escapes_and_links_known_references():
    answer = Answer(
        answer="<script>alert(1)</script> Beslut [1], okänd [7].",
        citations=[Citation(n=1, section_id="d-s1", text="Beslut")],
    )
    html = str(answer_html(answer))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="/sektion/d-s1?markera=Beslut#markerat"' in html
    assert "okänd [7]." in html


@pytest.mark.parametrize(
    "text, quote, found",
    [
        ("Nämnden beslutar att godkänna bokslutet.", "beslutar att godkänna", ["beslutar att godkänna"]),
        (
            "Nämnden beslutar att\n  godkänna bokslutet.",
            "beslutar att godkänna",
            ["beslutar att\n  godkänna"],
        ),
        ("Nämnden BESLUTAR att godkänna.", "beslutar att", ["BESLUTAR att"]),
        (
            "Först detta. Sedan annat. Sist detta här.",
            "Först detta … Sist detta",
            ["Först detta", "Sist detta"],
        ),
        ("Nämnden beslutar.", "”Nämnden beslutar.”", ["Nämnden beslutar."]),
        ("Nämnden beslutar.", "något helt annat", []),
        ("Nämnden beslutar.", "a", []),
    ],
)
def test_locate_tolerates_whitespace_case_quotes_and_gaps(text, quote, found):
    assert [text[s:e] for s, e in locate(text, quote)] == found


def test_highlight_escapes_everything_and_marks_spans():
    text = "<b>före</b> mitt <i>efter</i> mitt"
    html = str(highlight(text, [(12, 16), (30, 34)]))
    assert html == (
        '&lt;b&gt;före&lt;/b&gt; <mark id="markerat" tabindex="-1">mitt</mark> '
        "&lt;i&gt;efter&lt;/i&gt; <mark>mitt</mark>"
    )


def test_highlight_without_spans_is_just_escaped():
    assert str(highlight("a < b", [])) == "a &lt; b"


def test_locate_finds_a_quote_composed_of_units_sentence_by_sentence():
    from web.render import locate

    text = "Au-protokoll\n§ 12 Bokslut\nOrdförande yrkar att nämnden godkänner bokslutet.\n\nBeslut\nNämnden godkänner bokslutet 2023."
    # the answer engine quotes a label with its value and two sentences as one passage
    spans = locate(
        text,
        "Au-protokoll Ordförande yrkar att nämnden godkänner bokslutet. Nämnden godkänner bokslutet 2023.",
    )
    assert [text[a:b] for a, b in spans] == [
        "Ordförande yrkar att nämnden godkänner bokslutet.",
        "Nämnden godkänner bokslutet 2023.",
    ]


def test_answer_lists_and_emphasis_render_and_document_html_stays_text():
    from grund.records import Answer, Citation
    from web.render import answer_html

    cited = Citation(n=1, kommun="K", section_id="abc-s1", text="t")
    answer = Answer(
        answer="Nämnden beslutade **två** saker [1]:\n- höjd *avgift*\n- <img src=x onerror=alert(1)> nya regler\n\nKlart.",
        citations=[cited],
    )
    html = str(answer_html(answer))
    assert "<strong>två</strong>" in html and "<li>höjd <em>avgift</em></li>" in html
    assert "<ul>" in html and "- höjd" not in html, "list lines are a list, not literal '- '"
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'aria-label="Källa 1">[1]</a>' in html and html.endswith("<p>Klart.</p>")


def test_maybe_relevant_items_link_to_their_passages():
    from grund.prompts import CANNOT_ANSWER, MAYBE_RELEVANT
    from grund.records import Answer, Passage
    from web.render import answer_html

    passages = [
        Passage(section_id="d1-s2", text="Avgiften är 300 kr."),
        Passage(section_id="d2-s5", text="Annat."),
    ]
    answer = Answer(
        answer=f"{CANNOT_ANSWER}\n\n{MAYBE_RELEVANT}\n- A · § 2\n- B · § 5", abstained=True, passages=passages
    )
    html = str(answer_html(answer))
    assert '<a href="/sektion/d1-s2?markera=Avgiften+%C3%A4r+300+kr.#markerat" hx-get=' in html
    assert 'hx-target="#kalla">B · § 5</a>' in html


def test_chip_labels_are_unique_within_an_answer():
    from grund.records import Citation
    from web.render import citation_labels

    base = {"kommun": "Gnesta kommun", "namnd": "Socialnämnden", "paragraf": "§ 5", "text": "t"}
    same_page = [Citation(n=1, sida=2, part="forslag", **base), Citation(n=2, sida=2, part="beslut", **base)]
    assert citation_labels(same_page) == {
        1: "Gnesta kommun · Socialnämnden · § 5 · förslag",
        2: "Gnesta kommun · Socialnämnden · § 5 · beslut",
    }
    pages = [Citation(n=1, sida=2, **base), Citation(n=2, sida=3, **base), Citation(n=3, sida=3, **base)]
    labels = citation_labels(pages)
    assert len(set(labels.values())) == 3 and labels[2].endswith("· s. 3") and labels[3].endswith("(2)")
