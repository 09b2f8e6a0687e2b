"""Jinja2 templates and the few filters they need (labels, links, highlighting).

Everything is autoescaped; the filters that return Markup escape their input first.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from assistent.records import DOCTYPE_LABELS, Answer, Passage

TEMPLATES = Path(__file__).resolve().parent / "templates"

_REF = re.compile(r"\[(\d{1,2})\]")
_ELLIPSIS = re.compile(r"…|\.\.\.")
#: The plain-text answer ends with a "Källor:" list for the CLI; the page shows chips instead.
_SOURCES_TRAILER = re.compile(r"\n+Källor:\n.*\Z", re.S)


def citation_label(p: Passage) -> str:
    """'Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8' (missing parts left out)."""
    parts = [p.kommun, p.namnd, p.datum.isoformat() if p.datum else None, p.paragraf, p.diarienummer]
    label = " · ".join(x for x in parts if x)
    return label or p.rubrik or p.fil


def source_url(p: Passage) -> str | None:
    """Link to the source viewer with the quoted text highlighted, or None without a section."""
    if not p.section_id:
        return None
    query = urlencode({"markera": p.text[:600]}) if p.text else ""
    return f"/sektion/{p.section_id}" + (f"?{query}" if query else "") + "#markerat"


def answer_html(answer: Answer) -> Markup:
    """The answer text, escaped, with each [n] turned into a link to citation n's source."""
    urls = {c.n: source_url(c) for c in answer.citations}

    def link(m: re.Match) -> str:
        url = urls.get(int(m.group(1)))
        if not url:
            return m.group(0)
        # hx-get opens the source in the chat's side panel; href is the same page without JavaScript.
        return (
            f'<a class="ref" href="{escape(url)}" hx-get="{escape(url)}" hx-target="#kalla" '
            f'aria-label="Källa {m.group(1)}">[{m.group(1)}]</a>'
        )

    text = _SOURCES_TRAILER.sub("", answer.answer) if answer.citations else answer.answer
    return Markup(_REF.sub(link, str(escape(text))))


def locate(text: str, quote: str) -> list[tuple[int, int]]:
    """Character spans of the quote in text, tolerant of whitespace, case and '…' gaps.

    Args:
        text: the section text.
        quote: the cited sentence(s); pieces separated by '…' are located one by one.
    """
    spans: list[tuple[int, int]] = []
    for piece in _ELLIPSIS.split(quote):
        words = piece.strip(" \n\t\"'”“«»").split()
        if len(" ".join(words)) < 3:
            continue
        m = _find(text, words)
        if m is None:
            # A quote composed of several units (a label read with its value, sentences from
            # two lines) is found sentence by sentence; a leading label may stand elsewhere.
            for sentence in _SENTENCE_END.split(" ".join(words)):
                sw = sentence.split()
                found = next((f for k in range(3) if len(sw) - k >= 3 and (f := _find(text, sw[k:]))), None)
                if found and not any(s < found.end() and found.start() < e for s, e in spans):
                    spans.append(found.span())
            continue
        if not any(s < m.end() and m.start() < e for s, e in spans):
            spans.append(m.span())
    return sorted(spans)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])")


def _find(text: str, words: list[str]) -> re.Match[str] | None:
    pattern = r"\s+".join(re.escape(w) for w in words)
    # Exact case first: "Socialnämnden tar del…" is the beslut, "socialnämnden tar del…" the förslag.
    return re.search(pattern, text) or re.search(pattern, text, flags=re.IGNORECASE)


def highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Escape the whole text, then wrap each span in <mark>; the first one gets id="markerat"."""
    out: list[str] = []
    pos = 0
    for i, (start, end) in enumerate(spans):
        anchor = ' id="markerat" tabindex="-1"' if i == 0 else ""
        out += [str(escape(text[pos:start])), f"<mark{anchor}>", str(escape(text[start:end])), "</mark>"]
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def datum(value: dt.date | None) -> str:
    return value.isoformat() if value else "–"


def doctype(value: str | None) -> str:
    return DOCTYPE_LABELS.get(value or "", value or "–")


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    templates = Jinja2Templates(env=env)
    templates.env.filters.update(
        citation_label=citation_label,
        source_url=source_url,
        answer_html=answer_html,
        datum=datum,
        doctype=doctype,
    )
    templates.env.globals["doctype_labels"] = DOCTYPE_LABELS
    return templates


templates = make_templates()
