"""Properties of the identifier scanner, with hypothesis.

- Every identifier, written in any format the issue names and planted anywhere — in
  text, a table cell, an integer column, a column name, the index, a table name or a
  descriptor — is found, and no output or message holds its digits in any form.
- Text of the harmless kinds (dates, amounts, group ids, pseudonyms, UUIDs) is not flagged.
- Malformed input to the public functions gives our errors, never a traceback.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from implementere_kit.errors import ImplementereError, PrivacyError, safe_value
from implementere_kit.exchange.identifiers import NUMBER_KINDS, kinds_in_value
from implementere_kit.exchange.privacy import (
    check_no_personal_ids,
    find_ids_in_metadata,
    find_personal_ids,
    is_valid_cpr,
    kind_of_fodselsnummer,
    pseudonymise,
)
from tests.idgen import KIND_STRATEGIES, digits_only, filler, planted

PROPS = settings(max_examples=150, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SLOW = settings(PROPS, max_examples=60)
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10)


def explains(kind: str, found, text: str) -> bool:
    """The planted kind was found, or another person-number reading of the same digits
    (10 digits in one run are both a CPR and a fødselsnummer that lost its zero)."""
    found = set(found)
    if kind in found:
        return True
    return kind in NUMBER_KINDS and bool(found & set(NUMBER_KINDS)) and len(
        digits_only(text.split("@")[0])) >= 10


def leaks(kind: str, canonical: str, output: str) -> bool:
    """Whether ``output`` holds the identifier in any digit-normalised form."""
    if kind == "email":
        return canonical.lower() in output.lower()
    digits = canonical if kind == "phone" else canonical[1:]  # also a lost leading zero
    return digits in digits_only(output)


@PROPS
@given(planted())
def test_planted_identifier_in_text_is_found(case):
    kind, text, _ = case
    assert explains(kind, kinds_in_value(text), text), (kind, text)


@SLOW
@given(case=planted(), where=st.sampled_from(["cell", "column name", "index", "table name",
                                              "int column"]),
       n_rows=st.integers(1, 30), data=st.data())
def test_planted_in_tables_is_found_and_never_echoed(case, where, n_rows, data):
    kind, text, canonical = case
    if where == "int column":
        assume(kind in NUMBER_KINDS or kind == "phone")
    columns = data.draw(st.lists(NAMES, min_size=1, max_size=4, unique=True), label="columns")
    cells = data.draw(st.lists(filler, min_size=n_rows * len(columns),
                               max_size=n_rows * len(columns)), label="cells")
    df = pd.DataFrame(np.array(cells, dtype=object).reshape(n_rows, len(columns)),
                      columns=columns)
    row = data.draw(st.integers(0, n_rows - 1), label="row")
    col = data.draw(st.integers(0, len(columns) - 1), label="column")
    table = data.draw(NAMES, label="table")
    if where == "cell":
        df.iloc[row, col] = text
        place = (table, columns[col])
    elif where == "column name":
        df.columns = [text if i == col else c for i, c in enumerate(columns)]
        place = (table, "<column names>")
    elif where == "index":
        df.index = [text if i == row else f"r{i}" for i in range(n_rows)]
        place = (table, "<index>")
    elif where == "table name":
        table, place = text, ("<table 1>", "<table name>")
    else:
        df["kontakt"] = [int(canonical) if i == row else i for i in range(n_rows)]
        place = (table, "kontakt")
    with pytest.raises(PrivacyError) as err:
        check_no_personal_ids({table: df})
    findings = err.value.findings
    at = findings[(findings["table"] == place[0]) & (findings["column"] == place[1])]
    assert explains(kind, at["kind"], text), (kind, text, findings)
    if where in ("cell", "index", "int column"):
        assert all(row + 1 in r for r in at["rows"])
    for output in (str(err.value), findings.to_string(), repr(findings.to_dict())):
        assert not leaks(kind, canonical, output), (kind, canonical)


def _json_like(leaf):
    return st.recursive(leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(NAMES, inner, max_size=4)), max_leaves=12)


@SLOW
@given(case=planted(), data=st.data())
def test_planted_in_metadata_is_found_and_never_echoed(case, data):
    kind, text, canonical = case
    harmless = st.one_of(st.none(), st.booleans(), st.integers(0, 999), filler)
    base = data.draw(st.dictionaries(NAMES, _json_like(harmless), min_size=1, max_size=4))
    # plant at a random place: as a value somewhere, or as a key
    path, node = [], base
    while True:
        if isinstance(node, dict) and node and data.draw(st.booleans()):
            key = data.draw(st.sampled_from(sorted(node)))
            if isinstance(node[key], dict | list) and node[key]:
                path.append(key)
                node = node[key]
                continue
        break
    as_key = isinstance(node, dict) and data.draw(st.booleans())
    if isinstance(node, dict):
        node[text if as_key else "planted"] = "x" if as_key else text
    else:
        node.append(text)
    found = find_ids_in_metadata(base, file="datapackage.json")
    assert explains(kind, found["kind"], text), (kind, text, found)
    prefix = ".".join(path)
    assert any(p.startswith(prefix) for p in found["path"])
    assert not leaks(kind, canonical, found.to_string() + repr(found.to_dict()))


_HARMLESS = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d:%d.%m.%Y}"),
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)).map(lambda d: f"{d:%Y%m%d}"),
    st.tuples(st.dates(), st.integers(0, 23), st.integers(0, 59)).map(
        lambda t: f"møte {t[0]:%d.%m.%y} {t[1]:02d}{t[2]:02d}"),
    st.integers(0, 10**9).map(lambda n: f"{n} kr"),
    st.integers(0, 10**9).map(lambda n: f"{n:,} kr".replace(",", " ")),
    st.integers(10**7, 10**8 - 1).map(lambda n: f"Budget {n} kr"),
    st.integers(1, 999).map(lambda n: f"{n * 100_000:,}".replace(",", " ")),
    st.tuples(st.dates(), st.integers(0, 9999)).map(lambda t: f"H-{t[0]:%d%m%y}-{t[1]:04d}"),
    st.tuples(st.integers(1, 9999), st.integers(1, 9999), st.integers(1, 9)).map(
        lambda t: f"{t[0]:04d}-G{t[1]:04d}-F{t[2]}"),
    st.integers(0, 2**64 - 1).map(lambda n: f"p_{n:016x}"),
    st.uuids().map(str),
    st.floats(0, 1e9, allow_nan=False).map(lambda x: f"{x:.2f}"),
    st.integers(0, 99).map(lambda n: f"uke {n}"),
    filler,
)


@PROPS
@given(st.lists(_HARMLESS, min_size=1, max_size=5),
       st.sampled_from([", ", " og ", "; ", " | ", "\n"]))
def test_harmless_text_is_not_flagged(tokens, joiner):
    text = joiner.join(tokens)
    assert kinds_in_value(text) == (), text
    assert find_personal_ids(pd.DataFrame({"t": [text, tokens[0]]})).empty


class _Odd:
    """An object whose text cannot be made (its repr works, so hypothesis can report it)."""

    def __str__(self):
        raise ValueError("cannot show")

    def __format__(self, spec):
        raise ValueError("cannot show")


_ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(),
              st.just(float("inf")), st.just(10**400), st.builds(_Odd), st.uuids()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.one_of(st.text(), st.integers()), inner,
                                            max_size=4)),
    max_leaves=15)


def _ours_or_result(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ImplementereError:
        return None


@PROPS
@given(_ANY)
def test_malformed_input_gives_our_errors(obj):
    _ours_or_result(find_personal_ids, obj)
    _ours_or_result(find_ids_in_metadata, obj, file=obj if isinstance(obj, str) else None)
    _ours_or_result(check_no_personal_ids, obj)
    _ours_or_result(check_no_personal_ids, {"t": pd.DataFrame({"a": [1]})}, exceptions=obj)
    _ours_or_result(find_personal_ids, pd.DataFrame({"a": [1]}), kinds=obj)
    _ours_or_result(pseudonymise, obj, obj)
    assert isinstance(is_valid_cpr(obj), bool)
    assert kind_of_fodselsnummer(obj) in (None, "fodselsnummer", "d_nummer", "h_nummer",
                                          "fh_nummer")
    assert isinstance(safe_value(obj), str)


@PROPS
@given(st.lists(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(),
                          st.binary(max_size=8), st.lists(st.integers(), max_size=2),
                          st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                          st.booleans(), st.datetimes(), st.uuids(), st.builds(_Odd)),
                min_size=1, max_size=12),
       st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none(), st.floats()),
                min_size=1, max_size=3))
def test_odd_cells_and_labels_never_crash(cells, labels):
    df = pd.DataFrame({i: pd.Series(cells, dtype=object) for i in range(len(labels))})
    df.columns = labels
    found = _ours_or_result(find_personal_ids, df, table="t")
    assert found is None or set(found["kind"]) <= set(KIND_STRATEGIES)
    _ours_or_result(find_ids_in_metadata, {"cells": cells})


def test_generators_cover_every_kind():
    from implementere_kit.exchange.identifiers import KINDS

    assert set(KIND_STRATEGIES) == set(KINDS)
