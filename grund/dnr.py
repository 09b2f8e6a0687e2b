"""Diarienummer and § handling: find, normalise and format.

A diarienummer is written in many ways, generalised from what registry systems
print rather than from single examples: a registry code before the year
(``SN.2023.62``, ``SN/2023:875``, ``KS-2025-00512``, ``KS 2026/123``, ``KS2024/0123``,
``Dnr KS 2024-000123``, ``SBN-2023-1234``, ``HSV-VSF.2023.112``), a registry code
after the number (``2026.266 KS``, ``2026-0148 BMN``: Alingsås' Ciceron/MeetingPlus
style), the serial before the year (``GNU/6/2023``), a Finnish filing code
(``NKBY/912/00.01.01.01/2021``), and en- or em-dashes where typists write hyphens
(``SRV–2024–00118``). The display form keeps the registry code where it stands; the
lookup key keeps only what identifies the case: the code letters, the year and the
serial number.

Normalisation rule: ``PREFIX-YEAR-SERIAL`` in upper case, prefix groups joined by
"-", leading zeros of the serial dropped. The year is the number that looks like
a year (1900–2099, four digits), wherever it stands, so ``GNU/6/2023`` and
``GNU 2023 6`` share the key ``GNU-2023-6``. Without prefix the key is
``YEAR-SERIAL``. Finnish numbers carry a filing code between serial and year
(``NKBY/497/12.03.01/2022``); it is dropped: ``NKBY-2022-497``.

In protokoll a filing code follows the number (``Diarienummer VSF.2024.8 706``):
it is never part of the diarienummer.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

_UP = "A-ZÅÄÖ"
_LETTER = "A-Za-zÅÄÖåäöÉé"
# Prefix: one or more upper-case groups joined by "-" ("HSV-VSF", "ÄO-VSF").
_PREFIX = rf"[{_UP}]{{1,6}}(?:-[{_UP}]{{1,6}})*"
_YEAR = r"(?:19|20)\d\d"
# A separator: the usual punctuation, or an en/em dash from a PDF where a hyphen was meant.
_SEP = r"[.\-\u2013\u2014/:]"
# prefix, separator, year, separator, serial: SN.2023.62, SN/2023:875, KS-2025-00512, SN 2023/62
_PREFIX_YEAR_SERIAL = rf"{_PREFIX}(?:{_SEP}|\s)?{_YEAR}{_SEP}\d{{1,6}}"
# year, separator, serial, registry code: 2026.266 KS, 2026-0148 BMN (the code is upper case
# and a word of its own: "2026.266 Kommunstyrelsen" is no dnr)
_SUFFIX = rf"[{_UP}]{{2,6}}(?:-[{_UP}]{{2,6}})?"
# (dot or dash only: "2018:597" is a statute's number)
_YEAR_SERIAL_SUFFIX = rf"{_YEAR}[.\-\u2013]\d{{1,6}}\s?{_SUFFIX}(?![{_LETTER}])"
# prefix, serial, year: GNU/6/2023
_PREFIX_SERIAL_YEAR = rf"{_PREFIX}/\d{{1,6}}/{_YEAR}"
# Finnish: prefix, serial, filing code, year: NKBY/497/12.03.01/2022 (the code is not kept in the key)
_PREFIX_SERIAL_CODE_YEAR = rf"{_PREFIX}/\d{{1,6}}/\d{{2}}(?:\.\d{{2}}){{1,4}}/{_YEAR}"
_DNR_BODY = rf"(?:{_PREFIX_SERIAL_CODE_YEAR}|{_PREFIX_SERIAL_YEAR}|{_PREFIX_YEAR_SERIAL}|{_YEAR_SERIAL_SUFFIX})"
_DNR_RE = re.compile(rf"(?<![{_LETTER}0-9\-\u2013./]){_DNR_BODY}(?![0-9{_LETTER}]|{_SEP}[0-9])")
# After a label the prefix may be missing ("Dnr 2023/123", "Dnr: 123/2023").
_LABEL = r"(?:Diarienummer|Diarienr\.?|Dnr\.?|Vårt\s+dnr|Ert\s+dnr|Ärendenr\.?|Ärendenummer)"
_LABELLED_RE = re.compile(
    rf"\b{_LABEL}\s*:?\s*(?P<dnr>{_DNR_BODY}|{_YEAR}{_SEP}\d{{1,6}}|\d{{1,6}}/{_YEAR})(?![0-9{_LETTER}]|{_SEP}[0-9])",
    re.IGNORECASE,
)
#: Upper-case words after "2023-5" that are units, not registry codes.
_NOT_SUFFIX = {"SEK", "MSEK", "KSEK", "EUR", "KR", "TKR", "MNKR", "MDKR", "KVM", "KM", "ST", "TIM", "KL"}
#: Upper-case words that precede year:number but are labels ("DNR 2026-0148") or statute and
#: report series, not cases.
_NOT_PREFIX = {
    "DNR", "NR", "DIARIENR", "ÄRENDE", "ÄRENDENR",
    "SFS", "SOSFS", "HSLF-FS", "SKRFS", "PROP", "SOU", "DS", "NJA", "HFD", "RÅ", "AFS", "BFS",
}


class DnrMatch(BaseModel):
    """One diarienummer found in a text."""

    display: str
    norm: str
    start: int
    end: int


def normalize_dnr(s: str) -> str:
    """Canonical lookup key PREFIX-YEAR-SERIAL (see module docstring).

    Args:
        s: a diarienummer as typed, e.g. "sn 2023 62" or "SN/2023:0062".
    """
    s = re.sub(r"/\d{2}(?:\.\d{2}){1,4}/", "/", s)  # Finnish filing code between serial and year
    tokens = re.findall(rf"[{_LETTER}]+|\d+", s.upper())
    letters = [t for t in tokens if not t.isdigit()]
    numbers = [t for t in tokens if t.isdigit()]
    year_i = next((i for i, n in enumerate(numbers) if len(n) == 4 and n[:2] in ("19", "20")), None)
    parts: list[str] = []
    if letters:
        parts.append("-".join(letters))
    if year_i is not None:
        parts.append(numbers[year_i])
        rest = [n for i, n in enumerate(numbers) if i != year_i]
    else:
        rest = numbers
    # lstrip, not int(): a hostile 8,000-digit "serial" must not hit int()'s digit limit
    parts.extend(n.lstrip("0") or "0" for n in rest)
    return "-".join(parts)


def looks_like_dnr(s: str) -> bool:
    """True when the whole string is one diarienummer (with or without label).

    Args:
        s: candidate string, e.g. a query term.
    """
    s = s.strip()
    if _LABELLED_RE.fullmatch(s):
        return True
    m = re.fullmatch(rf"{_DNR_BODY}", s.upper()) or re.fullmatch(
        rf"[{_UP}]{{1,6}}\s+{_YEAR}\s+\d{{1,6}}", s.upper()
    )
    return bool(m) and _prefix_ok(s.upper())


def _is_range(display: str) -> bool:
    """A year range with a code after it ("2027-2029 KS") is no year + serial."""
    numbers = re.findall(r"\d+", display)
    return len(numbers) == 2 and all(len(n) == 4 and n[:2] in ("19", "20") for n in numbers)


def _prefix_ok(display: str) -> bool:
    prefix = re.match(rf"{_PREFIX}", display)
    if prefix:
        return prefix.group(0) not in _NOT_PREFIX
    suffix = re.search(rf"{_SUFFIX}$", display)
    return not suffix or suffix.group(0) not in _NOT_SUFFIX


def find_diarienummer(text: str) -> list[DnrMatch]:
    """All diarienummer in ``text``, in order; filing codes after the number are left out.

    Args:
        text: any document text.
    """
    found: dict[int, DnrMatch] = {}
    for m in _LABELLED_RE.finditer(text):
        d = m.group("dnr")
        if _prefix_ok(d):
            found[m.start("dnr")] = DnrMatch(
                display=d, norm=normalize_dnr(d), start=m.start("dnr"), end=m.end("dnr")
            )
    for m in _DNR_RE.finditer(text):
        if m.start() not in found and _prefix_ok(m.group(0)) and not _is_range(m.group(0)):
            d = m.group(0)
            found[m.start()] = DnrMatch(display=d, norm=normalize_dnr(d), start=m.start(), end=m.end())
    return [found[k] for k in sorted(found)]


_PARAGRAF_RES = (
    re.compile(r"^§\s*(\d{1,4})\b"),
    re.compile(r"^(\d{1,4})\s*§$"),
    re.compile(r"^paragraf(?:en)?\s+(\d{1,4})$", re.IGNORECASE),
    re.compile(r"^(\d{1,4})$"),
)


def normalize_paragraf(s: str) -> int | None:
    """The number of a § reference: "§ 23", "§23", "paragraf 23", "23 §" → 23.

    Args:
        s: a § reference as written.
    """
    s = s.strip()
    for rx in _PARAGRAF_RES:
        m = rx.match(s)
        if m:
            return int(m.group(1))
    return None


def format_paragraf(n: int) -> str:
    """Display form of a § number: 23 → "§ 23".

    Args:
        n: the § number.
    """
    return f"§ {n}"
