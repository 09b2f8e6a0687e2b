"""The one Swedish analyzer, used both when indexing and when querying, so the two never drift.

analyze(text): words → drop stopwords → Snowball stem (on the real spelling: the
stemmer knows å/ä/ö) → fold (å/ä→a, ö→o: users often type without them) → plus
the stems of the parts of long compounds (hemsjukvårdsavgift → hem, sjukvård,
avgift), so a question about "avgift" finds "hemsjukvårdsavgiften".
Diarienummer-like tokens and numbers ("SN.2023.62", "11,2", "2023") stay whole.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH
from wordfreq import get_frequency_dict

#: Swedish month names → month number; the one table every date reader and writer uses.
MONTHS: dict[str, int] = {
    m: i
    for i, m in enumerate(
        "januari februari mars april maj juni juli augusti september oktober november december".split(), start=1
    )
}

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "è": "e", "ü": "u", "æ": "a", "ø": "o"})

# One token: a diarienummer-like code (letters, then year and serial joined by . / : -),
# a number with an optional decimal part ("11,2", "3.6"), or a word. Hyphenated words
# are split ("IFO-utskottet" → ifo, utskottet); the parts are what users type.
_DNR_TOKEN = r"[A-Za-zÅÄÖåäö]{1,6}(?:-[A-Za-zÅÄÖåäö]{1,6})*[ .\-/:]?(?:19|20)\d\d[.\-/:]\d{1,6}"
_TOKEN_RE = re.compile(rf"(?P<dnr>(?<![\w./-]){_DNR_TOKEN}(?![\w]|[.\-/:]\d))|(?P<num>\d+(?:[.,]\d+)?)|(?P<word>[^\W\d_]+)")

# Stopwords: bm25s's Swedish list, plus the folded spelling of each, because a
# question typed without å/ä/ö ("nar", "pa") must lose the same words.
STOPWORDS: frozenset[str] = frozenset(STOPWORDS_SWEDISH) | {"ska", "skall", "får", "fått", "finns", "ha", "även"}
_FOLDED_STOPWORDS = frozenset(w.translate(_FOLD) for w in STOPWORDS)

_STEMMER = Stemmer.Stemmer("swedish")

# Compound splitting. A part must be at least 3 letters and a known word: Zipf
# frequency ≥ 2.5 in wordfreq's Swedish list (≈ 3 per million words; below that the
# list holds rare compounds, names and typos). Words shorter than 10 letters (place names such as "strömsund" = ström + sund) or
# common in themselves (Zipf ≥ 4, e.g. "ordförande", "verksamhet") are not split:
# their parts ("ord", "verk") would only add noise.
MIN_PART = 3
MIN_COMPOUND = 10
PART_ZIPF = 2.5
SPLIT_BELOW_ZIPF = 4.0
_LINKS = ("", "s", "e")
# Municipal words missing from wordfreq's list but common as the first part of
# compounds: without "delår", delårsrapport could only split as del + årsrapport.
_EXTRA_WORDS = {"delår": 3.5}


def fold(s: str) -> str:
    """Lower-case and drop Swedish diacritics, so "Strömsund" and "stromsund" compare equal.

    Args:
        s: any text.
    """
    return s.lower().translate(_FOLD)


def words(s: str) -> list[str]:
    """Lower-cased word, number and diarienummer tokens of ``s``, in order.

    Args:
        s: any text.
    """
    return [m.group(0).lower() for m in _TOKEN_RE.finditer(s)]


def is_stopword(word: str) -> bool:
    """True for a Swedish stopword, with or without its diacritics ("när", "nar").

    Args:
        word: one lower-case word.
    """
    # A word typed with å/ä/ö is checked as written: "år" (year) is not the stopword "är".
    return word in STOPWORDS if word != word.translate(_FOLD) else word in _FOLDED_STOPWORDS


@lru_cache(maxsize=1)
def _zipf_table() -> dict[str, float]:
    # Zipf = log10(frequency per billion words); 340k Swedish words, loaded once (~0.4 s).
    table = {w: math.log10(f) + 9 for w, f in get_frequency_dict("sv").items() if f > 0}
    table.update(_EXTRA_WORDS)
    return table


def zipf(word: str) -> float:
    """Zipf frequency of a Swedish word (0 when unknown).

    Args:
        word: one lower-case word with its diacritics.
    """
    return _zipf_table().get(word, 0.0)


@lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, ...]:
    """Parts of a Swedish compound, or () when the word is not split.

    The split with the fewest known parts wins; among equally few, the one with a
    linking -s- (delår-s-rapport, not del-årsrapport: in Swedish the linking s marks
    the main boundary), then the one whose rarest part is most frequent.

    Args:
        word: one lower-case word with its diacritics, e.g. "hemsjukvårdsavgift".
    """
    n = len(word)
    if n < MIN_COMPOUND or not word.isalpha() or zipf(word) >= SPLIT_BELOW_ZIPF:
        return ()
    table = _zipf_table()
    stems: dict[int, float] = {}

    def head_z(i: int) -> float:
        # The head carries the inflection, and inflected forms of rare words are rarer
        # still: "rådgivningen" counts as known when its stem "rådgivning" is.
        if i not in stems:
            tail = word[i:]
            stems[i] = max(table.get(tail, 0.0), table.get(_STEMMER.stemWord(tail), 0.0) - 0.5)
        return stems[i]

    # Top-down with a memo: only positions right after a known part are explored,
    # ~6 per word instead of all n. Key: (parts, -links_s, -min_zipf); fewer parts first.
    memo: dict[int, tuple[int, int, float, tuple[str, ...]] | None] = {n: (0, 0, -99.0, ())}

    def best(i: int) -> tuple[int, int, float, tuple[str, ...]] | None:
        if i in memo:
            return memo[i]
        found: tuple[int, int, float, tuple[str, ...]] | None = None
        # The whole word is not one of its own parts: j stops short of n when i is 0.
        for j in range(i + MIN_PART, n + (i > 0)):
            if j == n:
                z = head_z(i)
            else:
                part = word[i:j]
                # A first part may lack its final vowel ("skolfrånvaro": skola → skol).
                z = table.get(part, 0.0)
                if z < PART_ZIPF:
                    z = table.get(part + "a", 0.0) - 0.5
            if z < PART_ZIPF:
                continue
            for link in _LINKS:
                k = j + len(link)
                if link and (k >= n or word[j:k] != link):
                    continue
                rest = best(k) if n - k >= MIN_PART or k == n else None
                if rest is None:
                    continue
                cand = (rest[0] + 1, rest[1] - (link == "s"), max(rest[2], -z), (word[i:j], *rest[3]))
                if found is None or cand[:3] < found[:3]:
                    found = cand
        memo[i] = found
        return found

    top = best(0)
    return top[3] if top is not None and top[0] > 1 else ()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Folded Snowball stem of one lower-case word ("socialnämnden" → "socialnamnd").

    Args:
        word: one lower-case word, preferably with its diacritics.
    """
    return fold(_STEMMER.stemWord(word))


