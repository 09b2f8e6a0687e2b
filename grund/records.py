"""Typed records that flow between the pipeline stages.

file ──read──► RawDocument(pages) ──clean──► RawDocument(clean pages)
     ──segment──► ParsedDocument(Document + Sections) ──chunk──► Chunks ──embed/store──►
question ──► Query ──retrieve──► Passages ──answer──► Answer(Citations)

The section, not the chunk, is what users see and cite; chunks exist for retrieval.
Field names of ``Passage``/``Citation``/``Answer`` are a public contract (CLI --json,
HTTP API, eval): keep them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

DocType = Literal["protokoll", "kallelse", "tjansteskrivelse", "plan", "riktlinje", "rapport", "ovrigt"]
#: Swedish labels for display.
DOCTYPE_LABELS: dict[str, str] = {
    "protokoll": "Protokoll",
    "kallelse": "Kallelse/föredragningslista",
    "tjansteskrivelse": "Tjänsteskrivelse",
    "plan": "Plan/budget",
    "riktlinje": "Riktlinje/policy",
    "rapport": "Rapport/månadsbrev",
    "ovrigt": "Övrigt",
}

PageStatus = Literal["ok", "ocr", "skipped", "garbled", "empty"]
SectionKind = Literal["paragraf", "tjansteskrivelse", "dagordning", "rubrik", "text"]
PartKind = Literal["arende", "forslag", "yrkande", "beslut", "skickas_till", "ovrigt"]


# ---------------------------------------------------------------- reading
class PageText(BaseModel):
    """One page (or the whole text, for formats without pages) as read from the file."""

    page: int | None = Field(None, description="1-based page number; None for formats without pages")
    text: str = ""
    status: PageStatus = "ok"
    note: str | None = Field(None, description="why a page was skipped/flagged, in Swedish")


class RawDocument(BaseModel):
    """Text of one file, page by page, before any understanding."""

    path: str = Field(description="path as given to ingest")
    fil: str = Field(description="file name without folders")
    sha256: str
    format: Literal["pdf", "docx", "html", "txt", "md"]
    pages: list[PageText]
    title: str | None = Field(None, description="title from file metadata/HTML <title>, if any")

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages if p.text)


# ---------------------------------------------------------------- understanding
class PageIssue(BaseModel):
    page: int | None
    status: PageStatus
    note: str | None = None


MetaField = Literal["kommun", "namnd", "datum", "dokumenttyp"]


class FieldEvidence(BaseModel):
    """Where a document's metadata field was read, and how sure the reading is."""

    field: MetaField
    value: str | None = Field(None, description="the value taken (None: left empty)")
    line: str | None = Field(None, description="the line of the document it was read from")
    confidence: float = Field(0.0, description="0-1; below ingest.metadata_evidence.MIN_CONFIDENCE the field is left empty")
    flagged: bool = Field(False, description="left empty because the evidence was weak; shown by ingest --report")


class Document(BaseModel):
    id: str = Field(description="stable id: first 16 hex of the file's sha256")
    fil: str = Field(description="source file name as ingested, without folders")
    path: str = Field(description="source path as given to ingest")
    sha256: str
    format: str
    dokumenttyp: DocType = "ovrigt"
    kommun: str | None = Field(None, description="e.g. 'Strömsunds kommun'")
    namnd: str | None = Field(None, description="nämnd/organ, e.g. 'Socialnämnden'")
    datum: dt.date | None = Field(None, description="meeting date or document date")
    diarienummer: str | None = Field(None, description="the document's own dnr, display form")
    titel: str | None = None
    n_pages: int = 0
    issues: list[PageIssue] = Field(default_factory=list, description="skipped/garbled/OCR pages")
    utdrag: bool = Field(False, description="a protokollsutdrag: one or a few §§ of a larger protokoll")
    evidence: list[FieldEvidence] = Field(default_factory=list, description="how kommun/nämnd/datum/typ were read")
    parser_version: int = Field(0, description="ingest.pipeline.PARSER_VERSION that produced it")


class SectionPart(BaseModel):
    kind: PartKind
    label: str | None = Field(None, description="heading as written, e.g. 'Socialnämndens beslut'")
    text: str


class Section(BaseModel):
    """Unit of citation: a § of a protokoll, a tjänsteskrivelse, an agenda, a heading block."""

    id: str = Field(description="'<document id>-s<index>'")
    document_id: str
    index: int
    kind: SectionKind
    paragraf: str | None = Field(None, description="display form, '§ 23'")
    paragraf_nr: int | None = None
    diarienummer: str | None = Field(None, description="display form without filing code")
    dnr_norm: str | None = Field(None, description="normalised for lookup (see grund.dnr)")
    rubrik: str | None = None
    heading_path: list[str] = Field(default_factory=list, description="enclosing headings, outermost first")
    datum: dt.date | None = Field(None, description="the section's own date (tjänsteskrivelse) if any")
    parts: list[SectionPart] = Field(default_factory=list)
    text: str = Field(description="full cleaned text of the section")
    page_start: int | None = None
    page_end: int | None = None
    page_breaks: list[tuple[int, int]] = Field(
        default_factory=list, description="(char offset in text, page number) where each page starts"
    )
    injection: str | None = Field(
        None, description="sentences addressing an AI assistant with instructions (prompt injection), flagged at ingest"
    )

    def page_at(self, offset: int) -> int | None:
        page = self.page_start
        for off, p in self.page_breaks:
            if off <= offset:
                page = p
            else:
                break
        return page


