"""Parts of a § or tjänsteskrivelse (ärende, förslag, yrkande, beslut, skickas till), found by their labels."""

from __future__ import annotations

import re

from grund.records import PartKind, SectionPart
from ingest.spans import clean_heading

# ---------------------------------------------------------------- parts
_PART_LABELS: tuple[tuple[PartKind, re.Pattern[str]], ...] = (
    (
        "skickas_till",
        re.compile(
            r"^(?:beslutet\s+(?:skickas|expedieras)\s+till|protokollsutdrag(?:\s+till)?|expedieras(?:\s+till)?|"
            r"sändlista|delges)\s*:?$",
            re.IGNORECASE,
        ),
    ),
    (
        "forslag",
        re.compile(
            r"^(?:förslag\s+till\s+beslut(?:\s+i\s+[\wåäö ]+)?|[\w/.,\-åäöÅÄÖ ]{0,80}s\s+förslag(?:\s+till\s+beslut)?|"
            r"förslag)\s*:?$",
            re.IGNORECASE,
        ),
    ),
    ("yrkande", re.compile(r"^(?:yrkanden?|yrkande\s+och\s+propositionsordning)\s*:?$", re.IGNORECASE)),
    ("beslut", re.compile(r"^(?:[\wåäöÅÄÖ\- ]{0,60}s\s+)?beslut\s*:?$", re.IGNORECASE)),
    (
        "arende",
        re.compile(
            r"^(?:ärendebeskrivning|bakgrund|sammanfattning(?:\s+av\s+ärendet)?|beskrivning\s+av\s+ärendet|"
            r"ärendet|ärendebakgrund)\s*:?$",
            re.IGNORECASE,
        ),
    ),
    (
        "ovrigt",
        re.compile(r"^(?:underlag\s+till\s+beslut|beslutsunderlag|handlingar|bilagor?)\s*:?$", re.IGNORECASE),
    ),
)


def part_kind(line: str) -> PartKind | None:
    """The part a label line starts ("Socialnämndens beslut" → "beslut"), or None.

    Args:
        line: one line of a section's text.
    """
    line = clean_heading(line)
    if not line or len(line) > 100:
        return None
    for kind, rx in _PART_LABELS:
        if rx.match(line):
            return kind
    return None


#: A line longer than this ends the "Skickas till" list of recipients.
SKICKAS_TILL_MAX_WORDS = 10

_LEAD_LINE = re.compile(r"^(?:§\s*\d+|\d+\s*§$|Diarienummer\b|Dnr\b)", re.IGNORECASE)


def find_parts(text: str) -> list[SectionPart]:
    """Labelled parts of a section text; text before the first label is the ärende.

    Args:
        text: a section's text.
    """
    parts: list[SectionPart] = []
    kind: PartKind = "arende"
    label: str | None = None
    buf: list[str] = []

    def flush() -> None:
        body = "\n".join(buf).strip()
        if body:
            parts.append(SectionPart(kind=kind, label=label, text=body))

    for i, line in enumerate(text.split("\n")):
        if not parts and not "".join(buf).strip() and (i == 0 or _LEAD_LINE.match(line.strip())):
            continue  # the section's own heading (and dnr line) is not part of the ärende
        k = part_kind(line)
        if k:
            flush()
            kind, label, buf = k, clean_heading(line).rstrip(":").strip(), []
        elif kind == "skickas_till" and len(line.split()) > SKICKAS_TILL_MAX_WORDS:
            # recipients are short lines; running text after them is an attached document
            flush()
            kind, label, buf = "ovrigt", None, [line]
        else:
            buf.append(line)
    flush()
    return parts
