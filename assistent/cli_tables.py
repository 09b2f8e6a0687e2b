"""Plain-text tables for the command line: a header row, a rule, aligned columns, Swedish labels.

Used by `assistent status` and `assistent ingest --report` (format_report).
Plain text with spaces, no box drawing: output piped to a file or grep stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from grund.records import DOCTYPE_LABELS, ParsedDocument

#: Section part codes (records.PartKind) as a reader says them.
PART_LABELS: dict[str, str] = {
    "arende": "ärende",
    "forslag": "förslag",
    "yrkande": "yrkande",
    "beslut": "beslut",
    "skickas_till": "skickas till",
    "ovrigt": "övrigt",
}
#: Section kind codes (records.SectionKind) as a reader says them; a § shows its number instead.
SECTION_KIND_LABELS: dict[str, str] = {
    "paragraf": "§",
    "tjansteskrivelse": "tjänsteskrivelse",
    "dagordning": "innehåll/dagordning",
    "rubrik": "rubrik",
    "text": "text",
}
EMPTY = "–"


def doctype_label(code: str | None, utdrag: bool = False) -> str:
    """A document type code (``tjansteskrivelse``) as its Swedish label (``Tjänsteskrivelse``)."""
    if utdrag:
        return "Protokollsutdrag"
    return DOCTYPE_LABELS.get(code or "", code or EMPTY)


def part_labels(codes: Iterable[str]) -> str:
    """Part codes, each once, as Swedish labels joined by commas (``ärende, beslut``)."""
    return ", ".join(PART_LABELS.get(c, c) for c in dict.fromkeys(codes)) or EMPTY


def _cell(value: object) -> str:
    if value is None or value == "":
        return EMPTY
    return " ".join(str(value).split())  # one line per row, whatever the text held


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    right: Iterable[int] = (),
    max_width: dict[int, int] | None = None,
    indent: str = "",
) -> str:
    """Rows under a header row and a rule, each column as wide as its widest cell.

    Args:
        headers: column titles.
        rows: one sequence of cells per row (None and "" show as "–").
        right: indexes of columns aligned right (numbers).
        max_width: column index → most characters shown; longer cells end in "…".
        indent: put before every line.
    """
    limits = max_width or {}
    body = [[_fit(_cell(c), limits.get(i, 10**6)) for i, c in enumerate(row)] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]
    right_set = set(right)

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right_set else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(list(headers)), indent + "  ".join("-" * w for w in widths)]
    out += [line(r) for r in body]
    return "\n".join(out)


# ---------------------------------------------------------------- report
def format_report(parsed: list[ParsedDocument]) -> str:
    """Readable tables of what segmentation found, for `assistent ingest --report`: one of the
    documents, then one of each document's sections, each under a header row with Swedish labels.

    Args:
        parsed: segmented documents.
    """
    if not parsed:
        return ""
    docs = [
        (d.fil, doctype_label(d.dokumenttyp, d.utdrag), d.kommun, d.namnd,
         d.datum.isoformat() if d.datum else None, d.diarienummer, len(pd.sections))
        for pd in parsed
        for d in [pd.document]
    ]  # fmt: skip
    headers = ("Fil", "Typ", "Kommun", "Nämnd", "Datum", "Diarienummer", "Avsnitt")
    out = [table(headers, docs, right=(6,), max_width={0: 45}), ""]
    for pd in parsed:
        d = pd.document
        out.append(f"{d.fil}: {len(pd.sections)} avsnitt")
        for e in d.evidence:
            if e.flagged:
                read = f" (bästa läsning: {e.line[:60]!r}, säkerhet {e.confidence:.2f})" if e.line else ""
                out.append(f"  ! {_FIELD_LABELS[e.field]} lämnades tomt: osäker läsning{read}")
        rows = [
            (s.paragraf or SECTION_KIND_LABELS.get(s.kind, s.kind), s.diarienummer, s.rubrik,
             part_labels(p.kind for p in s.parts), s.page_start)
            for s in pd.sections
        ]  # fmt: skip
        if rows:
            out.append(
                table(("§/typ", "Diarienummer", "Rubrik", "Delar", "Sida"), rows, right=(4,), max_width={2: 60}, indent="  ")
            )
        out.append("")
    return "\n".join(out)


_FIELD_LABELS = {"kommun": "kommun", "namnd": "nämnd/organ", "datum": "datum", "dokumenttyp": "dokumenttyp"}
