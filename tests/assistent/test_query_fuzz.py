"""Fuzzing (hypothesis, bounded examples): question parsing never crashes and stays fast."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistent.followup import contextualize
from assistent.query import parse_query

_ALPHABET = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzåäöÅÄÖ0123456789 .,:?-/§"))
QUESTION = st.text(alphabet=_ALPHABET, max_size=300)
KOMMUNER = ["Strömsunds kommun", "Gnesta kommun", "Nykarleby stad"]
NAMNDER = ["Socialnämnden", "Kommunstyrelsen"]


@settings(max_examples=200, deadline=2000)
@given(st.one_of(QUESTION, st.text(max_size=300)), st.lists(QUESTION, max_size=3))
def test_parse_query_never_crashes(question, history):
    parsed = parse_query(contextualize(question, history), KOMMUNER, NAMNDER)
    assert parsed.kommun is None or isinstance(parsed.kommun, str)
    assert all(isinstance(n, int) for n in parsed.paragrafer)
