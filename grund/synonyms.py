"""Swedish municipal synonyms and abbreviations, for query expansion.

Each group lists ways of saying the same thing in nämnd documents; a question
that uses one of them also searches for the others. General municipal vocabulary
(the terms of SoL, LSS, HSL and kommunal budget work), not tuned to any corpus.
Matching is on stems of the folded words (see grund.textproc), so inflected
forms ("försörjningsstödet", "socialnämndens") trigger their group as well.
"""

from __future__ import annotations

from functools import lru_cache

from grund.textproc import analyze

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    # socialtjänst: ekonomi och bistånd
    ("försörjningsstöd", "ekonomiskt bistånd", "socialbidrag"),
    ("biståndsbeslut", "beslut om bistånd"),
    ("orosanmälan", "anmälan om oro", "orosanmälningar"),
    ("IFO", "individ- och familjeomsorg", "individ och familjeomsorgen"),
    ("soc", "socialnämnden", "socialtjänsten"),
    ("socialkontor", "socialförvaltning"),
    ("VoO", "vård och omsorg"),
    ("LSS", "lagen om stöd och service till vissa funktionshindrade", "funktionsstöd"),
    ("SoL", "socialtjänstlagen"),
    ("HSL", "hälso- och sjukvårdslagen"),
    ("LVU", "lagen med särskilda bestämmelser om vård av unga"),
    ("LVM", "lagen om vård av missbrukare"),
    ("IVO", "Inspektionen för vård och omsorg"),
    ("SKR", "Sveriges Kommuner och Regioner"),
    # äldreomsorg och vård
    ("hemsjukvård", "hälso- och sjukvård i hemmet"),
    ("äldreboende", "särskilt boende", "vård- och omsorgsboende", "SÄBO"),
    ("hemtjänst", "hemtjänsten", "stöd i hemmet"),
    ("gruppbostad", "gruppboende", "bostad med särskild service"),
    ("korttidsboende", "korttidsvistelse"),
    ("missbruksvård", "missbruks- och beroendevård", "beroendevård"),
    ("våld i nära relationer", "relationsvåld", "våld i nära relation"),
    # arbete och ungdom
    ("sommarjobb", "feriepraktik", "feriearbete", "sommarpraktik"),
    ("skolfrånvaro", "frånvaro i skolan", "hemmasittare"),
    ("SSPF", "skola socialtjänst polis fritid"),
    # ekonomi
    ("budget", "ekonomiska ramar", "budgetram"),
    ("mkr", "mnkr", "miljoner kronor", "miljoner"),
    ("tkr", "tusen kronor"),
    ("underskott", "negativ avvikelse", "budgetavvikelse"),
    ("bokslut", "årsredovisning", "årsbokslut"),
    ("delårsrapport", "delårsbokslut", "delårsuppföljning"),
    ("statsbidrag", "statligt bidrag"),
    # organisation och beslut
    ("KF", "kommunfullmäktige", "fullmäktige"),
    ("KS", "kommunstyrelsen"),
    ("AU", "arbetsutskottet"),
    ("nämndmål", "mål för nämnden", "inriktningsmål"),
    ("sammanträde", "möte", "nämndmöte"),
    ("protokoll", "sammanträdesprotokoll", "protokollsutdrag"),
    ("kallelse", "föredragningslista", "dagordning"),
    ("tjänsteskrivelse", "tjänsteutlåtande", "beslutsunderlag"),
    ("reglemente", "arbetsordning"),
    ("delegationsbeslut", "delegeringsbeslut", "beslut fattade på delegation"),
    ("ej verkställda beslut", "icke verkställda beslut", "ej verkställda gynnande beslut"),
    ("sjukfrånvaro", "sjuktal", "frånvaro på grund av sjukdom"),
    # uppföljning av mål
    ("utgångsläge", "ingångsvärde", "utgångsvärde", "nuläge", "startvärde"),
    ("målvärde", "målnivå"),
    ("brist", "brister", "saknas", "saknades", "förbättringsområde", "förbättringsmöjligheter"),
    ("uppfylld", "uppfyllt", "uppfylls", "uppnått", "uppnåtts", "uppnådd", "uppnås"),
    ("uppföljning", "följs upp", "avrapportering"),
    # perioder som tabeller skriver kort
    ("halvår", "jan-jun", "januari-juni"),
    ("helår", "jan-dec", "januari-december"),
)


@lru_cache(maxsize=1)
def _stem_groups() -> tuple[tuple[tuple[str, ...], ...], ...]:
    # Stems without compound parts: a phrase matches only when its own words appear in order.
    return tuple(tuple(tuple(analyze(p, compounds=False)) for p in group) for group in SYNONYM_GROUPS)


def _contains(seq: list[str], sub: tuple[str, ...]) -> bool:
    n = len(sub)
    return n > 0 and any(tuple(seq[i : i + n]) == sub for i in range(len(seq) - n + 1))


def synonyms_for(text: str) -> list[str]:
    """The other phrases of every synonym group that ``text`` mentions, in table order.

    Args:
        text: a question, e.g. "Hur många fick försörjningsstöd 2023?".
    """
    stems = analyze(text, compounds=False)
    out: list[str] = []
    for group, stem_group in zip(SYNONYM_GROUPS, _stem_groups(), strict=True):
        hit = [i for i, sg in enumerate(stem_group) if _contains(stems, sg)]
        if hit:
            out.extend(p for i, p in enumerate(group) if i not in hit and p not in out)
    return out


@lru_cache(maxsize=4096)
def alternatives(stem: str) -> tuple[tuple[str, ...], ...]:
    """Other ways of saying a one-word phrase, as stem tuples: "underskot" →
    (("negativ", "avvikels"), ("budgetavvikels",)). Used to credit a sentence that
    says the same thing in other words.

    Args:
        stem: the folded stem of one word (grund.textproc.analyze, no compounds).
    """
    out: list[tuple[str, ...]] = []
    for stem_group in _stem_groups():
        if (stem,) in stem_group:
            out.extend(sg for sg in stem_group if sg != (stem,) and sg and sg not in out)
    return tuple(out)
