"""What a PDF page's layout says: headings from their font size, tables through PyMuPDF's table
finder (rows as pipe lines with the header row first, cell text rebuilt from the page's words),
the rest in reading order. The output is Markdown-like text that later stages read like any
other document: "## Rubrik" lines and "a | b | c" rows.
"""

from __future__ import annotations

import re

import pymupdf

#: A line this many points larger than the body text is a heading ("## ..."); 2+ points
#: over the document's body size separates Alingsås' 13 pt titles from its 11 pt body and
#: 12 pt letterhead, Simrishamn's 14-16 pt headings from 10-11 pt text.
HEADING_MIN_DELTA = 1.8
#: Headings are short: longer lines in a big font are cover-page prose or pull quotes.
HEADING_MAX_WORDS = 14
#: Top/bottom share of the page where letterheads and footers stand; never headings.
PAGE_EDGE = 0.07
#: A page with at least this many number-only lines may hold a table; only such pages
#: pay for PyMuPDF's table finder (0.5-2 s a page on this machine, against ~5 ms for text).
TABLE_MIN_NUMBER_LINES = 6
_BULLETS = {"•", "-", "–", "▪", "●", "○", "■", "\uf0b7", "\uf0a7", "o"}
_LEADER = re.compile(r"\.{4,}|…{2,}")
_NUMBER_LINE = re.compile(r"^[-−–+]?\s?\d[\d\s.,%]*$")


def body_font_size(doc: pymupdf.Document, max_pages: int = 30) -> float:
    """The font size most characters of the document are set in (its body text).

    Args:
        doc: an open PDF.
        max_pages: pages sampled from the start.
    """
    sizes: dict[float, int] = {}
    for index in range(min(doc.page_count, max_pages)):
        try:
            blocks = doc[index].get_text("dict")["blocks"]
        except Exception:  # noqa: BLE001 - a broken page says nothing about the body size
            continue
        for block in blocks:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    n = len(span["text"].strip())
                    if n:
                        key = round(span["size"] * 2) / 2
                        sizes[key] = sizes.get(key, 0) + n
    return max(sizes, key=lambda k: sizes[k]) if sizes else 0.0


def _line_text(line: dict) -> tuple[str, float, bool]:
    """(text, size, bold) of a PyMuPDF line: size and weight of the span holding most letters."""
    text = "".join(span["text"] for span in line["spans"])
    main = max(line["spans"], key=lambda span: len(span["text"].strip()))
    bold = bool(main["flags"] & 16) or "bold" in main["font"].lower()
    return text, main["size"], bold


def _heading_mark(text: str, size: float, y: float, page_height: float, body_size: float) -> str:
    """"## " (or "# "/"### ") when the line is set as a heading, else ""."""
    if not body_size or size < body_size + HEADING_MIN_DELTA:
        return ""
    if y < PAGE_EDGE * page_height or y > (1 - PAGE_EDGE) * page_height:
        return ""
    words = text.split()
    if not words or len(words) > HEADING_MAX_WORDS or not re.search(r"[^\W\d_]{2}", text):
        return ""
    if text.rstrip()[-1:] in ".,;" or _NUMBER_LINE.match(text.strip()):
        return ""
    delta = size - body_size
    return "# " if delta >= 8 else "## " if delta >= 3.5 else "### "


def _table_items(page: pymupdf.Page) -> list[tuple[float, float, str, pymupdf.Rect]]:
    """Tables of the page as (y, x, pipe-row text, bbox); [] when the page has none.

    Cell text is rebuilt from the page's words (not the table finder's own characters,
    which lose the thousands spaces: "1 049 382" came out "1049382"). Leading rows with
    a single filled cell ("2027" over the columns) are captions, written as a line above.
    """
    try:
        found = page.find_tables()
    except Exception:  # noqa: BLE001 - a table finder failure leaves the plain text
        return []
    words = page.get_text("words", sort=True)
    centres = [((w[0] + w[2]) / 2, (w[1] + w[3]) / 2, w[4]) for w in words]
    out = []
    for table in found.tables:
        rows: list[list[str]] = []
        for row in table.rows:
            # words of the row's band first (one pass over the page's words per row), then per cell
            y0, y1 = row.bbox[1], row.bbox[3]
            band = [c for c in centres if y0 <= c[1] <= y1]
            cells = []
            for cell in row.cells:
                if cell is None:
                    cells.append("")
                    continue
                x0, _, x1, _ = cell
                cells.append(" ".join(t for x, _y, t in band if x0 <= x <= x1))
            if any(cells):
                rows.append(cells)
        captions = []
        while rows and sum(bool(c) for c in rows[0]) <= 1 and len(rows) > 2:
            captions.append(next(c for c in rows.pop(0) if c))
        if len(rows) >= 2 and table.col_count >= 2:
            rect = pymupdf.Rect(table.bbox)
            text = "\n".join(captions + [" | ".join(r) for r in rows])
            out.append((rect.y0, rect.x0, text, rect))
    return out


def layout_text(page: pymupdf.Page, body_size: float = 0.0) -> str:
    """A page's text in reading order, headings marked as Markdown from their font size and
    tables as pipe rows (header row first), so later stages see what the layout shows.

    Args:
        page: a PDF page.
        body_size: the document's body font size (``body_font_size``); 0 marks no headings.
    """
    blocks = page.get_text("dict", sort=True)["blocks"]
    height = page.rect.height or 1.0
    lines = [
        ln
        for b in blocks
        if b.get("type", 0) == 0
        for ln in b.get("lines", [])
        if "".join(s["text"] for s in ln["spans"]).strip()
    ]
    numeric = sum(bool(_NUMBER_LINE.match("".join(s["text"] for s in ln["spans"]).strip())) for ln in lines)
    leaders = sum(bool(_LEADER.search("".join(s["text"] for s in ln["spans"]))) for ln in lines)
    # a table of contents has a column of page numbers too: it is read as lines, not a table
    tables = _table_items(page) if numeric >= TABLE_MIN_NUMBER_LINES and leaders < 3 else []
    items: list[tuple[float, float, str]] = [(y, x, t) for y, x, t, _ in tables]
    previous = ""
    for b in blocks:
        if b.get("type", 0) != 0:
            continue
        out: list[str] = []
        for ln in b.get("lines", []):
            text, size, _bold = _line_text(ln)
            if not text.strip():
                continue
            box = pymupdf.Rect(ln["bbox"])
            centre = pymupdf.Point((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
            if any(centre in rect for *_, rect in tables):
                continue  # read as part of its table
            mark = _heading_mark(text, size, box.y0, height, body_size)
            if previous.strip() in _BULLETS:
                mark = ""  # the bullet's own text: a list item in a slide's big font
            previous = text
            if mark and out and out[-1].startswith(mark):
                out[-1] += " " + text.strip()  # a heading set over two lines
            else:
                out.append(mark + text.rstrip() if mark else text.rstrip())
        if out:
            items.append((b["bbox"][1], b["bbox"][0], "\n".join(out)))
    if tables:
        items.sort(key=lambda it: (round(it[0]), it[1]))
    return "\n".join(t for _, _, t in items)
