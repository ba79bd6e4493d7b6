"""Checks of a package's data against its descriptor and the allow-list, and the scanner.

Used twice: on the way out (:func:`.package.write_package`, before anything is written)
and on the way in (:mod:`.validate`, before anything is stored), so an export never
produces what the network would refuse. All checks run on Arrow tables with vectorised
kernels; problems name the file, table and column, never an identifier.

- :func:`check_contents`: every table and column allowed at the package's level and in
  its declared form; every ``site`` column equal to the descriptor's site; every event
  date (``in_period`` in tables.yaml) inside the descriptor's period; every count of
  people in an aggregate table 0 or at least the package's k, and a part of a count
  (drop-outs among participants) likewise for itself and for the rest; fidelity
  components not of another shipped intervention than the one claimed.
- :func:`scan_tables`: the identifier scanner on the distinct values of every column
  whose values are not already fixed by their form.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem

__all__ = ["check_contents", "scan_tables", "MIN_IDENTIFIER"]

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
    if "site" not in table.column_names or not table.num_rows:
        return []
    col = table.column("site")
    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return []  # a wrong type is the schema check's problem
    others = pc.sum(pc.fill_null(pc.not_equal(col, site), True)).as_py() or 0
    if not others:
        return []
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
    bounds = _period_bounds(meta)
    if bounds is None:
        return []
    start, last = bounds
    out = []
    for f in _fields(name, "in_period"):
        c = f["name"]
        if c not in table.column_names:
            continue
        col = table.column(c)
        if f["type"] == "date" and (pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)):
            values = col.cast(pa.date32()) if pa.types.is_timestamp(col.type) else col
            lo, hi = pa.scalar(start, pa.date32()), pa.scalar(last, pa.date32())
            shown = f"{start.isoformat()} – {last.isoformat()}"
        elif f["type"] == "string" and pa.types.is_string(col.type):
            values, lo, hi = col, start.strftime("%Y-%m"), last.strftime("%Y-%m")
            shown = f"{lo} – {hi}"
        else:
            continue
        outside = pc.or_(pc.less(values, lo), pc.greater(values, hi))
        n = pc.sum(pc.fill_null(outside, False)).as_py() or 0
        if n:
            out.append(Problem("rows dated outside the package's period", **where, column=c,
                               expected=shown, found=f"{n} row(s)"))
    return out


def _small(col, k: int):
    """Mask of values 1 … k-1 (missing values are not small)."""
    return pc.fill_null(pc.and_(pc.greater_equal(col, 1), pc.less(col, k)), False)


def _check_k(name, table, k, where) -> list[Problem]:
    out = []
    for f in _fields(name, "k_count") + _fields(name, "k_part_of"):
        c = f["name"]
        if c not in table.column_names or not pa.types.is_integer(table.column(c).type):
            continue
        col = table.column(c)
        bad = _small(col, k)
        whole = f.get("k_part_of")
        if whole and whole in table.column_names and pa.types.is_integer(table.column(whole).type):
            bad = pc.or_(bad, _small(pc.subtract(table.column(whole), col), k))
        n = pc.sum(bad).as_py() or 0
        if n:
            out.append(Problem("published count of people below k", **where, column=c,
                               expected=f"0, at least {k}, or suppressed"
                               + (f" (and so is the rest of {whole})" if whole else ""),
                               found=f"{n} row(s)"))
    return out


def _check_intervention(name, table, intervention, where) -> list[Problem]:
    from ..plans.intervention import list_interventions, load_intervention

    if "component" not in table.column_names or intervention not in list_interventions():
        return []
    own = {c.id for c in load_intervention(intervention).components}
    others = {c.id for i in list_interventions() if i != intervention
              for c in load_intervention(i).components} - own
    col = table.column("component")
    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
    if not pa.types.is_string(col.type) or not others:
        return []
    foreign = pc.sum(pc.fill_null(pc.is_in(col, value_set=pa.array(sorted(others))),
                                  False)).as_py() or 0
    if not foreign:
        return []
    return [Problem("components of another intervention than the package's", **where,
                    column="component", expected=f"components of {intervention}",
                    found=f"{foreign} row(s)")]


def check_contents(meta: dict, tables: dict[str, pa.Table], *, file: str) -> list[Problem]:
    """Problems of ``tables`` against the allow-list and the descriptor's ``meta``."""
    from .allowlist import check_allow_list

    level = "share_back" if meta.get("share_back") else meta.get("level")
    out = []
    for name, table in tables.items():
        where = _where(file, name)
        found = check_allow_list(name, table, level, file=where["file"])
        if found and found[0].column is None:  # the table itself is not allowed
            out += found
            continue
        out += found
        out += _check_site(name, table, meta.get("site"), where)
        if not meta.get("share_back"):
            out += _check_period(name, table, meta, where)
            out += _check_intervention(name, table, meta.get("intervention"), where)
        if meta.get("level") == "aggregate" and isinstance(meta.get("k"), int):
            out += _check_k(name, table, meta["k"], where)
    return out


