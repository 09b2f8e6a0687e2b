"""Fuzzing (hypothesis, bounded examples): dnr/§ parsing, the text readers, cleaning, segmenting,
chunking and the output filters never raise anything but InputFileError and stay fast."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grund.dnr import find_diarienummer, normalize_dnr, normalize_paragraf
from grund.errors import InputFileError
from grund.injection import find_instructions
from grund.privacy import mask_personnummer
from grund.settings import Settings

#: Text that looks like the documents: Swedish letters, digits, the separators of dnr and
#: dates, §, newlines, and the odd control character or NUL.
_ALPHABET = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzåäöABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ0123456789 .,:;-/+§\n\t\x00\x0c()»"))
TEXT = st.text(alphabet=_ALPHABET, max_size=400)
NUMBERISH = st.text(alphabet=st.sampled_from(list("0123456789.-/ §SNKSVfdnr")), max_size=200)
FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.one_of(TEXT, NUMBERISH, st.text(max_size=200)))
def test_dnr_and_paragraf_parsing_never_crash(text):
    for m in find_diarienummer(text):
        assert isinstance(m.norm, str)
    assert isinstance(normalize_dnr(text), str)
    nr = normalize_paragraf(text)
    assert nr is None or isinstance(nr, int)


@FUZZ
@given(st.integers(min_value=1, max_value=9000))
def test_long_digit_runs_in_a_dnr_are_bounded(n):
    assert isinstance(normalize_dnr("SN.2024." + "9" * n), str)
    assert normalize_paragraf("§ " + "9" * n) is None or isinstance(normalize_paragraf("§ " + "9" * n), int)


@FUZZ
@given(st.one_of(TEXT, st.text(max_size=300)))
def test_output_filters_never_crash_and_are_idempotent(text):
    once = mask_personnummer(text)
    assert mask_personnummer(once) == once
    assert len(find_instructions(text)) <= 3


@pytest.fixture(scope="module")
def reader_settings(tmp_path_factory):
    return Settings(data_dir=tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(data=st.one_of(st.binary(max_size=2000), TEXT.map(lambda t: t.encode("utf-8"))), ext=st.sampled_from([".txt", ".md", ".html"]))
def test_text_readers_and_parsing_only_raise_input_errors(tmp_path_factory, reader_settings, data, ext):
    from ingest.pipeline import parse_file

    path = Path(tmp_path_factory.mktemp("f")) / f"fil{ext}"
    path.write_bytes(data)
    try:
        _raw, parsed, chunks = parse_file(path, reader_settings)
    except InputFileError:
        return
    assert chunks and all(c.section_id.startswith(parsed.document.id) for c in chunks)
    assert not any("\x00" in s.text for s in parsed.sections)
