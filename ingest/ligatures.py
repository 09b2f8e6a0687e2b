"""Repair words whose ligature glyph a PDF's text layer dropped: "rela oner" → "relationer",
"o a" → "ofta", by the Swedish word frequencies of wordfreq (a step of ingest/clean.py).

A repair is made only when the joined word is common in Swedish and its pieces are not
words of their own; idempotent, like every cleaning step.
"""

from __future__ import annotations

import re
from functools import lru_cache

from wordfreq import zipf_frequency

#: Letters a dropped ligature glyph stood for, most common first.
LIGATURES = ("ti", "tt", "ft", "fti", "ff", "fi", "fl", "t", "f")
#: Letters tried at the start of a word; "t" alone would turn Finnish "omat" into "tomat".
START_LIGATURES = ("f", "fi", "fl", "ff", "ti")
#: A repaired word must be at least this common (zipf) in Swedish...
MIN_REPAIRED_ZIPF = 2.0
#: ...or a compound of two parts at least this common ("vålds" + "utsatta").
PART_ZIPF = 3.0
#: A lone letter may join a real word only into a word at least this common.
STRONG_ZIPF = 3.0
#: Shortest first part of a compound accepted for a repair ("tee" + "nation" is not one).
MIN_HEAD = 4
#: Pieces at least this common are real words and are not joined ("initieras" is 2.39).
WORD_ZIPF = 2.0
#: One-letter Swedish words; any other lone letter inside running text is a fragment.
ONE_LETTER_WORDS = {"i", "å", "ö"}
# Lower-case "a" anywhere, capital "A" only at a line start ("bilaga A till" stays).
_LONE_A = re.compile(r"(?m)(?:(?<![\w\-/.:@])a|^A) (?=[a-zåäö]{2,}\b)")


@lru_cache(maxsize=200_000)
def _sv(word: str) -> float:
    return zipf_frequency(word, "sv")


def _is_part(word: str) -> bool:
    return _sv(word) >= PART_ZIPF or (word.endswith("s") and _sv(word[:-1]) >= PART_ZIPF)


@lru_cache(maxsize=200_000)
def _is_word(piece: str) -> bool:
    piece = piece.lower()
    if len(piece) == 1:
        return piece in ONE_LETTER_WORDS
    if _sv(piece) >= WORD_ZIPF or (piece.endswith("s") and _sv(piece[:-1]) >= WORD_ZIPF):
        return True  # genitive/passive forms are rare in wordfreq: "händelsens", "amorteras"
    stem = piece[:-1] if piece.endswith("s") else piece
    return len(stem) >= 6 and any(
        _is_part(stem[:i]) and _sv(stem[i:]) >= PART_ZIPF for i in range(3, len(stem) - 2)
    )


def _repair_pair(left: str, right: str) -> str | None:
    """The repaired text for two letter runs separated by one space, or None to keep them."""
    left_word, right_word = _is_word(left), _is_word(right)
    if right[0].isupper() or (left_word and right_word):
        return None  # "i en", "de är": two real words stay apart; a capital starts a new word
    if (len(left) == 1 or len(right) == 1) and (left_word or right_word or not left.islower()):
        # "s i", "möjlighet a", "Barn o": a lone letter joins only another fragment, or
        # a word when the result is common: "u" + "tt" + "rycka" → "uttrycka" (zipf 3.6).
        strong = next(
            (left + lt + right for lt in LIGATURES if _sv((left + lt + right).lower()) >= STRONG_ZIPF), None
        )
        return strong if len(left) == 1 and left.islower() and not left_word and len(right) > 1 else None
    if left_word:
        # The glyph was lost at the start of the next word: "att ölja" → "att följa".
        for letters in START_LIGATURES:
            if _sv(letters + right) >= MIN_REPAIRED_ZIPF:
                return f"{left} {letters}{right}"
    for letters in LIGATURES:
        joined = left + letters + right
        if _sv(joined.lower()) >= MIN_REPAIRED_ZIPF or _is_split_compound(
            left.lower(), letters, right.lower()
        ):
            return joined
    return None


def _is_split_compound(left: str, letters: str, right: str) -> bool:
    # The ligature must lie inside the compound's second part: "våldsutsa"+"tt"+"a" is
    # "vålds" + "utsatta". A boundary exactly at the gap would accept any word + any
    # word starting with the letters ("slängts"+"fl"+"in" → "flin"); allow it only when
    # the right piece is itself no word ("jäm"+"f"+"ört" → "jäm" + "fört").
    joined = left + letters + right
    last = len(left) if len(right) >= 3 and not _is_word(right) else len(left) - 1
    return any(_is_part(joined[:i]) and _sv(joined[i:]) >= PART_ZIPF for i in range(MIN_HEAD, last + 1))


_LETTERS = re.compile(r"[^\W\d_]+")
_BEFORE = set("-/.:@_")
_AFTER = set("-:@_")


def repair_ligatures(text: str) -> str:
    """Repair words split where a PDF dropped a ligature glyph ("rela oner" → "relationer").

    Two letter runs separated by one space are repaired only when the result is a known
    Swedish word (wordfreq zipf ≥ 2, or a compound of common parts) and the pieces are not
    both words; a lone "a" before a word is "att" ("a göra" → "att göra").

    Args:
        text: page text.
    """
    out: list[str] = []
    pos = 0
    runs = list(_LETTERS.finditer(text))
    i = 0
    while i < len(runs):
        run = runs[i]
        left, start = run.group(0), run.start()
        out.append(text[pos:start])
        before = text[start - 1] if start else " "
        if not (before.isalnum() or before in _BEFORE):
            # Chains like "a u rycka": keep extending the left piece with each repair.
            while i + 1 < len(runs) and runs[i + 1].start() == run.end() + 1 and text[run.end()] == " ":
                nxt = runs[i + 1]
                after = text[nxt.end()] if nxt.end() < len(text) else " "
                if after.isalnum() or after in _AFTER:
                    break
                repaired = _repair_pair(left, nxt.group(0))
                if repaired is None:
                    break
                left, run = repaired, nxt
                i += 1
        out.append(left)
        pos = run.end()
        i += 1
    out.append(text[pos:])
    return _LONE_A.sub(lambda m: "Att " if m.group(0)[0] == "A" else "att ", "".join(out))
