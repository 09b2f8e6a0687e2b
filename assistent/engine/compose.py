"""Composition: templates over ranked units. No rules keyed on phrasings.

1. choose(): the best unit, then every unit scoring at least ``share`` of it (up to
   ``max_units``); the best unit's list (the items under the sentence announcing it) and
   its continuation (the next unit when the best one ends in ":" or the next starts in
   lower case) come along, so an answer is never poorer than its best evidence.
2. render(): units grouped by section (best section first, units in reading order),
   each group one claim with its [n]; items and rows as a real list. The first claim
   opens with a template for what the question asks:
   - a decision (the question asks one, and the chosen section has a beslut or förslag
     part): "<Nämnd> beslutade den <datum> (§, dnr): ”<beslut>”";
   - a lookup (the question names a dnr or §): "<§/dnr> gäller <rubrik> (<nämnd>, <datum>).";
   - otherwise the best unit itself, which is the direct answer (the amount, the date…).
3. A "Källor:" list: kommun · nämnd · datum · § · dnr · rubrik (fil, s. N) per citation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np

from assistent.engine.features import Candidate, Prepared
from assistent.engine.rank import Compose
from grund.records import Citation, Passage, Section, citation_label
from grund.textproc import MONTHS

#: Items of one list shown at most.
MAX_LIST_ITEMS = 8
#: Words of a quoted beslut/förslag shown at most.
MAX_DECISION_WORDS = 90
_MONTH_NAMES = list(MONTHS)
#: A beslut this short that names the proposal only points to it.
POINTER_WORDS = 14
_POINTS_TO_PROPOSAL = re.compile(r"\bförslag\w*|\byrkande\w*", re.IGNORECASE)
_RULE = re.compile(r"_{4,}")
_MD_MARK = re.compile(r"(?:^|(?<=\s))#{1,6}(?=\s)")  # "### Stadsstyrelsen beviljar …" (Markdown heading marks)


def swedish_date(d: dt.date) -> str:
    """2024-02-21 → '21 februari 2024'."""
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def source_line(c: Citation) -> str:
    where = c.fil + (f", s. {c.sida}" if c.sida else "")
    rubrik = f" · {c.rubrik}" if c.rubrik else ""
    return f"[{c.n}] {citation_label(c)}{rubrik} ({where})"


@dataclass
class Composer:
    """Collects cited claims; numbers citations in order of first use."""

    lines: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def cite(self, passage: Passage, section: Section, quote: str, page: int | None = None) -> int:
        if section.id not in self._index:
            c = Citation(**passage.model_dump(), n=len(self.citations) + 1)
            c.text = quote
            c.section_id = section.id
            c.paragraf = section.paragraf or passage.paragraf
            c.diarienummer = section.diarienummer or passage.diarienummer
            c.rubrik = section.rubrik or passage.rubrik
            c.sida = page or passage.sida
            self.citations.append(c)
            self._index[section.id] = c.n
        else:
            c = self.citations[self._index[section.id] - 1]
            if quote not in c.text:
                c.text = f"{c.text} … {quote}"
        return self._index[section.id]

    def text(self) -> str:
        body = "\n".join(self.lines).strip()
        sources = "\n".join(source_line(c) for c in self.citations)
        return f"{body}\n\nKällor:\n{sources}" if sources else body


def choose(pr: Prepared, scores: np.ndarray, params: Compose) -> list[int]:
    """Indexes of the candidates that make the answer (see module docstring)."""
    if not len(scores):
        return []
    order = [int(i) for i in np.argsort(-scores)]
    best = order[0]
    chosen = [best]
    for i in order[1:]:
        if len(chosen) >= params.max_units or scores[i] < params.share * scores[best]:
            break
        if pr.candidates[i].unit.kind == "heading" and pr.candidates[i].unit.text == pr.candidates[i].section.rubrik:
            continue
        chosen.append(i)
    chosen = _with_context(pr, chosen, params.window)
    # the best passages' own best units and their neighbours (within the chunks retrieval ranked first)
    if params.passage_window >= 0:
        for rank in sorted({c.rank for c in pr.candidates})[: max(1, params.passages)]:
            own = [j for j, c in enumerate(pr.candidates) if c.rank == rank and c.unit.text[:40] in c.passage.text]
            if not own:
                continue
            b = max(own, key=lambda j: scores[j])
            pos = own.index(b)
            for j in own[max(0, pos - params.passage_window) : pos + params.passage_window + 1]:
                if j not in chosen and _quotable(pr.candidates[j]):
                    chosen.append(j)
    return chosen


def _quotable(c: Candidate) -> bool:
    """A unit that may join as context: not a heading, unless it reads as a statement of its own
    (five words or more, not the section's title): PDFs drop full stops, so "Orsaken är
    försenade leveranser" or "Mål: minskat matsvinn med 10 procent" can come out as headings."""
    if c.unit.kind != "heading":
        return True
    return len(c.unit.text.split()) >= 5 and c.unit.text != c.section.rubrik and c.unit.text not in c.section.heading_path


def _with_context(pr: Prepared, chosen: list[int], window: int) -> list[int]:
    """Add the best unit's neighbours (``window`` on each side), list items and continuation."""
    cands = pr.candidates
    out = list(chosen)
    b = cands[chosen[0]]
    same = [j for j, c in enumerate(cands) if c.section is b.section]
    pos = same.index(chosen[0])
    for j in same[max(0, pos - window) : pos + window + 1]:
        if j not in out and _quotable(cands[j]):
            out.append(j)
    nxt = cands[same[pos + 1]] if pos + 1 < len(same) else None
    announces = b.unit.text.rstrip().endswith(":")
    if nxt is not None and (announces or nxt.unit.text[:1].islower()) and same[pos + 1] not in out:
        out.append(same[pos + 1])
    lead = b.unit.text if announces else (b.unit.lead if b.unit.kind in ("item", "row") else None)
    if lead:
        items = [j for j in same if cands[j].unit.kind in ("item", "row") and cands[j].unit.lead == lead]
        out += [j for j in items[:MAX_LIST_ITEMS] if j not in out]
    return out


def _decision_text(section: Section, namnd: str | None) -> tuple[str, str] | None:
    """The section's own beslut (else its förslag), as one quoted text. A beslut that only
    points to the proposal ("Stadsstyrelsens beslut i enlighet med stadsdirektörens förslag",
    "Enligt förslag") brings the proposal's words along: they are what was decided."""
    own = (namnd or "")[:6].lower()
    texts: dict[str, str] = {}
    for kind in ("beslut", "forslag"):
        parts = [p for p in section.parts if p.kind == kind and p.text.strip()]
        if parts:
            mine = [p for p in parts if own and (p.label or "").lower().startswith(own)]
            text = _MD_MARK.sub(" ", _RULE.split((mine or parts)[0].text)[0])
            texts[kind] = " ".join(text.split())
    if not texts:
        return None
    kind = "beslut" if "beslut" in texts else "forslag"
    text = texts[kind]
    if kind == "beslut" and "forslag" in texts and len(text.split()) <= POINTER_WORDS and _POINTS_TO_PROPOSAL.search(text):
        text = f"{text} Förslaget: {texts['forslag']}"
    words = text.split()
    if len(words) > MAX_DECISION_WORDS:
        text = " ".join(words[:MAX_DECISION_WORDS]) + " …"
    return kind, text


def _when(section: Section, p: Passage) -> str:
    d = section.datum or p.datum
    return f" den {swedish_date(d)}" if d else ""


def _ref(section: Section, p: Passage) -> str:
    dnr = section.diarienummer or p.diarienummer
    shown = [b for b in (section.paragraf, f"dnr {dnr}" if dnr else None) if b]
    return f" ({', '.join(shown)})" if shown else ""


def _claim(group: list[Candidate]) -> str:
    """One section's units as text: sentences run on, items and rows as a list."""
    out: list[str] = []
    for c in group:
        if c.unit.kind in ("item", "row"):
            out.append(f"\n- {c.unit.text}")
        else:
            sep = "\n" if out and out[-1].startswith("\n-") else " "
            out.append((sep if out else "") + c.unit.text)
    return "".join(out).strip()


def render(pr: Prepared, chosen: list[int], scores: np.ndarray, templates: bool = True) -> Composer:
    """The answer text and citations from the chosen candidates (``templates=False``: the
    claims alone, without the decision and lookup openings, as an abstention shows its nearest unit)."""
    comp = Composer()
    cands = pr.candidates
    groups: dict[str, list[int]] = {}
    for i in sorted(chosen, key=lambda i: -scores[i]):
        groups.setdefault(cands[i].section.id, []).append(i)
    r = pr.retrieval
    decision = templates and (r.parsed.intent == "decision" or "decision" in pr.wants)
    lookup = templates and bool(r.exact_sections) and r.parsed.intent in ("lookup", "fact")
    for g, idx in enumerate(groups.values()):
        group = [cands[i] for i in sorted(idx, key=lambda i: cands[i].index)]
        s, p = group[0].section, group[0].passage
        page = cands[idx[0]].unit.page
        # units are quoted one by one (" … "): the source viewer highlights each where it stands
        quote = " … ".join(c.unit.text for c in group)
        n = comp.cite(p, s, quote, page)
        if g == 0 and decision and (dec := _decision_text(s, p.namnd)):
            kind, text = dec
            organ = p.namnd or "Nämnden"
            verb = "beslutade" if kind == "beslut" else "föreslås besluta"
            head = f"{organ}{' i ' + p.kommun if p.kommun else ''} {verb}{_when(s, p)}{_ref(s, p)}: ”{text}” [{n}]"
            rest = [c for c in group if c.unit.part not in ("beslut", "forslag")]
            comp.lines.append(head)
            if rest:
                comp.lines.append(f"{_claim(rest)} [{n}]")
            continue
        if g == 0 and lookup and s.id in {x.id for x in r.exact_sections}:
            what = s.paragraf or s.diarienummer or p.diarienummer
            d = s.datum or p.datum
            meta = ", ".join(b for b in (p.namnd, swedish_date(d) if d else None) if b)
            comp.lines.append(f"{what} gäller {s.rubrik or 'ärendet'}{' (' + meta + ')' if meta else ''}. [{n}]")
            dec = _decision_text(s, p.namnd)
            if dec:
                comp.lines.append(f"{'Beslut' if dec[0] == 'beslut' else 'Förslag till beslut'}: ”{dec[1]}” [{n}]")
        comp.lines.append(f"{_claim(group)} [{n}]")
    return comp
