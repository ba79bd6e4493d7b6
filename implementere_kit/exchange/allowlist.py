"""The allow-list: which columns of which tables may leave, at which level, in what form.

The list is data: the ``export`` entry of each field in ``store/schemas/tables.yaml``
(forms explained at the top of that file). :func:`apply_allow_list` builds what an export
writes — nothing that is not declared, every declared column in its form — and
:func:`check_allow_list` checks an arriving table against the same declarations, so a
package that carries a column its level does not allow, or a value not in its declared
form (a raw id where a pseudonym belongs, a day where only a month may be), is refused.

Examples
--------
>>> forms = export_forms("participants", "pseudonymised")
>>> forms["participant_id"], forms["enrolled"], "referral_source" in forms
('pseudonym', 'coarsen_month', False)
>>> export_forms("participants", "aggregate")
{}
"""

from __future__ import annotations

import functools

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..store.tables import table_names, table_schema
from .pseudonyms import HEX_PATTERN
from .vocabulary import (
    CODE_PATTERN,
    MAX_CODE_DIGITS,
    PROJECT_SPECIFIC,
    VOCABULARIES,
    project_vocabulary,
    vocabulary,
    vocabulary_pattern,
)

__all__ = ["ALLOW_LEVELS", "LEVELS", "FOREIGN_KEYS", "FORMS", "export_forms", "tables_at",
           "level_schema", "resource_schema", "apply_allow_list", "check_allow_list",
           "distinct_text", "form_pattern", "in_form"]

#: Levels the allow-list knows: the two export levels and what a network sends back.
ALLOW_LEVELS = ("pseudonymised", "aggregate", "share_back")
#: The levels a municipality exports at.
LEVELS = ("aggregate", "pseudonymised")
#: Foreign keys declared in pseudonymised packages (child, column, parent, column).
FOREIGN_KEYS = [
    ("attendance", "participant_id", "participants", "participant_id"),
    ("competence_ratings", "practitioner_id", "staff", "practitioner_id"),
]
FORMS = ("keep", "month", "coarsen_month", "pseudonym", "pseudonym_list", "code", "key")
_HEX = HEX_PATTERN
#: The exact shape of values in a form (RE2 syntax; pyarrow checks them on arrival).
_FORM_PATTERNS = {
    "pseudonym": rf"^p_{_HEX}$",
    "pseudonym_list": rf"^p_{_HEX}(?:;p_{_HEX})*$",
    "month": r"^(?:19|20)\d\d-(?:0[1-9]|1[0-2])$",
}
OTHER_PATTERN = rf"^x_{_HEX}$"  # a key:<vocabulary> value that was not in the vocabulary


@functools.cache
def _declared(table: str, level: str) -> tuple[tuple[str, str], ...]:
    out = []
    for f in table_schema(table).fields:
        form = (f.get("export") or {}).get(level)
        if form is None:
            continue
        kind, _, vocab = str(form).partition(":")
        if kind not in FORMS or (kind in ("code", "key")) != bool(vocab) or (
                vocab and vocab not in VOCABULARIES):
            raise ValidationError([Problem("unknown export form in tables.yaml",
                                           resource=table, column=f["name"],
                                           expected=", ".join(FORMS), found=repr(form))])
        out.append((f["name"], str(form)))
    return tuple(out)


def export_forms(table: str, level: str) -> dict[str, str]:
    """``{column: form}`` for the columns of ``table`` allowed at ``level`` (schema order)."""
    return dict(_declared(table, level))


@functools.cache
def _forms(table: str, level: str) -> dict[str, str]:
    """:func:`export_forms`, cached; not to be changed by the caller."""
    return dict(_declared(table, level)) if table in table_names() else {}


def tables_at(level: str) -> list[str]:
    """Tables of which at least one column may leave at ``level``."""
    return [t for t in table_names() if _declared(t, level)]


@functools.cache
def level_schema(table: str, level: str):
    """The table's schema as a package of ``level`` carries it: the allowed fields only
    (a required field that may not leave is not required there)."""
    from dataclasses import replace

    schema = table_schema(table)
    allowed = export_forms(table, level)
    key = schema.primary_key if set(schema.primary_key) <= set(allowed) else ()
    return replace(schema, fields=tuple(f for f in schema.fields if f["name"] in allowed),
                   primary_key=key)


def form_pattern(form: str) -> str | None:
    """Regular expression every text value in ``form`` matches (None: checked otherwise)."""
    return _FORM_PATTERNS.get(form.partition(":")[0])


# -- export ------------------------------------------------------------------------------
def _coarsen_month(s: pd.Series) -> pd.Series:
    values = pd.to_datetime(s).to_numpy(dtype="datetime64[ns]")
    return pd.Series(values.astype("datetime64[M]").astype("datetime64[ns]"), index=s.index,
                     name=s.name)


