"""Follow-up questions: whether a short question leans on the previous one ("och vad kostar det?")
and the question with the earlier topic and references added, for search.

The answer engine carries more than words (assistent.engine.converse: the kommun and case the
previous *answer* resolved); this module is the textual part, used by retrieval too.
"""

from __future__ import annotations

import re

from assistent.query import LOOKUP_FILLER, parse_query, short_name
from grund.textproc import fold, is_stopword, words

_FOLLOWUP_OPENERS = ("och ", "men ", "samt ", "också ", "ocksa ", "än ", "an ", "hur är det med", "hur ar det med",
                     "vad sägs om", "vad sags om", "vad kostar det", "vad betyder det", "varför då", "varfor da")
_PRONOUNS = {"det", "den", "dem", "de", "detta", "dessa", "där", "dar", "dit", "då", "da", "han", "hon", "denne", "dom"}
# Verbs and question words that ask something about an earlier topic without naming one.
_NO_TOPIC = {"kostar", "kosta", "kostade", "blir", "blev", "gäller", "galler", "hände", "hande", "händer", "hander",
             "gjorde", "gör", "gor", "betyder", "innebär", "innebar", "betalar", "tar", "tog", "får", "far", "fick",
             "kommer", "finns", "fanns", "hur", "när", "nar", "vem", "vilka", "vilken", "vilket", "varför", "varfor",
             "många", "manga", "mycket", "mycke", "lång", "lang", "länge", "lange", "ofta", "beslutades", "beslutade",
             "sa", "sade", "tycker", "menar", "klart", "klar", "igen", "också", "ocksa", "då", "da", "vad", "o"}
MAX_FOLLOWUP_WORDS = 8


def _topic_words(text: str) -> list[str]:
    return [w for w in words(text) if not w.isdigit() and not is_stopword(w) and w not in _NO_TOPIC and w not in _PRONOUNS]


def is_followup(text: str) -> bool:
    """True when a short question leans on the previous one ("och vad kostar det?").

    Args:
        text: the new question.
    """
    ws = words(text)
    if not ws or len(ws) > MAX_FOLLOWUP_WORDS:
        return False
    low = " ".join(ws) + " "
    if low.startswith(_FOLLOWUP_OPENERS):
        return True
    parsed = parse_query(text)
    if parsed.dnr or parsed.paragrafer:
        return False
    # A pronoun with no topic noun beside it ("vad kostar det?", "när beslutades den?").
    return any(w in _PRONOUNS for w in ws) and not _topic_words(text)


def contextualize(text: str, history: list[str]) -> str:
    """A follow-up question with the previous question's topic and references added; other questions unchanged.

    Args:
        text: the new question.
        history: earlier questions of the conversation, oldest first.
    """
    if not history or not is_followup(text):
        return text
    previous = contextualize(history[-1], history[:-1])
    now = parse_query(text)
    before = parse_query(previous)
    own = {fold(w) for w in words(text)}
    carried: list[str] = []
    for ref in before.dnr + [f"§ {n}" for n in before.paragrafer]:
        if fold(ref) not in fold(text):
            carried.append(ref)
    # A kommun or nämnd the follow-up names itself replaces the earlier one ("och i Gnesta?").
    drop: set[str] = set()
    if now.kommun and before.kommun and now.kommun != before.kommun:
        drop |= {fold(w) for w in words(previous) if fold(w).startswith(fold(short_name(before.kommun))[:5])}
    if now.namnd and before.namnd and now.namnd != before.namnd:
        drop |= set(words(fold(before.namnd)))
    ref_text = fold(" ".join(before.dnr))
    for w in _topic_words(previous):
        f = fold(w)
        if f in own or f in drop or f in ref_text or f in LOOKUP_FILLER or f in {fold(c) for c in carried}:
            continue
        carried.append(_original_word(previous, w))
    return f"{text.strip()} ({' '.join(carried)})" if carried else text


def _original_word(text: str, lower: str) -> str:
    """``lower`` as written in ``text`` (keeps "Strömsund" capitalised)."""
    m = re.search(rf"(?<!\w){re.escape(lower)}(?!\w)", text, re.IGNORECASE)
    return m.group(0) if m else lower
