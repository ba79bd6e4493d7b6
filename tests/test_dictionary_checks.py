"""Every check gives the same problems for a text column however it is encoded.

A package's Parquet files may be read with their text as Arrow dictionary columns, and a
hostile package chooses its dictionaries: the same value under two codes, entries no row
uses, null entries, several chunks each with a dictionary of its own, any index type.
The property here: for random tables of every table a pseudonymised package may carry,
each check — the schema rules, primary and foreign keys, the allow-list, the
descriptor checks, the scanner's input — reports exactly the same for the dictionary
copy as for the dense one (itself in random chunks of ``string`` or ``large_string``).
"""

import datetime as dt
import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from implementere_kit.exchange.allowlist import (
    FOREIGN_KEYS,
    check_allow_list,
    export_forms,
    level_schema,
    tables_at,
)
from implementere_kit.exchange.arrowcheck import check_arrow_table, check_foreign_key
from implementere_kit.exchange.intake import check_contents, find_in_values, unfixed_values
from implementere_kit.exchange.vocabulary import vocabulary
from implementere_kit.store._checks import duplicate_rows
from implementere_kit.store._text import Text
from tests.idgen import cpr_numbers

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
TODAY = dt.date(2024, 6, 30)
META = {"site": "903", "level": "pseudonymised", "created": "2024-06-30T00:00:00+00:00",
        "period": {"start": "2024-01-01", "end": None}, "intervention": "keep"}
# Text a column may hold: pseudonyms (and near misses: all digits, upper case, short),
# lists of them, blanks, sites, enum and vocabulary values, and anything short.
TEXT = ["p_0123456789abcdef", "p_a000000000000000", "p_0123456789012345",
        "p_0123456789ABCDEF", "p_0123456789abcde", "p_aaaaaaaaaaaaaaaa;p_000000000000000b",
        "p_aaaaaaaaaaaaaaaa;", "x_0123456789abcdef", "", " ", "\t ", "903", "901", "2024-03",
        "graduated", "dropped_out", "informed", "other", "a", "a ", "ø"]
DATES = [dt.date(2024, 1, 1), dt.date(2024, 3, 1), dt.date(2024, 3, 17), dt.date(2023, 12, 1),
         dt.date(2030, 1, 1), dt.date(1999, 5, 1)]
INTS = [0, 1, 2, 3, 8, 9, -4, 12345678901]
NUMBERS = [0.0, 1.5, 60.0, 601.0, -1.0, float("inf"), float("nan"), 12345678901.0]
TABLES = tables_at("pseudonymised")


def _pool(table: str, field) -> list:
    if field["type"] == "string":
        extra = [str(v) for v in field.get("enum", ())]
        kind, _, vocab = export_forms(table, "pseudonymised").get(field["name"], "").partition(":")
        if vocab:
            extra += sorted(vocabulary(vocab))[:3]
        return TEXT + extra
    return {"integer": INTS, "number": NUMBERS, "boolean": [True, False],
            "date": DATES}[field["type"]]


@st.composite
def tables(draw, name: str):
    """A random table ``name`` of a pseudonymised package, as plain Python columns."""
    schema = level_schema(name, "pseudonymised")
    n = draw(st.integers(0, 25))
    cpr = draw(cpr_numbers())
    out = {}
    for f in schema.fields:
        pool = _pool(name, f) + ([cpr] if f["type"] == "string" else [])
        # few values, so keys repeat and every check has something to find
        few = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
        out[f["name"]] = (f["type"], draw(st.lists(
            st.one_of(st.sampled_from(few), st.none()) if draw(st.booleans())
            else st.sampled_from(few), min_size=n, max_size=n)))
    return out


def _splits(rng: random.Random, n: int) -> list[tuple[int, int]]:
    cuts = sorted(rng.sample(range(1, n), min(n - 1, rng.randint(0, 3)))) if n > 1 else []
    edges = [0, *cuts, n]
    return list(zip(edges[:-1], edges[1:], strict=True))


_INDEX = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()]