def _pseudonym_list(s: pd.Series, key: bytes) -> pd.Series:
    from .privacy import pseudonymise

    parts = s.astype("string").str.split(";").explode().str.strip()
    parts = parts.where(parts != "")
    pseudo = pseudonymise(parts, key)
    joined = pseudo.groupby(level=0).agg(lambda v: ";".join(x for x in v if isinstance(x, str)))
    return joined.where(joined != "").reindex(s.index).astype(object)


def _in_vocabulary(s: pd.Series, name: str, intervention) -> pd.Series:
    import re

    known = project_vocabulary(name, intervention)
    text = s.astype("string")
    ok = text.isin(known)
    pattern = vocabulary_pattern(name)
    if pattern:
        ok |= text.str.fullmatch(re.compile(pattern.strip("^$"))).fillna(False)
    return ok.fillna(False).astype(bool)


def _apply_form(s: pd.Series, form: str, key: bytes, intervention) -> pd.Series:
    from .privacy import pseudonymise

    kind, _, vocab = form.partition(":")
    if kind in ("keep", "month"):
        return s
    if kind == "coarsen_month":
        return _coarsen_month(s)
    if kind == "pseudonym":
        return pseudonymise(s, key)
    if kind == "pseudonym_list":
        return _pseudonym_list(s, key)
    ok = _in_vocabulary(s, vocab, intervention) | s.isna()
    if kind == "code":
        return s.astype(object).where(ok, None)
    return s.astype(object).where(ok, pseudonymise(s.astype(object).where(~ok), key,
                                                   prefix="x_"))


def apply_allow_list(tables: dict[str, pd.DataFrame], level: str, *, key: bytes,
                     intervention=None) -> dict[str, pd.DataFrame]:
    """The tables as they may leave at ``level``: declared columns only, each in its form.

    ``key`` makes the keyed pseudonyms; ``intervention`` gives the project's own
    component ids for the ``component`` and ``fidelity_item`` vocabularies. Tables and
    columns without a declaration are left out; empty tables are left out.
    """
    if level not in ALLOW_LEVELS:
        raise ValidationError([Problem("unknown package level", column="level",
                                       expected=" or ".join(ALLOW_LEVELS),
                                       found=safe_value(level))])
    out = {}
    for name, df in tables.items():
        forms = export_forms(name, level) if name in table_names() else {}
        cols = [c for c in forms if c in df.columns]
        if not cols or not len(df):
            continue
        out[name] = pd.DataFrame({c: _apply_form(df[c], forms[c], key, intervention)
                                  for c in cols}).reset_index(drop=True)
    return out


# -- intake ------------------------------------------------------------------------------
@functools.cache
def _value_pattern(form: str) -> str | None:
    """The shape an arriving text value in ``form`` must have (None: no text rule)."""
    kind, _, vocab = form.partition(":")
    if kind not in ("code", "key"):
        return form_pattern(form)
    parts = [vocabulary_pattern(vocab)] if vocabulary_pattern(vocab) else []
    if kind == "key":
        parts.append(OTHER_PATTERN)
    return "|".join(f"(?:{p})" for p in parts) or None


@functools.cache
def _vocabulary_array(name: str):
    import pyarrow as pa

    return pa.array(sorted(vocabulary(name)), pa.string())


def distinct_text(table, column: str):
    """Distinct non-missing values of a text column as an Arrow array (None: not text):
    the values rows hold, however the column is encoded (:mod:`..store._text`, computed
    once per table and shared by every check of it)."""
    from ..store._text import text_of

    text = text_of(table, column)
    return None if text is None else text.values


#: A fast test of a form's text, as (prefix, separator) of :func:`.shaped_as_pseudonyms`;
#: what it does not accept goes to the form's regular expression, which decides.
_SHAPED = {"pseudonym": ("p_", None), "pseudonym_list": ("p_", ";"), "key": ("x_", None)}


