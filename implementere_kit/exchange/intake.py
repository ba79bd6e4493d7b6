"""Checks of a package's data against its descriptor and the allow-list, and the scanner.

Used twice: on the way out (:func:`.package.write_package`, before anything is written)
and on the way in (:mod:`.validate`, before anything is stored), so an export never
produces what the network would refuse. All checks run on Arrow tables with vectorised
kernels; problems name the file, table and column, never an identifier.

- :func:`check_contents`: every table and column allowed at the package's level and in
  its declared form; every ``site`` column equal to the descriptor's site; every event
  date (``in_period`` in tables.yaml) inside the descriptor's period; the sums of an
  aggregate package (``agg_measures``) suppressed as the package's k requires — the
  export's own rules (:func:`.aggregate.suppress_sums`) run again and may hide nothing
  more; fidelity components not of another shipped intervention than the one claimed.
- :func:`scan_tables`: the identifier scanner on the distinct values of every column
  whose values are not already fixed by their form; a finding that a reviewed exception
  recorded in the descriptor covers passes (:func:`honour_exceptions`).

Examples
--------
>>> meta = {"site": "903", "level": "pseudonymised", "created": "2024-06-01T00:00:00+00:00",
...         "period": {"start": "2024-01-01", "end": None}}
>>> events = pa.table({"site": ["903", "901"], "stage": [1, 1],
...                    "activity": ["informed", "interest"],
...                    "date": pa.array([None, None], pa.date32())})
>>> [p.message for p in check_contents(meta, {"sic_events": events}, file="p.zip")]
["rows of another site than the package's"]
"""

from __future__ import annotations

import datetime as dt
import functools

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem

__all__ = ["check_contents", "scan_tables", "unfixed_values", "find_in_values",
           "scan_problems", "honour_exceptions", "MIN_IDENTIFIER"]

#: No identifier the scanner looks for has fewer than eight digits (phone numbers have
#: eight, CPR numbers nine or ten, fødselsnummer ten or eleven), so smaller numbers are
#: not scanned.
MIN_IDENTIFIER = 10**7


def _fields(table_name: str, flag: str):
    from ..store.tables import table_names, table_schema

    if table_name not in table_names():
        return []
    return [f for f in table_schema(table_name).fields if f.get(flag)]


def _where(file, name):
    return {"file": f"{file}/{name}", "resource": name}


def _check_site(name, table, site, where) -> list[Problem]:
    from ..store._text import text_of

    if "site" not in table.column_names or not table.num_rows:
        return []
    text = text_of(table, "site")
    if text is None:
        return []  # not text is the schema check's problem
    values = text.values.to_pylist()
    if values in ([], [site]):
        return []
    others = len(text) - sum(int(n) for v, n in zip(values, text.counts(), strict=True)
                             if v == site)
    return [Problem("rows of another site than the package's", **where, column="site",
                    expected=f"{site} (the descriptor's site)", found=f"{others} row(s)")]


def _period_bounds(meta: dict) -> tuple[dt.date, dt.date] | None:
    period = meta.get("period") or {}
    try:
        start = dt.date.fromisoformat(period["start"]).replace(day=1)
    except (KeyError, TypeError, ValueError):
        return None
    end = period.get("end")
    try:
        last = dt.date.fromisoformat(end) if end else dt.datetime.fromisoformat(
            meta["created"]).date()
    except (KeyError, TypeError, ValueError):
        return None
    return start, last


