"""Read one file into a RawDocument: text page by page, with a status per page.

PDF pages go through three checks: a page without a text layer but with a large
image is a scan (OCR with Tesseract when available, else skipped); a page whose
text layer does not read as Swedish/Finnish is garbled (broken glyph maps, as in
the Nykarleby PDFs: "Tillnprouokollj suerarenvaldesn...") and is OCR'd or
flagged, never indexed as clean text.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pymupdf
from bs4 import BeautifulSoup, NavigableString, Tag
from wordfreq import zipf_frequency

from assistent.errors import EmptyDocumentError, InputFileError, UnsupportedFileError
from assistent.records import PageText, RawDocument
from assistent.settings import Settings

#: Pages with fewer letters than this and a large image are treated as scans.
MIN_TEXT_LETTERS = 20
#: Share of the page area covered by images above which a textless page counts as a scan.
MIN_IMAGE_COVER = 0.3
#: Letter-weighted share of known words below which a page's text layer is garbled.
#: Calibrated on /work/shared/realdocs: clean PDFs score ≥ 0.83 on every page, the
#: broken Nykarleby pages 0.07–0.65; ligature-damaged but readable pages 0.70–0.85.
GARBLED_BELOW = 0.7
#: Pages with fewer scorable words than this are too short to judge.
MIN_SCORED_WORDS = 8
OCR_DPI = 300

NOTE_SCAN_NO_OCR = "skannad sida utan textlager; Tesseract saknas, sidan hoppades över"
NOTE_SCAN_OCR_OFF = "skannad sida utan textlager; OCR är avstängt, sidan hoppades över"
NOTE_SCAN_OCR = "skannad sida utan textlager; texten är tolkad med OCR (Tesseract) och kan innehålla fel"
NOTE_GARBLED = "textlagret är förvanskat (trasig teckenkodning i PDF:en); sidans text indexeras inte"
NOTE_GARBLED_OCR = "textlagret var förvanskat (trasig teckenkodning); texten är i stället tolkad med OCR"
NOTE_OCR_FAILED = "OCR misslyckades för sidan; sidan hoppades över"

_WORD = re.compile(r"[^\W\d_]+")
# Tesseract reads "§" as "$" after paragraph numbers ("18$ Arbetsvärdering").
_OCR_PARAGRAPH = re.compile(r"(?<=\d) ?\$")
# ... and before them as "I", "$", "S", "8" or "3": "I 89 2026.112 KS", "385 2026.019 KS"
# (§ 89, § 85). Only a line that is a § heading's shape (number, then a diarienummer) is
# repaired; a number in running text is left alone.
_OCR_SE_PARAGRAPH = re.compile(
    r"(?m)^[^\w\n§]{0,2}(?:[I|l!$S§]\s?|[38](?=\d{2,3}\s))?(\d{1,3})\s+"
    r"(?=(?:19|20)\d\d[.\-\u2013]\d{1,6}\s?[A-ZÅÄÖ]{2,6}\b|[A-ZÅÄÖ]{1,6}[.\-/ ](?:19|20)\d\d[.\-/:]\d)"
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
        pages, title = _read_pdf(name, data, settings)
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


@lru_cache(maxsize=8)
def ocr_available(lang: str = "swe") -> bool:
    """True when the tesseract binary, pytesseract and the language's traineddata are installed.

    Args:
        lang: Tesseract language code.
    """
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        return lang in pytesseract.get_languages(config="")
    except Exception:  # noqa: BLE001 - any failure to run tesseract means "not available"
        return False


def text_quality(text: str) -> float | None:
    """Letter-weighted share of words (≥3 letters) that are known Swedish/Finnish/English words.

    Weighting by letters makes a glued garble like "Tillnprouokollj" (15 letters) count
    more than a short name. None when the text has fewer than MIN_SCORED_WORDS words.

    Args:
        text: page text.
    """
    words = [w.lower() for w in _WORD.findall(text) if len(w) >= 3]
    if len(words) < MIN_SCORED_WORDS:
        return None
    total = sum(len(w) for w in words)
    known = sum(len(w) for w in words if is_known_word(w))
    return known / total


def is_garbled(text: str) -> bool:
    """True when a text layer does not read as language (see GARBLED_BELOW).

    Args:
        text: page text.
    """
    score = text_quality(text)
    return score is not None and score < GARBLED_BELOW


@lru_cache(maxsize=200_000)
def _zipf(word: str) -> float:
    # English counts one point lower: English words are rarer in Swedish municipal text,
    # and garbled tokens often collide with short English words.
    return max(zipf_frequency(word, "sv"), zipf_frequency(word, "fi"), zipf_frequency(word, "en") - 1)


@lru_cache(maxsize=200_000)
def is_known_word(word: str) -> bool:
    """A lower-case word is known if wordfreq lists it, or it is a compound of known parts.

    Args:
        word: lower-case word.
    """
    if _zipf(word) >= 1.0:
        return True
    # Swedish compounds ("utbildningsnämnden") are mostly missing from wordfreq: accept
    # a split into two common parts, allowing a linking "s" ("utbildning"+"s"+"nämnden").
    for i in range(3, len(word) - 2):
        head, tail = word[:i], word[i:]
        if _zipf(tail) >= 2.5 or _is_pair(tail):
            if _zipf(head) >= 2.5 or (head.endswith("s") and _zipf(head[:-1]) >= 2.5):
                return True
    return False


@lru_cache(maxsize=200_000)
def _is_pair(word: str) -> bool:
    return any(_zipf(word[:i]) >= 2.5 and _zipf(word[i:]) >= 2.5 for i in range(3, len(word) - 2))


# ---------------------------------------------------------------- PDF
def _read_pdf(name: str, data: bytes, settings: Settings) -> tuple[list[PageText], str | None]:
    if b"%PDF" not in data[:1024]:
        raise InputFileError(name, "filen heter .pdf men är ingen PDF (innehållet känns inte igen)")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # noqa: BLE001 - MuPDF raises plain RuntimeErrors for damaged files
        raise InputFileError(
            name, f"PDF-filen är skadad eller ofullständig och kan inte öppnas ({exc})"
        ) from exc
    with doc:
        # MuPDF opens files with an empty user password by itself; needs_pass stays
        # True only when a real password is required.
        if doc.needs_pass and not doc.authenticate(""):
            raise InputFileError(name, "PDF-filen är lösenordsskyddad och kan inte läsas")
        if doc.page_count == 0:
            raise InputFileError(name, "PDF-filen har inga sidor (skadad eller ofullständig)")
        use_ocr = settings.ingest.ocr and ocr_available(settings.ingest.ocr_lang)
        body_size = body_font_size(doc)
        pages = []
        for index in range(doc.page_count):
            try:
                pages.append(_read_pdf_page(doc[index], index + 1, use_ocr, settings, body_size))
            except Exception as exc:  # noqa: BLE001 - one broken page must not stop the file
                pages.append(
                    PageText(
                        page=index + 1, status="skipped", note=f"sidan kunde inte läsas (skadad PDF: {exc})"
                    )
                )
        title = (doc.metadata or {}).get("title") or None
        repaired = doc.is_repaired
    if repaired and not any(p.text.strip() for p in pages):
        # MuPDF rebuilds a truncated file's structure and finds empty pages.
        raise InputFileError(name, "PDF-filen är skadad eller ofullständig; ingen text kunde läsas")
    if all(p.status == "skipped" and p.note and p.note.startswith("sidan kunde inte") for p in pages):
        raise InputFileError(name, "PDF-filen är skadad eller ofullständig; ingen sida kunde läsas")
    return pages, title.strip() if title else None


def _read_pdf_page(
    page: pymupdf.Page, number: int, use_ocr: bool, settings: Settings, body_size: float = 0.0
) -> PageText:
    # Reading order top-to-bottom, left-to-right, one text block per paragraph/box; the
    # content-stream order puts e.g. the Nykarleby page header box at the bottom of the page.
    text = layout_text(page, body_size)
    letters = sum(ch.isalpha() for ch in text)
    if letters < MIN_TEXT_LETTERS:
        if _image_cover(page) < MIN_IMAGE_COVER:
            return PageText(page=number, text=text.strip(), status="ok" if letters else "empty")
        if not use_ocr:
            note = NOTE_SCAN_NO_OCR if settings.ingest.ocr else NOTE_SCAN_OCR_OFF
            return PageText(page=number, status="skipped", note=note)
        return _ocr_page(page, number, settings, NOTE_SCAN_OCR)
    if is_garbled(text):
        if use_ocr:
            return _ocr_page(page, number, settings, NOTE_GARBLED_OCR)
        return PageText(page=number, status="garbled", note=NOTE_GARBLED)
    return PageText(page=number, text=text)


# ---------------------------------------------------------------- PDF layout
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
    out = []
    for table in found.tables:
        rows: list[list[str]] = []
        for row in table.rows:
            cells = []
            for cell in row.cells:
                if cell is None:
                    cells.append("")
                    continue
                rect = pymupdf.Rect(cell)
                inside = [w[4] for w in words if pymupdf.Point((w[0] + w[2]) / 2, (w[1] + w[3]) / 2) in rect]
                cells.append(" ".join(inside))
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
    tables = _table_items(page) if numeric >= TABLE_MIN_NUMBER_LINES else []
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


def _image_cover(page: pymupdf.Page) -> float:
    area = abs(page.rect) or 1.0
    covered = sum(abs(pymupdf.Rect(info["bbox"]) & page.rect) for info in page.get_image_info())
    return min(covered / area, 1.0)


def _ocr_page(page: pymupdf.Page, number: int, settings: Settings, note: str) -> PageText:
    import pytesseract
    from PIL import Image

    pix = page.get_pixmap(dpi=OCR_DPI, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    try:
        text = pytesseract.image_to_string(image, lang=settings.ingest.ocr_lang)
    except pytesseract.TesseractError:
        return PageText(page=number, status="skipped", note=NOTE_OCR_FAILED)
    text = _OCR_SE_PARAGRAPH.sub(r"§ \1 ", _OCR_PARAGRAPH.sub(" §", text)).strip()
    if not text:
        return PageText(page=number, status="skipped", note=NOTE_OCR_FAILED)
    return PageText(page=number, text=text, status="ocr", note=note)


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
