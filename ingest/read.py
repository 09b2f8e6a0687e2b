"""Read one file into a RawDocument: text page by page, with a status per page.

PDFs are read by ingest/read_pdf.py (text layer, layout, OCR of scans and garbled pages);
DOCX, HTML, TXT and Markdown here.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Literal

from bs4 import BeautifulSoup, NavigableString, Tag

from grund.errors import EmptyDocumentError, InputFileError, UnsupportedFileError
from grund.records import PageText, RawDocument
from grund.settings import Settings
from ingest.read_pdf import (  # noqa: F401 - part of this module's interface
    NOTE_GARBLED,
    NOTE_SCAN_NO_OCR,
    is_garbled,
    ocr_available,
    read_pdf,
    text_quality,
)

_HTML_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "iframe",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "menu",
    "button",
    "select",
    "input",
    "dialog",
)
_HTML_DROP_ROLES = {"navigation", "banner", "contentinfo", "menu", "menubar", "search", "dialog"}
_HTML_BLOCKS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "br",
    "hr",
    "li",
    "tr",
)


def read_file(path: Path, settings: Settings) -> RawDocument:
    """Read a PDF, DOCX, HTML, TXT or MD file into pages of text.

    Args:
        path: the file to read.
        settings: ``settings.ingest`` decides the size limit and OCR.

    Raises:
        InputFileError: the file is missing, too big, corrupt, encrypted or not readable;
            ``UnsupportedFileError`` for other extensions, ``EmptyDocumentError`` when no
            page holds any text.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputFileError(name, "filen finns inte")
    if path.is_dir():
        raise InputFileError(name, "är en mapp, inte en fil")
    ext = path.suffix.lower()
    if ext not in settings.ingest.extensions:
        allowed = ", ".join(settings.ingest.extensions)
        raise UnsupportedFileError(name, f"filtypen '{ext or '(ingen)'}' stöds inte (stöds: {allowed})")
    size_mb = path.stat().st_size / 1_000_000
    if size_mb > settings.ingest.max_file_mb:
        raise InputFileError(
            name, f"filen är för stor ({size_mb:.1f} MB; gränsen är {settings.ingest.max_file_mb:g} MB)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(name, f"filen kan inte läsas ({exc.strerror or exc})") from exc
    if not data:
        raise EmptyDocumentError(name, "filen är tom (0 byte)")

    title: str | None = None
    fmt: Literal["pdf", "docx", "html", "txt", "md"]
    if ext == ".pdf":
        fmt = "pdf"
        pages, title = read_pdf(name, data, settings)
    elif ext == ".docx":
        fmt = "docx"
        pages, title = _read_docx(name, data)
    elif ext in (".html", ".htm"):
        fmt = "html"
        pages, title = _read_html(data)
    else:
        fmt = "md" if ext == ".md" else "txt"
        text = decode_text(data)
        pages = [PageText(page=None, text=text)]
        if fmt == "md":
            title = next((m.group(1).strip() for m in re.finditer(r"(?m)^#\s+(.+)$", text)), None)

    if not any(p.text.strip() for p in pages):
        skipped = sum(p.status in ("skipped", "garbled") for p in pages)
        if skipped:
            reason = (
                f"ingen läsbar text; {skipped} sida/sidor hoppades över ({pages[0].note or 'se sidstatus'})"
            )
        else:
            reason = "filen innehåller ingen text"
        raise EmptyDocumentError(name, reason)
    return RawDocument(
        path=name,
        fil=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        pages=pages,
        title=title or None,
    )


def decode_text(data: bytes) -> str:
    """Decode text bytes: UTF-8 (with or without BOM), else cp1252, else latin-1.

    Args:
        data: raw file content.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # latin-1 maps every byte, so it cannot fail; cp1252 only fails on its 5 undefined bytes.
    return data.decode("latin-1")


# ---------------------------------------------------------------- DOCX
def _read_docx(name: str, data: bytes) -> tuple[list[PageText], str | None]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputFileError(name, "Word-filen är skadad eller ingen riktig .docx-fil") from exc
    lines: list[str] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(element, document).text.strip())
        elif tag == "tbl":
            lines.append("")
            lines.extend(_docx_table_rows(Table(element, document)))
            lines.append("")
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = (document.core_properties.title or "").strip() or None
    return [PageText(page=None, text=text)], title


def _docx_table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # Merged cells repeat the same cell object once per grid column.
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


# ---------------------------------------------------------------- HTML
def _read_html(data: bytes) -> tuple[list[PageText], str | None]:
    soup = BeautifulSoup(data, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    for tag in soup.find_all(role=True):
        if not tag.decomposed and str(tag.get("role")).lower() in _HTML_DROP_ROLES:
            tag.decompose()
    for tag in soup.find_all(hidden=True):
        if not tag.decomposed:
            tag.decompose()
    root = soup.find("main") or soup.find(role="main") or soup.find("article") or soup.body or soup
    # Line breaks in HTML source are just spaces; only block elements break lines.
    for string in root.find_all(string=True):
        if string.find_parent("pre") is None:
            string.replace_with(re.sub(r"\s+", " ", str(string)))
    for row in root.find_all("tr"):
        cells = [" ".join(c.get_text(" ").split()) for c in row.find_all(["td", "th"])]
        row.replace_with(NavigableString("\n" + " | ".join(c for c in cells) + "\n"))
    for item in root.find_all("li"):
        item.insert(0, NavigableString("\n- "))
        item.append(NavigableString("\n"))
    for block in root.find_all(_HTML_BLOCKS):
        if isinstance(block, Tag):
            block.insert_before(NavigableString("\n"))
            block.insert_after(NavigableString("\n"))
    lines = [" ".join(line.split()) for line in root.get_text().splitlines()]
    # "- " alone comes from an <li> whose content is a nested list.
    text = "\n".join(line for line in lines if line and line != "-")
    return [PageText(page=None, text=text)], title