def _dictionary_chunk(rng: random.Random, values: list, value_type) -> pa.DictionaryArray:
    """``values`` as a dictionary array with a hostile dictionary: shuffled, some values
    twice, entries no row uses (one an identifier), maybe a null entry that missing rows
    point at, and a random index type."""
    distinct = list(dict.fromkeys(v for v in values if v is not None))
    entries = distinct + [v for v in distinct if rng.random() < 0.4]  # duplicates
    entries += rng.sample(TEXT, 2) + ["0101901234"]  # unreferenced, one like a CPR number
    if rng.random() < 0.5:
        entries.append(None)
    rng.shuffle(entries)
    codes = {}
    for i, v in enumerate(entries):
        codes.setdefault(v, []).append(i)
    indices = [None if v is None and (None not in codes or rng.random() < 0.5)
               else rng.choice(codes[v]) for v in values]
    return pa.DictionaryArray.from_arrays(pa.array(indices, rng.choice(_INDEX)),
                                          pa.array(entries, value_type))


def _arrow(columns: dict, rng: random.Random, *, dictionary: bool) -> pa.Table:
    arrays = {}
    for c, (typ, values) in columns.items():
        parts = _splits(rng, len(values))
        if typ == "string":
            vt = rng.choice([pa.string(), pa.large_string()])
            if dictionary:
                chunks = [_dictionary_chunk(rng, values[a:b], vt) for a, b in parts]
                ct = chunks[0].type if chunks else pa.dictionary(pa.int32(), vt)
            else:
                chunks, ct = [pa.array(values[a:b], vt) for a, b in parts], vt
        else:
            ct = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
                  "date": pa.date32()}[typ]
            chunks = [pa.array(values[a:b], ct) for a, b in parts]
        if dictionary and typ == "string" and chunks:  # one type for every chunk
            chunks = [pa.DictionaryArray.from_arrays(ch.indices.cast(ct.index_type),
                                                     ch.dictionary) for ch in chunks]
        arrays[c] = pa.chunked_array(chunks, ct)
    return pa.table(arrays)


def _every_check(tables: dict[str, pa.Table]) -> dict:
    """What every check says about one package's tables."""
    out = {}
    for name, t in tables.items():
        schema = level_schema(name, "pseudonymised")
        out[("schema", name)] = check_arrow_table(t, schema, file="f", today=TODAY)
        key = list(schema.primary_key)
        if key and t.num_rows:
            out[("key", name)] = duplicate_rows(t, key).tolist()
        cache: dict = {}
        out[("allow", name)] = check_allow_list(name, t, "pseudonymised", file="f",
                                                cache=cache)
        out[("in form", name)] = cache
    for child, col, parent, pcol in FOREIGN_KEYS:
        if child in tables and parent in tables:
            out[("fk", child)] = check_foreign_key(tables[child], col, tables[parent], pcol,
                                                   file="f", name=child, parent_name=parent)
    caches: dict = {}
    out["contents"] = check_contents(META, tables, file="p.zip", caches=caches)
    unfixed = unfixed_values(tables, "pseudonymised", caches)
    out["unfixed"] = {k: sorted(v.to_pylist()) for k, v in unfixed.items()}
    out["scanned"] = sorted(find_in_values(unfixed))
    return out


@SETTINGS
@given(st.sampled_from(TABLES).flatmap(lambda n: st.tuples(st.just(n), tables(n))),
       tables("participants"), tables("attendance"), st.randoms(use_true_random=False))
def test_dictionary_and_dense_copies_get_the_same_problems(one, parts, att, rng):
    name, columns = one
    package = {name: columns, "participants": parts, "attendance": att}
    dense = {n: _arrow(c, rng, dictionary=False) for n, c in package.items()}
    coded = {n: _arrow(c, rng, dictionary=True) for n, c in package.items()}
    assert _every_check(coded) == _every_check(dense)


def test_a_duplicate_dictionary_entry_is_still_a_duplicate_key():
    ids = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()),
                                         pa.array(["p_0123456789abcdef"] * 2))
    t = pa.table({"participant_id": ids, "site": ["903", "903"],
                  "enrolled": pa.array([dt.date(2024, 1, 1)] * 2)})
    problems = check_arrow_table(t, level_schema("participants", "pseudonymised"),
                                 file="f", today=TODAY)
    assert [(p.message, p.row) for p in problems] == [("duplicate primary key", 2)]