# -- the identifier scanner on arriving tables ---------------------------------------------
def _unfixed_values(name: str, table: pa.Table, level: str) -> dict[str, pa.Array]:
    """Distinct values of each column that its form does not already pin down.

    Values of a pseudonym, month or code form that match it, and enum values, cannot hold
    an identifier; numbers below :data:`MIN_IDENTIFIER` neither; dates and booleans are
    not scanned. What is left (normally nothing) goes to the scanner.
    """
    from ..store.tables import table_names, table_schema
    from .allowlist import export_forms, form_pattern

    forms = export_forms(name, level) if name in table_names() else {}
    enums = ({f["name"]: f["enum"] for f in table_schema(name).fields if "enum" in f}
             if name in table_names() else {})
    out = {}
    for c in table.column_names:
        col = table.column(c).combine_chunks()
        if pa.types.is_dictionary(col.type):
            col = col.dictionary
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            values = pc.unique(col).drop_null()
            big = pc.greater_equal(pc.abs(values), MIN_IDENTIFIER)
            values = values.filter(pc.fill_null(big, False))
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            values = pc.unique(col).drop_null()
            fixed = None
            pattern = form_pattern(forms.get(c, ""))
            if pattern:
                fixed = pc.match_substring_regex(values, pattern)
            if c in enums:
                in_enum = pc.is_in(values, value_set=pa.array([str(v) for v in enums[c]]))
                fixed = in_enum if fixed is None else pc.or_(fixed, in_enum)
            if fixed is not None:
                values = values.filter(pc.invert(pc.fill_null(fixed, False)))
        else:
            continue
        if len(values):
            out[c] = values
    return out


def scan_tables(tables: dict[str, pa.Table], level: str, *, file: str) -> list[Problem]:
    """The identifier scanner on arriving tables: one problem per table, column and kind.

    The distinct values left by :func:`_unfixed_values` of every table are scanned in one
    call; only when something is found are the columns scanned one by one to name them.
    """
    import pandas as pd

    from .privacy import find_personal_ids

    left = {(name, c): v for name, t in tables.items()
            for c, v in _unfixed_values(name, t, level).items()}
    # column names too: the allow-list admits only declared ones, the scanner checks anyway
    left.update({(name, "<column names>"): pa.array(t.column_names, pa.string())
                 for name, t in tables.items()})

    def frame(values: list[pa.Array]) -> pd.DataFrame:
        is_text = [pa.types.is_string(v.type) or pa.types.is_large_string(v.type)
                   for v in values]
        text = [v.cast(pa.string()) for v, t in zip(values, is_text, strict=True) if t]
        nums = [v.cast(pa.float64()) for v, t in zip(values, is_text, strict=True) if not t]
        return pd.DataFrame({
            "text": pd.Series(pa.concat_arrays(text).to_pylist() if text else [], dtype=object),
            "number": pd.Series(pa.concat_arrays(nums).to_numpy(zero_copy_only=False)
                                if nums else [], dtype="float64")})

    if find_personal_ids(frame(list(left.values()))).empty:
        return []
    out = []
    for (name, c), values in left.items():
        for kind in find_personal_ids(frame([values]))["kind"].unique():
            out.append(Problem("personal identifier in a table", file=f"{file}/{name}",
                               resource=name, column=c, expected="no personal identifiers",
                               found=kind))
    return out
