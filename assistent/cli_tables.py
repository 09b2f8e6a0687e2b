"""Plain-text tables for the command line: a header row, a rule, aligned columns, Swedish labels.

Used by `assistent status` and `assistent ingest --report` (ingest.segment.format_report).
Plain text with spaces, no box drawing: output piped to a file or grep stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assistent.records import DOCTYPE_LABELS

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