def test_a_foreign_key_is_checked_through_any_dictionary():
    parent = pa.table({"participant_id": pa.DictionaryArray.from_arrays(
        pa.array([0], pa.uint8()), pa.array(["p_a000000000000000", "p_b000000000000000"]))})
    child = pa.table({"participant_id": pa.chunked_array([
        pa.DictionaryArray.from_arrays(pa.array([1, 0, None], pa.int64()),
                                       pa.array(["p_a000000000000000", "p_b000000000000000"],
                                                pa.large_string()))])})
    problems = check_foreign_key(child, "participant_id", parent, "participant_id", file="f",
                                 name="attendance", parent_name="participants")
    # p_b is in the parent's dictionary but no parent row holds it
    assert [(p.row, p.found) for p in problems] == [(1, "'p_b000000000000000'")]


def test_null_dictionary_entries_are_missing_values():
    col = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2]), pa.array(["903", None, " "]))
    text = Text(col)
    assert text.values.to_pylist() == ["903", " "] and text.nulls == 1
    t = pa.table({"site": col, "participant_id": ["p_a000000000000000", "p_b000000000000000",
                                                  "p_c000000000000000"],
                  "enrolled": pa.array([dt.date(2024, 1, 1)] * 3)})
    problems = check_arrow_table(t, level_schema("participants", "pseudonymised"),
                                 file="f", today=TODAY)
    assert [(p.column, p.row) for p in problems] == [("site", 2), ("site", 3)]


def test_an_unreferenced_entry_is_no_value_of_the_table():
    """Only what rows hold is checked (the store writes only that): an identifier in an
    entry no row uses is neither refused by the allow-list nor given to the scanner."""
    col = pa.DictionaryArray.from_arrays(pa.array([1, 1], pa.int32()),
                                         pa.array(["0101901234", "p_0123456789abcdef"]))
    t = pa.table({"participant_id": col})
    assert Text(col).values.to_pylist() == ["p_0123456789abcdef"]
    assert check_allow_list("attendance", t, "pseudonymised", file="f") == []
    assert unfixed_values({"attendance": t}, "pseudonymised") == {}


@pytest.mark.parametrize("form, value", [
    ("pseudonym", "p_0123456789012345"),  # sixteen digits: could be a CPR number dressed up
    ("pseudonym", "p_0123456789abcdeF"),
    ("pseudonym_list", "p_0123456789abcdef;p_0123456789012345"),
])
def test_pseudonym_forms_still_refuse_all_digits(form, value):
    from implementere_kit.exchange.allowlist import in_form

    assert in_form(pa.array([value]), form).tolist() == [False]
    assert in_form(pa.array([value]).dictionary_encode().dictionary, form).tolist() == [False]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.text(alphabet="p_x;0123456789abcdefA \n", max_size=60), max_size=30),
       st.sampled_from([pa.string(), pa.large_string()]), st.integers(0, 3))
def test_the_byte_test_of_pseudonyms_is_the_regular_expression(values, typ, cut):
    from implementere_kit.exchange.allowlist import form_pattern
    from implementere_kit.exchange.pseudonyms import shaped_as_pseudonyms

    near = [f"p_{i:016x}" for i in range(3)] + ["p_0123456789abcdef;p_aaaaaaaaaaaaaaaa"]
    arr = pa.array(near + values, typ)[cut:]  # an offset into the buffers too
    for form, sep in (("pseudonym", None), ("pseudonym_list", ";")):
        regex = pc.match_substring_regex(arr, form_pattern(form)).to_pylist()
        assert shaped_as_pseudonyms(arr, sep=sep).tolist() == regex


def test_blank_text_is_missing_however_it_is_encoded():
    from implementere_kit.store._checks import blank_as_null

    values = ["a", "", None, "  ", "b", "\t"]
    dense = pa.chunked_array([pa.array(values[:2]), pa.array(values[2:], pa.string())])
    coded = pa.array(values).dictionary_encode()
    want = ["a", None, None, None, "b", None]
    assert blank_as_null(dense).to_pylist() == want
    assert blank_as_null(coded).cast(pa.string()).to_pylist() == want
    assert blank_as_null(pa.array(["a", "b"])).to_pylist() == ["a", "b"]