def _check_period(name, table, meta, where) -> list[Problem]:
    from ..store._text import text_of

    bounds = _period_bounds(meta)
    if bounds is None:
        return []
    start, last = bounds
    out = []
    for f in _fields(name, "in_period"):
        c = f["name"]
        if c not in table.column_names:
            continue
        col, text = table.column(c), text_of(table, c)
        if f["type"] == "date" and (pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)):
            values = col.cast(pa.date32()) if pa.types.is_timestamp(col.type) else col
            lo, hi = start, last
        elif f["type"] == "string" and text is not None:  # months, on the distinct values
            values, lo, hi = text.values, start.strftime("%Y-%m"), last.strftime("%Y-%m")
        else:
            continue
        seen, typ = pc.min_max(values), values.type
        # compared in Arrow: a date before year 1 or after 9999 has no Python value
        if not seen["min"].is_valid or (
                pc.greater_equal(seen["min"], pa.scalar(lo, typ)).as_py()
                and pc.less_equal(seen["max"], pa.scalar(hi, typ)).as_py()):
            continue
        outside = pc.fill_null(pc.or_(pc.less(values, pa.scalar(lo, typ)),
                                      pc.greater(values, pa.scalar(hi, typ))), False)
        n = (int(text.counts()[outside.to_numpy(zero_copy_only=False)].sum())
             if text is not None else pc.sum(outside).as_py() or 0)
        out.append(Problem("rows dated outside the package's period", **where, column=c,
                           expected=f"{lo} – {hi}", found=f"{n} row(s)"))
    return out


def _check_k(name, table, k, where) -> list[Problem]:
    """The sums of ``agg_measures`` against the export's disclosure control at ``k``.

    :func:`.aggregate.suppress_sums` — the rules the export applied — runs again on what
    arrived: a sum it would hide that the package shows (a count of people or a sensitive
    count of 1 … k−1, or a breakdown that gives one away) is a problem, and so is a row
    marked suppressed that still carries its value.
    """
    import pandas as pd

    from .aggregate import suppress_sums

    need = {"site", "level", "period", "sum_id", "value", "suppressed"}
    if name != "agg_measures" or not need <= set(table.column_names) or not table.num_rows:
        return []
    try:
        df = table.select(sorted(need | ({"reason"} & set(table.column_names)))).to_pandas()
        df["value"] = df["value"].astype("float64")
        df["suppressed"] = df["suppressed"].astype("boolean").fillna(False).astype(bool)
    except (pa.ArrowException, TypeError, ValueError):
        return []  # wrong types are the schema check's problem
    out = []
    leaks = df["suppressed"] & df["value"].notna()
    if leaks.any():
        out.append(Problem("suppressed sum still carries its value", **where, column="value",
                           expected="no value where suppressed is true",
                           found=f"{int(leaks.sum())} row(s)"))
    shown = df.assign(reason=df.get("reason", pd.NA),
                      sum=df["sum_id"]).drop(columns="sum_id")
    shown["reason"] = shown["reason"].astype("object").where(df["suppressed"], None)
    again = suppress_sums(shown, k)
    more = again["suppressed"].to_numpy() & ~df["suppressed"].to_numpy()
    if more.any():
        out.append(Problem("published count of people below k", **where, column="value",
                           expected=f"sums of 0 or at least {k} people, or suppressed "
                           "(and no breakdown that reveals one)",
                           found=f"{int(more.sum())} row(s)"))
    return out


@functools.cache
def _foreign_components(intervention: str) -> pa.Array | None:
    """Component ids of the other shipped interventions that ``intervention`` lacks
    (None when it is not a shipped one)."""
    from ..plans.intervention import list_interventions, load_intervention

    if intervention not in list_interventions():
        return None
    own = {c.id for c in load_intervention(intervention).components}
    return pa.array(sorted({c.id for i in list_interventions() if i != intervention
                            for c in load_intervention(i).components} - own), pa.string())


def _check_intervention(name, table, intervention, where) -> list[Problem]:
    from ..store._text import text_of

    if "component" not in table.column_names or not isinstance(intervention, str):
        return []
    others = _foreign_components(intervention)
    if others is None:
        return []
    text = text_of(table, "component")
    if text is None or not others:
        return []
    mask = pc.is_in(text.values, value_set=others).to_numpy(zero_copy_only=False)
    foreign = int(text.counts()[mask].sum())
    if not foreign:
        return []
    return [Problem("components of another intervention than the package's", **where,
                    column="component", expected=f"components of {intervention}",
                    found=f"{foreign} row(s)")]


