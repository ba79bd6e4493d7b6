"""The scanner's rules for text: every way of writing an identifier named in the issue is
caught, the harmless look-alikes are not, and messages never echo one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from implementere_kit.errors import ValidationError, safe_value
from implementere_kit.exchange import identifiers
from implementere_kit.exchange.identifiers import (
    KINDS,
    is_valid_cpr,
    is_valid_fodselsnummer,
    kind_of_fodselsnummer,
    kinds_in_value,
    looks_like_identifier,
    normalise,
    scan_text,
)
from implementere_kit.exchange.scan import check_kinds
from tests.idgen import EN_DASH, NBSP, NNBSP, make_cpr, make_fh, make_fnr


def first_fnr(date, start, **shift):
    """The first individual number from ``start`` with valid control digits."""
    return next(f for i in range(start, start + 50) if (f := make_fnr(date, i, **shift)))


FNR = first_fnr(dt.date(2003, 2, 1), 512)  # born 1 February 2003: leading zero
D_NR = first_fnr(dt.date(1985, 1, 1), 123, day_add=40)
H_NR = first_fnr(dt.date(1990, 5, 7), 240, month_add=40)
FH_NR = make_fh(8, 12345678)
CPR = make_cpr(dt.date(2003, 2, 1), 4, 123)  # 010203-4123
REPL = make_cpr(dt.date(2003, 2, 7), 4, 123, replacement=True)  # day 67

# Every variant of the "Why", one case each: (text, kind).
CAUGHT = [
    # fødselsnummer that lost its leading zero, as a 10-digit text
    (FNR[1:], "fodselsnummer"),
    # CPR with en dash, no-break space, narrow no-break space, dots, prefixes
    (f"{CPR[:6]}{EN_DASH}{CPR[6:]}", "cpr"),
    (f"{CPR[:6]}{NBSP}{CPR[6:]}", "cpr"),
    (f"{CPR[:6]}{NNBSP}{CPR[6:]}", "cpr"),
    (f"{CPR[:2]}.{CPR[2:4]}.{CPR[4:6]}-{CPR[6:]}", "cpr"),
    (f"cpr.nr.{CPR[:6]}-{CPR[6:]}", "cpr"),
    (f"cpr-nr:{CPR}", "cpr"),
    (f"CPR:{CPR[:6]}-{CPR[6:]}", "cpr"),
    (f"barn (cpr.nr. {CPR[:6]}-{CPR[6:]}) i gruppe", "cpr"),
    # Danish replacement CPR (day + 60)
    (f"{REPL[:6]}-{REPL[6:]}", "cpr_replacement"),
    # fødselsnummer in groups with spaces
    (f"{FNR[:6]} {FNR[6:]}", "fodselsnummer"),
    (f"{FNR[:2]} {FNR[2:4]} {FNR[4:6]} {FNR[6:9]} {FNR[9:]}", "fodselsnummer"),
    (f"{FNR[:6]} {FNR[6:9]} {FNR[9:]}", "fodselsnummer"),
    (f"fnr.{FNR}", "fodselsnummer"),
    (D_NR, "d_nummer"),
    (f"H-nr {H_NR}", "h_nummer"),
    # FH-nummer
    (FH_NR, "fh_nummer"),
    (f"pasient {FH_NR[:6]} {FH_NR[6:]}", "fh_nummer"),
    # phone numbers
    ("tlf.91234567", "phone"),
    ("tlf: 91 23 45 67", "phone"),
    ("+47-91234567", "phone"),
    ("+45 2012 3456", "phone"),
    ("912-34-567", "phone"),
    ("91 234 567", "phone"),
    ("91-23-45-67", "phone"),
    (f"ring 91{NNBSP}23{NNBSP}45{NNBSP}67", "phone"),
    (f"mobil 912{NBSP}34{NBSP}567", "phone"),
    ("(+47) 912 34 567", "phone"),
    ("0045 20123456", "phone"),
    ("tlf-91234567", "phone"),
    # e-mail with non-ASCII domain or local part
    ("skriv til kari@bærum.kommune.no", "email"),
    ("ø@nav.no", "email"),
    ("ÅSE.ØYEN@KOMMUNE.NO", "email"),
    ("ola (at) fjordheim.no", "email"),
    ("ola\uff20fjordheim.no", "email"),
    ("ola@xn--brum-roa.kommune.no", "email"),
]

HARMLESS = [
    "H-030623-0001", "Budget 45000000 kr", "budsjett 45 000 000", "45 000 000 kr",
    "p_0102031234abcdef", "p_9123456789012345", "2024-01-05", "20240105", "05.01.2024",
    "01.02.24 1400", "kl. 14:30", "0301-G0001-F1", "sak 2023/0102031234", "3.0102031234",
    "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "23456789-1234-4abc-8def-0123456789ab",
    "12.345.678", "NOK 12 345 678", "45000000,-", "98 %", "0102031234567", "ola@", "@nav",
    "version 1.2.3", "tlf", "9123456", "912345678901", "ID: G-010203-1234-A",
]


@pytest.mark.parametrize(("text", "kind"), CAUGHT)
def test_every_variant_is_caught(text, kind):
    assert kinds_in_value(text) == (kind,)
    assert looks_like_identifier(text)
    assert safe_value(text) == "<masked: looks like a personal identifier>"


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_look_alikes_are_not_flagged(text):
    assert kinds_in_value(text) == ()


def test_pseudonyms_are_never_flagged():
    import pandas as pd

    from implementere_kit.exchange.pseudonyms import pseudonymise

    ids = pd.Series([f"{i:011d}" for i in range(20000)])  # ids that are themselves digits
    pseudo = pseudonymise(ids, bytes(range(32))).to_numpy(dtype=object)
    assert not any(m.any() for m in scan_text(pseudo).values())


def test_normalise_maps_unicode_variants():
    assert normalise(f"010203{EN_DASH}1234") == "010203-1234"
    assert normalise(f"91{NNBSP}23{NBSP}45\u200967") == "91 23 45 67"
    assert normalise("０１０２０３\u20111234") == "010203-1234"  # fullwidth, non-breaking hyphen
    assert normalise("٠١٠٢٠٣-١٢٣٤") == "010203-1234"  # Arabic-Indic digits
    assert normalise("01\u200b0203\u00ad1234\tx") == "0102031234 x"  # zero width, soft hyphen
    assert normalise("ola＠bærum.kommune.no") == "ola@bærum.kommune.no"
    assert normalise("plain ascii") == "plain ascii"


def reference_kinds(text: str) -> set[str]:
    """Kinds in ``text`` by the module's regexes and the scalar validators alone, without
    the pre-filter or the vectorised classification."""
    text = identifiers._prepared(np.array([text], dtype=object))[0].as_py()
    found = set()
    if identifiers._EMAIL_RE.search(text):
        found.add("email")
    if identifiers._PHONE_RE.search(text):
        found.add("phone")
    spans = [m.group() for m in identifiers._PERSON_RE.finditer(text)]
    if identifiers._NINE_RE.fullmatch(text):
        spans.append(text.strip())
    for span in spans:
        kind = kind_of_fodselsnummer(span)
        if kind:
            found.add(kind)
        elif is_valid_cpr(span):
            found.add("cpr")
        elif is_valid_cpr(span, replacement=True):
            found.add("cpr_replacement")
    return found


def test_prefilter_and_vectorised_scan_match_plain_regex():
    rng = np.random.default_rng(11)
    tokens = ([FNR, FNR[1:], D_NR, H_NR, FH_NR, CPR, REPL, f"{CPR[:6]}-{CPR[6:]}",
               "912 34 567", "91 23 45 67", "+4791234567", "0045 2012 3456", "20240105",
               "ola@nav.no", "ø@bærum.no", "a.b@c", "p_", "-", EN_DASH, ".", ",", "+", "/",
               "ø", "x", "_", "T", "@", "010203", "1234", "12345", " ", NBSP, NNBSP, "kr",
               "tlf.", "cpr-nr:", "H-"]
              + [str(v) for v in rng.integers(0, 10**11, 60)])
    texts = ["".join(rng.choice(tokens, int(rng.integers(1, 6)))) for _ in range(4000)]
    texts += [str(v) for v in rng.integers(10**8, 10**9, 300)]  # whole-cell 9 digits
    texts = list(dict.fromkeys(texts))
    got = scan_text(np.array(texts, dtype=object))
    want = [reference_kinds(t) for t in texts]
    for kind in KINDS:
        assert got[kind].tolist() == [kind in w for w in want], kind
    assert all(got[k].any() for k in KINDS)


def test_scalar_validators():
    assert is_valid_cpr(CPR) and is_valid_cpr(f"{CPR[:2]}.{CPR[2:4]}.{CPR[4:6]}-{CPR[6:]}")
    assert is_valid_cpr(int(CPR)) and not is_valid_cpr(REPL)
    assert is_valid_cpr(REPL, replacement=True)
    assert not is_valid_cpr(True) and not is_valid_cpr(None) and not is_valid_cpr("12")
    assert not is_valid_cpr(f"x {CPR}")  # one number and nothing else
    assert kind_of_fodselsnummer(FH_NR) == "fh_nummer"
    assert kind_of_fodselsnummer(FNR[1:]) == "fodselsnummer"  # lost zero, one run of digits
    assert kind_of_fodselsnummer(f"{FNR[1:6]}-{FNR[6:]}") is None  # 10 digits with a separator
    assert kind_of_fodselsnummer(f"{FNR[:6]}{NNBSP}{FNR[6:]}") == "fodselsnummer"
    assert is_valid_fodselsnummer(int(FNR)) and not is_valid_fodselsnummer(-int(FNR))
    assert not is_valid_fodselsnummer(float(FNR)) and not is_valid_fodselsnummer([FNR])


def test_looks_like_identifier_masks_near_misses():
    typo = FNR[:10] + str((int(FNR[10]) + 1) % 10)  # one control digit wrong
    assert kinds_in_value(typo) == () and looks_like_identifier(typo)
    assert looks_like_identifier(102031235) and not looks_like_identifier(2024)
    assert not looks_like_identifier("H-030623-0001") and not looks_like_identifier(None)
    assert not looks_like_identifier(10**400) and not looks_like_identifier(float("nan"))


def test_safe_value_masks_every_kind_and_never_raises():
    for text, _ in CAUGHT:
        assert "masked" in safe_value(text)
        assert "masked" in safe_value([text])  # inside another object's text
    assert "masked" in safe_value(int(FNR)) and "masked" in safe_value(91234567)
    assert safe_value("H-030623-0001") == "'H-030623-0001'"
    assert safe_value("Budget 45000000 kr") == "'Budget 45000000 kr'"

    class Broken:
        def __str__(self):
            raise RuntimeError("no")

    assert safe_value(Broken()) == "<unprintable value>"
    long = "x" * 30 + f" {CPR} " + "y" * 30
    assert "masked" in safe_value(long)  # checked before it is cut


def test_check_kinds():
    assert check_kinds(None) == KINDS and check_kinds("email") == ("email",)
    with pytest.raises(ValidationError) as err:
        check_kinds(["phone", "passport", "name"])
    assert len(err.value.problems) == 2
    with pytest.raises(ValidationError):
        check_kinds(5)


def test_every_kind_has_a_label_in_every_language():
    from implementere_kit.i18n import LANGS, t

    for lang in LANGS:
        shown = [t(f"id_kind_{k}", lang) for k in KINDS]
        assert all(s != f"id_kind_{k}" for s, k in zip(shown, KINDS, strict=True)), lang
        assert len(set(shown)) == len(KINDS)
