"""Recognising the headings and cell words of municipal files (used by
:mod:`implementere_kit.store.readers`, which re-exports :func:`column_mapping` and
:func:`unknown_columns`).

Headings are matched through ``schemas/aliases.yaml`` ignoring case, punctuation and the
spelling of å/ø/æ (``Møte nr.`` = ``mote_nr`` = ``MOETENR``): Danish and Norwegian write
the same letters differently, and Excel users often type them as aa/oe/ae. The alias file
itself is checked when first read; a word that means two columns, an unknown column or an
unknown language is an error listing every such problem.

Examples
--------
>>> _heading_key("Møte nr."), _heading_key("MOETENR")
('motenr', 'motenr')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from .._data import LANGS, load_yaml, package_file
from ..errors import Problem, ValidationError
from .tables import table_names, table_schema

__all__ = ["column_mapping", "unknown_columns"]


def _fold(text: object) -> str:
    """Lower-case, strip accents and fold the Nordic spellings å=aa=a, ø=oe=o, æ=ae."""
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    t = t.replace("æ", "ae").replace("ø", "o").replace("ß", "ss")
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return t.replace("aa", "a").replace("oe", "o")


def _heading_key(text: object) -> str:
    return re.sub(r"[^0-9a-z]", "", _fold(text))


def _value_key(text: object) -> str:
    # Symbols such as ✓ or n/a are meaningful in cells, so only spacing is dropped.
    return re.sub(r"[\s_.\-]", "", _fold(text))


def _all_columns() -> dict[str, set[str]]:
    return {t: set(table_schema(t).columns) for t in table_names()}


def _scope(spec: dict, where: str, allowed: set[str], keyf) -> dict[str, tuple[str, int]]:
    """Index ``{target: {lang: [words]}}`` as ``key -> (target, rank)``, checking the data."""
    out: dict[str, tuple[str, int]] = {}
    problems = []
    for target, langs in spec.items():
        bad = target not in allowed or not set(langs or {}) <= set(LANGS)
        if bad:
            problems.append(Problem("unknown alias target or language", file="aliases.yaml",
                                    resource=where, column=str(target)))
        for rank, word in ((r, w) for ws in (langs or {}).values() for r, w in enumerate(ws)):
            old = out.get(keyf(word))
            if old and old[0] != target:
                problems.append(Problem(f"alias {word!r} means both {old[0]} and {target}",
                                        file="aliases.yaml", resource=where))
            elif not bad and (old is None or rank < old[1]):
                out[keyf(word)] = (target, rank)
    if problems:
        raise ValidationError(problems)
    return out


@lru_cache(maxsize=1)
def _alias_index():
    raw = load_yaml(package_file("store/schemas", "aliases.yaml"))
    cols = _all_columns()
    every = set().union(*cols.values())
    general = _scope(raw["columns"], "columns", every, _heading_key)
    per_table = {t: _scope(spec, f"tables.{t}", cols.get(t, set()), _heading_key)
                 for t, spec in (raw.get("tables") or {}).items()}
    values = {}
    for col, spec in (raw.get("values") or {}).items():
        if col == "boolean":
            allowed = {"true", "false"}
        else:
            enums = [f.get("enum") for t in cols for f in table_schema(t).fields
                     if f["name"] == col and f.get("enum")]
            allowed = {str(v) for e in enums for v in e}
        values[col] = {k: v[0] for k, v in _scope(spec, f"values.{col}", allowed,
                                                  _value_key).items()}
    return general, per_table, values


def column_mapping(columns: Iterable[object], table: str | None = None) -> dict[str, str]:
    """Map the recognised headings of a file to schema column names.

    Parameters
    ----------
    columns : iterable of str
        Headings as they appear in the file.
    table : str, optional
        Restrict the targets to this table's columns and use its table-specific aliases
        (``startdato`` is ``enrolled`` for participants but ``start`` for activities).

    Returns
    -------
    dict
        ``{original heading: schema name}`` in file order, only for recognised headings.
        When two headings mean the same column, the exact English name wins, then the
        earlier word in the alias list; the other heading stays unrecognised.

    Examples
    --------
    >>> column_mapping(["Kommunenr", "Deltager ID", "Møde nr.", "Fremmøde", "Bemærkninger"])
    {'Kommunenr': 'site', 'Deltager ID': 'participant_id', 'Møde nr.': 'session_no', \
'Fremmøde': 'attended', 'Bemærkninger': 'notes'}
    >>> column_mapping(["Startdato"], "participants"), column_mapping(["Startdato"], "activities")
    ({'Startdato': 'enrolled'}, {'Startdato': 'start'})
    """
    general, per_table, _ = _alias_index()
    if table is not None:
        allowed = set(table_schema(table).columns)
        scopes = [per_table.get(table, {}), general]
    else:
        allowed = set().union(*_all_columns().values())
        scopes = [general]
    identity = {_heading_key(c): c for c in allowed}
    ranked = []
    for pos, col in enumerate(columns):
        key = _heading_key(col)
        if key in identity:
            ranked.append(((0, int(col != identity[key])), pos, col, identity[key]))
            continue
        for level, scope in enumerate(scopes, start=1):
            hit = scope.get(key)
            if hit and hit[0] in allowed:
                ranked.append(((level, hit[1]), pos, col, hit[0]))
                break
    chosen: dict[int, tuple[object, str]] = {}
    taken: set[str] = set()
    for _rank, pos, col, target in sorted(ranked, key=lambda r: (r[0], r[1])):
        if target not in taken:
            taken.add(target)
            chosen[pos] = (col, target)
    return {str(col): target for _pos, (col, target) in sorted(chosen.items())}


def unknown_columns(columns: Iterable[object], table: str | None = None) -> list[str]:
    """Headings :func:`column_mapping` does not recognise (kept under their own name).

    Examples
    --------
    >>> unknown_columns(["Deltaker", "Dato", "Favorittfarge"], "participants")
    ['Dato', 'Favorittfarge']
    """
    columns = [str(c) for c in columns]
    known = column_mapping(columns, table)
    return [c for c in columns if c not in known]