def check_contents(meta: dict, tables: dict[str, pa.Table], *, file: str,
                   caches: dict[str, dict] | None = None) -> list[Problem]:
    """Problems of ``tables`` against the allow-list and the descriptor's ``meta``.

    ``caches`` (a dict) collects, per table, the columns found wholly in their form, which
    the scanner then skips (distinct values themselves are kept with each table: see
    :mod:`..store._text`)."""
    from .allowlist import FOREIGN_KEYS, check_allow_list

    level = "share_back" if meta.get("share_back") else meta.get("level")
    caches = {} if caches is None else caches
    out = []
    # A foreign key's values lie in its parent's (checked by check_foreign_key on arrival,
    # and pseudonyms of one key on the way out): parents first, children inherit the form.
    links = [(child, c, parent, pcol) for child, c, parent, pcol in FOREIGN_KEYS
             if child in tables and parent in tables]
    for name in sorted(tables, key=lambda n: any(n == link[0] for link in links)):
        table = tables[name]
        where = _where(file, name)
        inherited = {c for child, c, parent, pcol in links if child == name
                     and caches.get(parent, {}).get(("in form", pcol))}
        found = check_allow_list(name, table, level, file=where["file"],
                                 cache=caches.setdefault(name, {}), inherited=inherited)
        if found and found[0].column is None:  # the table itself is not allowed
            out += found
            continue
        out += found
        out += _check_site(name, table, meta.get("site"), where)
        if not meta.get("share_back"):
            out += _check_period(name, table, meta, where)
            out += _check_intervention(name, table, meta.get("intervention"), where)
        if meta.get("level") == "aggregate" and not meta.get("share_back") and isinstance(
                meta.get("k"), int):
            out += _check_k(name, table, meta["k"], where)
    return out


# -- the identifier scanner on arriving tables ---------------------------------------------
def unfixed_values(tables: dict[str, pa.Table], level: str,
                   caches: dict[str, dict] | None = None) -> dict[tuple, pa.Array]:
    """``{(table, column): distinct values}`` that a column's form does not pin down.

    Values of a pseudonym, month or code form that match it cannot hold an identifier;
    numbers below :data:`MIN_IDENTIFIER` neither; columns with an enum are left to the
    schema check (a value off the enum refuses the package); dates and booleans are not
    scanned. Column names not in the table's schema are included. What is left —
    normally nothing — is what :func:`find_in_values` scans. ``caches`` holds the columns
    :func:`.allowlist.check_allow_list` found wholly in their form.
    """
    from ..store.tables import table_names, table_schema
    from .allowlist import distinct_text, export_forms, form_pattern, in_form

    out = {}
    for name, table in tables.items():
        known = name in table_names()
        forms = export_forms(name, level) if known else {}
        fields = {f["name"]: f for f in table_schema(name).fields} if known else {}
        cache = (caches or {}).get(name, {})
        odd = [c for c in table.column_names if c not in fields]
        if odd:
            out[(name, "<column names>")] = pa.array(odd, pa.string())
        for c in table.column_names:
            if cache.get(("in form", c)) or "enum" in fields.get(c, {}):
                continue  # a value off its enum is refused by the schema check anyway
            col = table.column(c)
            if pa.types.is_float16(col.type):  # no kernel computes on it (a wrong type)
                col = col.cast(pa.float32())
            if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
                lo_hi = pc.min_max(col)
                lo, hi = lo_hi["min"].as_py(), lo_hi["max"].as_py()
                if lo is None or (lo > -MIN_IDENTIFIER and hi < MIN_IDENTIFIER):
                    continue  # NaN compares false: a column of NaN is scanned, to be safe
                values = pc.unique(col.combine_chunks()).drop_null()
                # the bound in the column's own type: a uint64 above int64's range must
                # not be cast to int64 on the way
                values = values.filter(pc.fill_null(pc.greater_equal(
                    pc.abs(values), pa.scalar(MIN_IDENTIFIER, values.type)), False))
            else:
                values = distinct_text(table, c)
                if values is None:
                    continue
                if form_pattern(forms.get(c, "")):
                    values = values.filter(pa.array(~in_form(values, forms[c])))
            if len(values):
                out[(name, c)] = values
    return out


