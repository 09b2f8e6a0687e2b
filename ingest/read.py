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
        pages = []
        for index in range(doc.page_count):
            try:
                pages.append(_read_pdf_page(doc[index], index + 1, use_ocr, settings))
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


def _read_pdf_page(page: pymupdf.Page, number: int, use_ocr: bool, settings: Settings) -> PageText:
    # "blocks" with sort=True gives reading order top-to-bottom, left-to-right, one
    # text block per paragraph/box; the content-stream order puts e.g. the Nykarleby
    # page header box at the bottom of the page.
    blocks = page.get_text("blocks", sort=True)
    text = "\n".join(b[4].rstrip("\n") for b in blocks if b[6] == 0 and b[4].strip())
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
    text = _OCR_PARAGRAPH.sub(" §", text).strip()
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
