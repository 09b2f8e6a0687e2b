"""Jinja2 templates and the few filters they need (labels, links, highlighting).

Everything is autoescaped; the filters that return Markup escape their input first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from grund.prompts import MAYBE_RELEVANT
from grund.records import DOCTYPE_LABELS, Answer, Passage, citation_label

TEMPLATES = Path(__file__).resolve().parent / "templates"

_REF = re.compile(r"\[(\d{1,2})\]")
_ELLIPSIS = re.compile(r"…|\.\.\.")
#: The plain-text answer ends with a "Källor:" list for the CLI; the page shows chips instead.
_SOURCES_TRAILER = re.compile(r"\n+Källor:\n.*\Z", re.S)
_BULLET = re.compile(r"[-•*]\s+")
_NUMBERED = re.compile(r"\d{1,2}[.)]\s+")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
#: Section parts as shown when two chips would otherwise read the same.
PART_LABELS = {
    "arende": "ärendet",
    "forslag": "förslag",
    "yrkande": "yrkande",
    "beslut": "beslut",
    "skickas_till": "skickas till",
}


def chip_label(p: Passage) -> str:
    """A citation's label, or its heading or file when it has no kommun, nämnd, date, § or dnr."""
    return citation_label(p) or p.rubrik or p.fil


def source_url(p: Passage) -> str | None:
    """Link to the source viewer with the quoted text highlighted, or None without a section."""
    if not p.section_id:
        return None
    query = urlencode({"markera": p.text[:600]}) if p.text else ""
    return f"/sektion/{p.section_id}" + (f"?{query}" if query else "") + "#markerat"


def citation_labels(citations: Sequence[Passage]) -> dict[int, str]:
    """Chip label per citation number, unique within one answer: two citations of one §
    get their page, then their part (beslut, förslag …), then their heading, then a number."""
    labels = {c.n: chip_label(c) for c in citations}  # type: ignore[attr-defined]
    extras: list[Callable[[Passage], str | None]] = [
        lambda c: f"s. {c.sida}" if c.sida else None,
        lambda c: PART_LABELS.get(c.part or ""),
        lambda c: c.rubrik,
    ]
    for extra in extras:
        groups: dict[str, list[Passage]] = {}
        for c in citations:
            groups.setdefault(labels[c.n], []).append(c)  # type: ignore[attr-defined]
        for group in groups.values():
            # an extra is added only where it tells the chips of a group apart
            if len(group) > 1 and len({extra(c) for c in group}) > 1:
                for c in group:
                    if more := extra(c):
                        labels[c.n] = f"{labels[c.n]} · {more}"  # type: ignore[attr-defined]
    seen: Counter[str] = Counter()
    for c in citations:
        n = c.n  # type: ignore[attr-defined]
        seen[labels[n]] += 1
        if seen[labels[n]] > 1:
            labels[n] = f"{labels[n]} ({seen[labels[n]]})"
    return labels


def _ref_link(n: str, url: str) -> str:
    # hx-get opens the source in the chat's side panel; href is the same page without JavaScript.
    return f'<a class="ref" href="{escape(url)}" hx-get="{escape(url)}" hx-target="#kalla" aria-label="Källa {n}">[{n}]</a>'


def _inline(text: str, urls: dict[int, str | None]) -> str:
    """One line: escaped, then [n] → link, **x** → <strong>, *x* → <em> (no other markup ever)."""
    html = str(escape(text))

    def link(m: re.Match) -> str:
        url = urls.get(int(m.group(1)))
        return _ref_link(m.group(1), url) if url else m.group(0)

    html = _REF.sub(link, html)
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    return _EM.sub(r"<em>\1</em>", html)


def answer_html(answer: Answer) -> Markup:
    """The answer text as safe HTML: escaped first, then paragraphs, "- " and "1. " lists,
    **bold** and *emphasis*, each [n] a link to citation n's source, and the items under
    "Kanske relevant:" links to the passages they name. Nothing from a document becomes markup."""
    urls = {c.n: source_url(c) for c in answer.citations}
    text = _SOURCES_TRAILER.sub("", answer.answer) if answer.citations else answer.answer
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""
    maybe = False  # inside the "Kanske relevant:" list of an abstention
    n_maybe = 0

    def close_para() -> None:
        if para:
            out.append("<p>" + "<br>".join(para) + "</p>")
            para.clear()

    def close_list() -> None:
        nonlocal list_tag
        if items:
            out.append(f"<{list_tag}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for raw in text.split("\n"):
        line = raw.strip()
        bullet = _BULLET.match(line)
        number = None if bullet else _NUMBERED.match(line)
        if bullet or number:
            close_para()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                close_list()
            list_tag = tag
            body = line[(bullet or number).end() :]  # type: ignore[union-attr]
            item = _inline(body, urls)
            if maybe and n_maybe < len(answer.passages) and (url := source_url(answer.passages[n_maybe])):
                item = f'<a href="{escape(url)}" hx-get="{escape(url)}" hx-target="#kalla">{item}</a>'
            n_maybe += maybe
            items.append(item)
            continue
        close_list()
        if not line:
            close_para()
            continue
        maybe = line == MAYBE_RELEVANT
        n_maybe = 0
        para.append(_inline(line, urls))
    close_para()
    close_list()
    return Markup("".join(out))


def copy_text(answer: Answer) -> str:
    """The answer as plain text with its citations, for the copy button (what the CLI prints)."""
    if not answer.citations or _SOURCES_TRAILER.search(answer.answer):
        return answer.answer
    labels = citation_labels(answer.citations)
    lines = [
        f"[{c.n}] {labels[c.n]}" + (f" – {c.rubrik}" if c.rubrik and c.rubrik not in labels[c.n] else "")
        for c in answer.citations
    ]
    return answer.answer.rstrip() + "\n\nKällor:\n" + "\n".join(lines)


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
        citation_label=chip_label,
        source_url=source_url,
        answer_html=answer_html,
        citation_labels=citation_labels,
        copy_text=copy_text,
        datum=datum,
        doctype=doctype,
    )
    templates.env.globals["doctype_labels"] = DOCTYPE_LABELS
    return templates


templates = make_templates()