def _frame(groups: dict):
    """The values of many ``(…, table, column)`` groups as one frame for the scanner:
    ``text``; ``number``, numbers that may be phone numbers; ``count``, numbers of columns
    declared counts or measures, which the scanner checks for person numbers only (the
    rule of :func:`.scan.numbers_may_be_phones`, as on the way out)."""
    import pandas as pd

    from .scan import numbers_may_be_phones

    text, phones, counts = [], [], []
    for key, v in groups.items():
        if pa.types.is_string(v.type) or pa.types.is_large_string(v.type):
            text.append(v.cast(pa.string()))
        else:
            table, column = key[-2], key[-1]
            # not exact above 2**53, which no person number comes near: the scanner reads
            # 8 to 11 digits, and a larger number must not stop the check with an error
            (phones if numbers_may_be_phones(table, column) else counts).append(
                v.cast(pa.float64(), safe=False))

    def numbers(parts):
        return pd.Series(pa.concat_arrays(parts).to_numpy(zero_copy_only=False)
                         if parts else [], dtype="float64")

    return pd.DataFrame({
        "text": pd.Series(pa.concat_arrays(text).to_pylist() if text else [], dtype=object),
        "number": numbers(phones), "count": numbers(counts)})


def find_in_values(groups: dict) -> list[tuple]:
    """``[(key, kind)]`` for each group of values holding an identifier of that kind.

    A key ends with the table and column the values come from. All groups are scanned in
    one call of :func:`.privacy.find_personal_ids`; only when it finds something is each
    group scanned on its own to say which.
    """
    from .privacy import find_personal_ids

    if not groups or find_personal_ids(_frame(groups)).empty:
        return []
    return [(key, kind) for key, values in groups.items()
            for kind in find_personal_ids(_frame({key: values}))["kind"].unique()]


def honour_exceptions(found: list[tuple], meta: dict) -> list[tuple]:
    """The findings no reviewed exception recorded in the descriptor covers.

    The export records the exceptions it applied (``implementere_kit.privacy_exceptions``,
    checked by :mod:`.descriptor`: only columns its level allows, never a key column); an
    arriving finding of the same table, column and kind is let through by the same rule
    as on the way out (:func:`.privacy_exceptions.apply_exceptions`), and no other.
    """
    import pandas as pd

    from .privacy import FINDING_COLUMNS
    from .privacy_exceptions import apply_exceptions

    recorded = meta.get("privacy_exceptions")
    if not found or not recorded:
        return found
    findings = pd.DataFrame([(key[-2], key[-1], kind, 1, ()) for key, kind in found],
                            columns=FINDING_COLUMNS)
    blocking, _ = apply_exceptions(findings, recorded)
    left = set(zip(blocking["table"], blocking["column"], blocking["kind"], strict=True))
    return [(key, kind) for key, kind in found if (key[-2], key[-1], kind) in left]


def scan_problems(found: list[tuple], file: str) -> list[Problem]:
    """Problems for :func:`find_in_values` results keyed ``(table, column)``."""
    return [Problem("personal identifier in a table", file=f"{file}/{name}", resource=name,
                    column=c, expected="no personal identifiers", found=kind)
            for (name, c), kind in found]


def scan_tables(tables: dict[str, pa.Table], level: str, *, file: str,
                meta: dict | None = None) -> list[Problem]:
    """The identifier scanner on one package's tables: a problem per table, column, kind
    (less what an exception recorded in ``meta`` covers)."""
    found = find_in_values(unfixed_values(tables, level))
    return scan_problems(honour_exceptions(found, meta or {}), file)