UnitKind = Literal["sentence", "row", "label", "item", "heading"]


class Unit(BaseModel):
    """The smallest piece an answer is made of: a sentence, a table row read with its column
    names, a "label: value" line, a list item, a heading. Built once at ingest
    (grund.units) and stored beside the section with its own passage embedding."""

    text: str = Field(description="as shown in an answer; a table row reads 'Kolumn: värde; …'")
    kind: UnitKind = "sentence"
    part: PartKind | None = Field(None, description="the section part the unit lies in (beslut, förslag, …)")
    lead: str | None = Field(None, description="the heading above it, or the sentence announcing its list")
    page: int | None = None


class ParsedDocument(BaseModel):
    document: Document
    sections: list[Section]


class Chunk(BaseModel):
    """A piece of one section sized for the embedding model. Never spans two sections."""

    id: str = Field(description="'<section id>-c<index>'")
    section_id: str
    document_id: str
    index: int
    header: str = Field(description="context line: kommun · nämnd · datum · dnr · § · rubrik")
    text: str = Field(description="the section text this chunk covers")
    part: str | None = Field(None, description="section part kind when the chunk lies in one (beslut, ...)")
    sida: int | None = None
    # denormalised metadata for filtering (Chroma) and display
    kommun: str | None = None
    namnd: str | None = None
    datum: dt.date | None = None
    dokumenttyp: str = "ovrigt"
    diarienummer: str | None = None
    dnr_norm: str | None = None
    paragraf: str | None = None
    rubrik: str | None = None
    fil: str = ""
    injection: bool = Field(False, description="the chunk holds instruction-like text (see Section.injection)")

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text


# ---------------------------------------------------------------- answering (public contract)
class Passage(BaseModel):
    """A retrieved passage. Contract fields first; the rest are extras."""

    kommun: str | None = None
    namnd: str | None = None
    datum: dt.date | None = None
    dokumenttyp: str | None = None
    diarienummer: str | None = None
    paragraf: str | None = None
    rubrik: str | None = None
    fil: str = ""
    sida: int | None = None
    text: str = ""
    score: float = 0.0
    # extras
    chunk_id: str | None = None
    section_id: str | None = None
    document_id: str | None = None
    part: str | None = None
    warning: str | None = Field(
        None, description="set when the text addresses an AI assistant with instructions (prompt injection)"
    )


class SearchResult(BaseModel):
    """What ``Assistant.search`` returns: the query and its ranked passages."""

    query: str
    passages: list[Passage] = Field(default_factory=list)


def citation_label(p: Passage) -> str:
    """'Strömsunds kommun · Socialnämnden · 2024-02-21 · § 23 · VSF.2024.8' (missing parts left
    out; empty when the passage has none of them). The one label answers, sources and chips use."""
    bits = [p.kommun, p.namnd, p.datum.isoformat() if p.datum else None, p.paragraf, p.diarienummer]
    return " · ".join(b for b in bits if b)


class Citation(Passage):
    """What an answer points at; ``text`` is the quoted sentence(s)."""

    n: int = Field(1, description="the [n] used in the answer text")


class Clarification(BaseModel):
    """One candidate reading of an ambiguous question (a kommun and its best evidence), for the UI to offer."""

    kommun: str | None = None
    namnd: str | None = None
    datum: dt.date | None = None
    paragraf: str | None = None
    diarienummer: str | None = None
    rubrik: str | None = None
    line: str = Field("", description="the best sentence for this kommun")
    n: int = Field(1, description="its citation number in the answer")


class Answer(BaseModel):
    question: str = ""
    answer: str
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    mode: Literal["extraktiv", "generativ"] = "extraktiv"
    notes: list[str] = Field(default_factory=list, description="e.g. verification fell back to extractive")
    clarify: list[Clarification] = Field(
        default_factory=list, description="when the question fits several kommuner: the candidates, one line each"
    )
    resolved: dict[str, str | None] = Field(
        default_factory=dict, description="what the answer settled (kommun, namnd, diarienummer, section_id), for follow-ups"
    )


class Filters(BaseModel):
    """Explicit filters (CLI flags, API fields); merged with what the question itself says."""

    kommun: str | None = None
    namnd: str | None = None
    dokumenttyp: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
