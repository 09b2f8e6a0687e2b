"""Retrieval: question → ranked, de-duplicated passages.

1. Understand the question (assistent.query): references (dnr, §), kommun, nämnd,
   dates, document type, intent; follow-ups are merged with the earlier question.
2. Scope: explicit filters are hard; a kommun/nämnd the question names becomes a
   hard filter only when the store holds it (else the answerer says it is not covered).
3. Candidates from three retrievers: exact references (sections filed under the dnr,
   the § asked for), dense (e5 ``query:`` vs ``passage:``, Chroma) and BM25 (Swedish
   stems, compound parts, synonyms, typo repair).
4. Reciprocal rank fusion, then structure-aware boosts, then one passage per section.

Worked example of the fusion: with rrf_k = 60 a chunk ranked 1st by dense and 3rd by
BM25 scores 1/61 + 1/63 = 0.0323; one ranked 1st by BM25 only scores 0.0164. A
decision question multiplies chunks from a beslut part by 1.35, so 0.0164 → 0.0221:
structure can lift a beslut above a neighbour it nearly tied with, never above a
passage both retrievers agree on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistent.followup import contextualize
from assistent.query import ParsedQuery, parse_query
from grund.records import Chunk, Filters, Passage, Section

if TYPE_CHECKING:
    from assistent.services import Services

# Multipliers on the fused score. Exact references dominate: a question that names
# SN.2023.75 is about that case whatever the embeddings think.
BOOST_EXACT_DNR = 4.0
#: Among the sections filed under a named dnr, the one whose own heading carries it comes
#: first: the protokoll § that decided the case, then the tjänsteskrivelse that proposed it;
#: a plan's heading blocks merely inherit their document's dnr.
DNR_SECTION_WEIGHT = {"paragraf": 1.0, "tjansteskrivelse": 0.85}
DNR_INHERITED_WEIGHT = 0.7
BOOST_EXACT_PARAGRAF = 3.0
BOOST_DECISION_PART = 1.35
BOOST_METADATA = 1.2
BOOST_DOCTYPE = 1.15


@dataclass
class Retrieval:
    """What retrieval found and how it searched (the answerer needs both)."""

    question: str
    effective_question: str
    parsed: ParsedQuery
    filters: Filters
    passages: list[Passage]
    chunks: dict[str, Chunk] = field(default_factory=dict)
    exact_sections: list[Section] = field(default_factory=list)
    unknown_scope: list[str] = field(default_factory=list)
    #: the question's e5 vector as retrieval used it (the answer engine reuses it: one encoding per question)
    query_vector: Any = None

    def scope_text(self, facets: dict) -> str:
        """Swedish description of what was searched, for abstentions."""
        kommuner = [self.filters.kommun] if self.filters.kommun else facets.get("kommuner", [])
        bits = ["dokument från " + (", ".join(kommuner) if kommuner else "alla kommuner")]
        if self.filters.namnd:
            bits.append(f"nämnd: {self.filters.namnd}")
        if self.filters.dokumenttyp:
            bits.append(f"dokumenttyp: {self.filters.dokumenttyp}")
        lo = self.filters.date_from or facets.get("date_min")
        hi = self.filters.date_to or facets.get("date_max")
        if lo and hi:
            bits.append(f"perioden {lo.isoformat()}–{hi.isoformat()}")
        return ", ".join(bits)


def _merge_filters(explicit: Filters | None, parsed: ParsedQuery, facets: dict) -> tuple[Filters, list[str]]:
    """Explicit filters win; the question's kommun applies when the store holds it.

    A nämnd named in the question only boosts: "kommunfullmäktige ska besluta" names an
    organ as a topic, and nämnd names vary too much between kommuner to filter on.
    """
    f = explicit.model_copy() if explicit else Filters()
    unknown: list[str] = []
    if not f.kommun and parsed.kommun:
        held = _match_known(parsed.kommun, facets.get("kommuner", []))
        if held:
            f.kommun = held
        else:
            unknown.append(parsed.kommun)
    return f, unknown


def _match_known(name: str, known: list[str]) -> str | None:
    from grund.textproc import fold

    key = fold(name).replace(" kommun", "").replace(" stad", "").strip()
    for k in known:
        kk = fold(k).replace(" kommun", "").replace(" stad", "").strip()
        if key == kk or key.rstrip("s") == kk.rstrip("s"):
            return k
    return None


def _where(f: Filters) -> dict | None:
    clauses: list[dict] = []
    for col in ("kommun", "namnd", "dokumenttyp"):
        if getattr(f, col):
            clauses.append({col: getattr(f, col)})
    if f.date_from:
        clauses.append({"datum": {"$gte": int(f.date_from.strftime("%Y%m%d"))}})
    if f.date_to:
        clauses.append({"datum": {"$lte": int(f.date_to.strftime("%Y%m%d"))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _exact_sections(
    assistant: Services, parsed: ParsedQuery, f: Filters
) -> tuple[list[Section], list[Section]]:
    """Sections named by dnr and by § in the question (within the scope)."""
    store = assistant.store
    by_dnr: dict[str, Section] = {}
    for norm in parsed.dnr_norm:
        for s in store.sections_by_dnr(norm):
            by_dnr[s.id] = s
    by_par: dict[str, Section] = {}
    for nr in parsed.paragrafer:
        for s in store.sections_by_paragraf(nr):
            doc = store.get_document(s.document_id)
            if doc is None:
                continue
            if f.kommun and doc.kommun != f.kommun:
                continue
            datum = s.datum or doc.datum
            if parsed.date_from and datum and not (parsed.date_from <= datum <= (parsed.date_to or datum)):
                continue
            by_par[s.id] = s
    return list(by_dnr.values()), list(by_par.values())


def retrieve(
    assistant: Services,
    question: str,
    filters: Filters | None = None,
    k: int = 10,
    history: list[str] | None = None,
) -> Retrieval:
    """Hybrid retrieval for one question.

    Args:
        assistant: holds the store and the embedding model.
        question: as typed.
        filters: explicit filters (hard).
        k: passages to return (distinct sections).
        history: earlier questions of the conversation (follow-ups borrow their topic).
    """
    settings = assistant.settings.retrieval
    store = assistant.store
    facets = store.facets()
    effective = contextualize(question, history or [])
    parsed = parse_query(effective, facets.get("kommuner", []), facets.get("namnder", []))
    f, unknown = _merge_filters(filters, parsed, facets)
    result = Retrieval(question, effective, parsed, f, [], unknown_scope=unknown)
    if store.count_documents() == 0 or unknown:
        return result

    n = settings.candidates
    allowed = store.chunk_ids_where(f)
    ranks: dict[str, list[int]] = defaultdict(list)

    # dense: the question spelt as the documents spell it ("stromsund" → "Strömsund"), since
    # e5 reads "barnutredingar" as a different word while BM25 has its own typo repair
    lexical = store.lexical()
    qvec = assistant.embedder.embed_query(lexical.restore(parsed.search_text))
    result.query_vector = qvec
    for rank, (cid, _sim) in enumerate(store.dense_search(qvec, n, _where(f), allowed=allowed)):
        ranks[cid].append(rank)
    # lexical
    for rank, (cid, _score) in enumerate(lexical.search(parsed.search_text, n, allowed_ids=allowed)):
        ranks[cid].append(rank)

    # exact references: every chunk of the named sections joins the candidates
    by_dnr, by_par = _exact_sections(assistant, parsed, f)
    result.exact_sections = by_dnr + [s for s in by_par if s.id not in {x.id for x in by_dnr}]
    exact_boost: dict[str, float] = {}
    for sections, boost in ((by_par, BOOST_EXACT_PARAGRAF), (by_dnr, BOOST_EXACT_DNR)):
        for s in sections:
            if sections is by_dnr:
                boost = BOOST_EXACT_DNR * DNR_SECTION_WEIGHT.get(s.kind, DNR_INHERITED_WEIGHT)
            for c in store.chunks_of_section(s.id):
                if allowed is None or c.id in allowed:
                    exact_boost[c.id] = max(exact_boost.get(c.id, 1.0), boost)
                    ranks.setdefault(c.id, [n])

    chunks = store.get_chunks(ranks)
    result.chunks = chunks
    fused = rrf(ranks, settings.rrf_k)
    scored: list[tuple[float, Chunk]] = []
    for cid in ranks:
        hit = chunks.get(cid)
        if hit is None:  # a vector SQLite no longer knows (interrupted ingest): never shown
            continue
        c = hit
        score = fused[cid] * exact_boost.get(cid, 1.0)
        if parsed.intent == "decision" and c.part in ("beslut", "forslag"):
            score *= BOOST_DECISION_PART
        if parsed.namnd and c.namnd and _match_known(parsed.namnd, [c.namnd]):
            score *= BOOST_METADATA
        if parsed.date_from and c.datum and parsed.date_from <= c.datum <= (parsed.date_to or c.datum):
            score *= BOOST_METADATA
        if parsed.dokumenttyp and c.dokumenttyp == parsed.dokumenttyp:
            score *= BOOST_DOCTYPE
        scored.append((score, c))
    scored.sort(key=lambda t: -t[0])
    if settings.reranker:
        scored = _rerank(assistant, parsed.search_text, scored[:n], exact_boost)

    # one passage per section: the best chunk, joined by the section's next-best chunk
    # when that one also made the candidates (a fact often straddles a chunk border)
    by_section: dict[str, list[tuple[float, Chunk]]] = defaultdict(list)
    order: list[str] = []
    for score, c in scored:
        if c.section_id not in by_section:
            order.append(c.section_id)
        by_section[c.section_id].append((score, c))
    exact_ids = {s.id for s in result.exact_sections}
    for sid in order[:k]:
        best_score, best = by_section[sid][0]
        text = best.text
        if sid in exact_ids:
            # a § or case asked for by name is shown whole, when it is short enough
            text = _whole_section([c for _, c in by_section[sid]]) or text
        elif len(by_section[sid]) > 1:
            second_score, second = by_section[sid][1]
            first, last = sorted((best, second), key=lambda c: c.index)
            if last.index - first.index == 1:
                text = _join_overlapping(first.text, last.text)
            elif second_score >= SECOND_CHUNK_SHARE * best_score:
                # the question's other half is further on in the section (a bilaga's clause)
                text = f"{first.text} … {last.text}"
        result.passages.append(to_passage(best, text, best_score))
    return result


#: A section's second-best chunk, not adjacent to its best, joins the passage (after
#: " … ") when it scores at least this share of the best.
SECOND_CHUNK_SHARE = 0.6
#: Words up to which a section named in the question is shown whole as one passage.
WHOLE_SECTION_WORDS = 450


def _whole_section(chunks: list[Chunk]) -> str | None:
    """The section from its start: its chunks joined in order up to WHOLE_SECTION_WORDS
    (None when its first chunk is not among them)."""
    chunks = sorted(chunks, key=lambda c: c.index)
    if chunks[0].index != 0:
        return None
    text = chunks[0].text
    for prev, c in zip(chunks, chunks[1:], strict=False):
        if c.index != prev.index + 1:
            break
        joined = _join_overlapping(text, c.text)
        if len(joined.split()) > WHOLE_SECTION_WORDS:
            break
        text = joined
    return text


def _rerank(
    assistant: Services, query: str, scored: list[tuple[float, Chunk]], exact: dict[str, float]
) -> list[tuple[float, Chunk]]:
    """Reorder the fused candidates by a cross-encoder (optional; none ships offline).

    The cross-encoder's score decides the order, except that chunks of a section the
    question names (dnr, §) stay ahead: a model cannot know that "§ 26" means that §.
    """
    model = assistant.reranker
    ce = model.predict([(query, c.embed_text) for _, c in scored], show_progress_bar=False)
    out = [(float(x) + (1e3 if c.id in exact else 0.0), c) for x, (_, c) in zip(ce, scored, strict=True)]
    return sorted(out, key=lambda t: -t[0])


def rrf(ranks: dict[str, list[int]], k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion: each list a candidate appears in adds 1 / (k + rank + 1).

    Args:
        ranks: candidate id → its 0-based rank in each retriever that found it.
        k: damping constant; 60 is the value of the original RRF paper.
    """
    return {cid: sum(1.0 / (k + r + 1) for r in rs) for cid, rs in ranks.items()}


def _join_overlapping(a: str, b: str) -> str:
    """Join consecutive chunks, dropping the words b repeats from a's tail (chunk overlap)."""
    aw, bw = a.split(), b.split()
    for n in range(min(len(aw), len(bw), 80), 0, -1):
        if aw[-n:] == bw[:n]:
            return " ".join(aw + bw[n:])
    return a + " " + b


def to_passage(c: Chunk, text: str, score: float) -> Passage:
    return Passage(
        kommun=c.kommun,
        namnd=c.namnd,
        datum=c.datum,
        dokumenttyp=c.dokumenttyp,
        diarienummer=c.diarienummer,
        paragraf=c.paragraf,
        rubrik=c.rubrik,
        fil=c.fil,
        sida=c.sida,
        text=text,
        score=round(score, 6),
        chunk_id=c.id,
        section_id=c.section_id,
        document_id=c.document_id,
        part=c.part,
    )