@lru_cache(maxsize=200_000)
def _word_terms(word: str, compounds: bool) -> tuple[str, ...]:
    """Terms of one lower-case word: () for a stopword, its stem, then its compound parts' stems."""
    if is_stopword(word):
        return ()
    terms = [stem(word)]
    for part in split_compound(word) if compounds else ():
        s = stem(part)
        if s not in terms and not is_stopword(part):
            terms.append(s)
    return tuple(terms)


def dnr_key(token: str) -> str:
    """BM25 term for a diarienummer-like token: folded, separators unified ("SN/2023:62" → "sn.2023.62").

    Args:
        token: one diarienummer as written.
    """
    return re.sub(r"[ .\-/:]+", ".", fold(token))


def analyze(s: str, compounds: bool = True) -> list[str]:
    """BM25 terms of ``s``: stemmed, folded, stopwords dropped, compound parts added.

    Args:
        s: any text (a chunk or a question).
        compounds: add the parts of long compounds as extra terms.
    """
    terms: list[str] = []
    # findall on the lower-cased text and a cached result per word: ~1 µs a token.
    for dnr, num, word in _TOKEN_RE.findall(s.lower()):
        if word:
            terms.extend(_word_terms(word, compounds))
        elif num:
            terms.append(num.replace(".", ","))
        else:
            # Whole key for exact hits, plus its pieces so a loosely typed "sn 2023 62" still matches.
            terms.append(dnr_key(dnr))
            terms.extend(re.findall(r"[^\W\d_]+|\d+", dnr))
    return terms


@lru_cache(maxsize=1)
def _folded_words() -> dict[str, str]:
    # Folded spelling → the most frequent known word with it: "har" stays "har" (not "här").
    table = _zipf_table()
    out: dict[str, str] = {}
    for w in sorted((w for w, z in table.items() if z >= PART_ZIPF and w.isalpha()), key=lambda w: -table[w]):
        out.setdefault(w.translate(_FOLD), w)
    return out


@lru_cache(maxsize=20_000)
def _restore_parts(s: str) -> tuple[str, ...] | None:
    known = _folded_words()
    if s in known:
        return (known[s],)
    best: tuple[str, ...] | None = None
    for j in range(len(s) - MIN_PART, MIN_PART - 1, -1):
        head = s[:j]
        if head not in known:
            continue
        for link in _LINKS:
            if not s.startswith(link, j):
                continue
            rest = _restore_parts(s[j + len(link) :]) if len(s) - j - len(link) >= MIN_PART else None
            if rest is not None and (best is None or len(rest) + 1 < len(best)):
                best = (known[head] + link, *rest)
    return best


def restore_diacritics(word: str) -> str:
    """``word`` typed without å/ä/ö spelt as Swedish writes it, part by part for compounds; else unchanged.

    Args:
        word: one lower-case word, e.g. "hemsjukvardsavgiften" → "hemsjukvårdsavgiften".
    """
    if not word.isalpha() or word != word.translate(_FOLD):
        return word
    parts = _restore_parts(word)
    return "".join(parts) if parts else word
