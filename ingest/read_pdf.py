"""Read a PDF page by page, with a status per page.

PDF pages go through three checks: a page without a text layer but with a large
image is a scan (OCR with Tesseract when available, else skipped); a page whose
text layer does not read as Swedish/Finnish is garbled (broken glyph maps, as in
the Nykarleby PDFs: "Tillnprouokollj suerarenvaldesn...") and is OCR'd or
flagged, never indexed as clean text.
"""

from __future__ import annotations

import re
import shutil
from functools import lru_cache

import pymupdf
from wordfreq import zipf_frequency

from grund.errors import InputFileError
from grund.records import PageText
from grund.settings import Settings
from ingest.pdf_layout import body_font_size, layout_text

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
#: More pages than this is a damaged page tree or a hostile file, not a municipal document.
MAX_PAGES = 20_000

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


def read_pdf(name: str, data: bytes, settings: Settings) -> tuple[list[PageText], str | None]:
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
        try:
            n_pages = doc.page_count
        except Exception as exc:  # noqa: BLE001 - a page tree saying "/Count 2000000000" raises here
            raise InputFileError(name, f"PDF-filen kunde inte läsas: sidträdet är trasigt ({exc})") from exc
        if n_pages == 0:
            raise InputFileError(name, "PDF-filen har inga sidor (skadad eller ofullständig)")
        if n_pages > MAX_PAGES:
            raise InputFileError(name, f"PDF-filen uppger {n_pages} sidor; gränsen är {MAX_PAGES}")
        use_ocr = settings.ingest.ocr and ocr_available(settings.ingest.ocr_lang)
        body_size = body_font_size(doc)
        pages = []
        for index in range(n_pages):
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