def in_form(values, form: str):
    """For each distinct text value, whether it is in ``form`` (a NumPy mask).

    A code or key form accepts its vocabulary (and for the project's own vocabularies a
    code of few digits); every form with a pattern (:func:`form_pattern`, and a key's
    pseudonyms) accepts what the pattern matches. Each test runs only on the values the
    earlier ones left, so a column in form compiles no regular expression at all.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .pseudonyms import shaped_as_pseudonyms

    kind, _, vocab = form.partition(":")
    ok = np.zeros(len(values), dtype=bool)
    if kind in ("code", "key"):
        ok |= pc.is_in(values, value_set=_vocabulary_array(vocab)).to_numpy(
            zero_copy_only=False)
    if kind in _SHAPED and not ok.all():
        ok |= shaped_as_pseudonyms(values, *_SHAPED[kind])
    pattern = _value_pattern(form)
    rest = np.flatnonzero(~ok)
    if not len(rest) or (pattern is None and vocab not in PROJECT_SPECIFIC):
        return ok
    left = values.take(pa.array(rest))
    shaped = np.zeros(len(rest), dtype=bool)
    if vocab in PROJECT_SPECIFIC:  # the project's own codes: by shape, few digits
        shaped |= pc.and_(pc.match_substring_regex(left, CODE_PATTERN), pc.less_equal(
            pc.count_substring_regex(left, r"\d"), MAX_CODE_DIGITS)).to_numpy(
                zero_copy_only=False)
    if pattern:
        shaped |= pc.match_substring_regex(left, pattern).to_numpy(zero_copy_only=False)
    ok[rest] = shaped
    return ok


def _coarsened(col) -> int:
    """Rows of a date column not on the first of a month: the distinct dates are tested
    (a coarsened column has few), rows counted only when one fails."""
    import pyarrow.compute as pc

    days = pc.unique(col.combine_chunks() if col.num_chunks != 1 else col.chunk(0))
    if (pc.max(pc.day(days)).as_py() or 1) == 1:
        return 0
    return pc.sum(pc.fill_null(pc.not_equal(pc.day(col), 1), False)).as_py() or 0


def check_allow_list(name: str, table, level: str, *, file: str, cache: dict | None = None,
                     inherited=()) -> list[Problem]:
    """Problems of an arriving Arrow table against the allow-list of ``level``.

    Refused: a table not allowed at the level, a column not declared for it, and text
    values not in the declared form (pseudonyms, months, codes: :func:`in_form`, on the
    distinct values rows hold); dates declared ``coarsen_month`` must fall on the first of
    a month. ``cache`` (a dict) records ``("in form", column)`` for each column found
    wholly in its form, which the scanner then skips; columns in ``inherited`` hold only
    values of a column already found in form (a foreign key) and are not checked again.
    """
    import pyarrow as pa

    forms = _forms(name, level)
    if not forms:
        return [Problem("table may not leave a municipality at this level", file=file,
                        resource=name, expected=f"tables allowed at level {level}: "
                        + ", ".join(tables_at(level)))]
    problems = [Problem("column may not leave a municipality at this level", file=file,
                        resource=name, column=c, expected="only " + ", ".join(forms))
                for c in table.column_names if c not in forms]
    for c in table.column_names:
        form = forms.get(c)
        if form is None:
            continue
        kind = form.partition(":")[0]
        if kind == "coarsen_month":
            col = table.column(c)
            if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
                bad = _coarsened(col) if col.null_count < len(col) else 0
                if bad:
                    problems.append(Problem("date more precise than this level allows",
                                            file=file, resource=name, column=c,
                                            expected="the first day of a month",
                                            found=f"{bad} row(s)"))
            continue
        if kind == "keep" or (_value_pattern(form) is None and kind not in ("code", "key")):
            continue  # enums and the site are checked by the schema and the descriptor
        if c in inherited:
            if cache is not None:
                cache[("in form", c)] = True
            continue
        values = distinct_text(table, c)
        if values is None or not len(values):
            continue
        n_bad = int((~in_form(values, form)).sum())
        if not n_bad and cache is not None:
            cache[("in form", c)] = True  # every value in its form: nothing for the scanner
        if n_bad:
            problems.append(Problem("value not in the form this level allows", file=file,
                                    resource=name, column=c, expected=_expected(form),
                                    found=f"{n_bad} distinct value(s)"))
    return problems


#: What a pseudonym looks like, as a message says it: sixteen decimal digits are refused
#: (HEX_PATTERN), which a package written before that rule may hold — export it again.
_PSEUDONYM_TEXT = ("16 hex digits, at least one of them a letter a–f (a package with "
                   "all-digit pseudonyms is from an older version: export it again)")


def _expected(form: str) -> str:
    kind, _, vocab = form.partition(":")
    return {"pseudonym": f"keyed pseudonyms p_ + {_PSEUDONYM_TEXT}",
            "pseudonym_list": f"';'-separated keyed pseudonyms p_ + {_PSEUDONYM_TEXT}",
            "month": "YYYY-MM"}.get(kind, f"codes of the vocabulary {vocab!r}"
                                     + (f" or keyed pseudonyms x_ + {_PSEUDONYM_TEXT}"
                                        if kind == "key" else ""))


def resource_schema(name: str, columns, level: str) -> dict | None:
    """The Table Schema of table ``name`` holding ``columns`` in a package of ``level``
    (``None`` for a table we do not know). An arriving resource must carry exactly this."""
    import copy

    return copy.deepcopy(allowed_schema(name, tuple(columns), level))


@functools.cache
def allowed_schema(name: str, columns: tuple, level: str) -> dict | None:
    """:func:`resource_schema`, cached: to compare with, never to change."""
    if name not in table_names():
        return None
    desc = table_schema(name).to_frictionless()
    present = set(columns)
    desc["fields"] = [f for f in desc["fields"] if f["name"] in present]
    if "primaryKey" in desc and not set(desc["primaryKey"]) <= present:
        del desc["primaryKey"]
    if level == "pseudonymised":
        fks = [{"fields": [c], "reference": {"resource": p, "fields": [pc]}}
               for child, c, p, pc in FOREIGN_KEYS if child == name and c in present]
        if fks:
            desc["foreignKeys"] = fks
    return desc
