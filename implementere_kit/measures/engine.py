"""The one implementation of every catalogue measure: SQL in DuckDB over unit views.

A *source* is a DuckDB connection holding ``src_<table>`` views and the rule table
``ik_rules``: :func:`from_tables` makes one from a project's (or any) tables,
:func:`from_store` from a network store, whose aggregate packages add their published sums
(``agg_measures``). :func:`sums` takes the catalogue's sums over the unit views of
:mod:`._units` per site and period (the whole period, a year or a month), adds the
published sums, and :func:`measures_from_sums` turns sums into measures. The sums of several
sites add up (:func:`combine`), which is how the network pools sites — so a site's value is
the same from its project, its pseudonymised package and its aggregate package.

Examples
--------
>>> import pandas as pd
>>> from implementere_kit.measures.catalogue import Rules
>>> parts = pd.DataFrame({"participant_id": ["a", "b"], "site": "101", "group_id": "g1",
...                       "enrolled": "2024-01-08", "ended": ["2024-05-01", None],
...                       "end_reason": ["graduated", None]})
>>> att = pd.DataFrame({"participant_id": "a", "session_no": range(1, 14), "attended": True})
>>> rules = Rules("keep", sessions=16, to_graduate=13, completion="attendance")
>>> src = from_tables({"participants": parts, "attendance": att}, rules)
>>> m = compute(src, as_of="2024-12-31", ids=["completion", "completion_enrolled", "dose"])
>>> m[["measure", "value", "numerator", "denominator"]].values.tolist()
[['completion', 1.0, 1.0, 1.0], ['completion_enrolled', 0.5, 1.0, 2.0], ['dose', 0.8125, 13.0, 16.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from ._sources import (
    Source,
    _register_activities,
    _register_respondents,
    _register_sic_phases,
    as_of_date,
)
from ._sources import from_store as from_store
from ._sources import from_tables as from_tables
from ._units import DETAIL, UNITS
from .catalogue import families, measure, measures, parameters
from .catalogue import sums as catalogue_sums

__all__ = ["Source", "from_tables", "from_store", "prepare", "sums", "combine",
           "measures_from_sums", "compute", "as_of_date", "no_data_reasons", "SUM_COLUMNS"]

_PERIOD = {"all": "'all'", "year": "strftime(date, '%Y')", "month": "strftime(date, '%Y-%m')"}
#: Columns of a long table of sums (``by`` columns come after ``period``).
SUM_COLUMNS = ["site", "intervention", "level", "period", "sum", "value", "suppressed", "reason"]


def sums(src: Source, *, as_of=None, families_=None, levels: Sequence[str] = ("all",),
         by: Sequence[str] = (), params: Mapping | None = None) -> pd.DataFrame:
    """The catalogue's sums per site, intervention, level, period (and ``by``), long.

    Parameters
    ----------
    src : Source
    as_of : date, optional
        Rows dated after it are left out (default today).
    families_ : sequence of str, optional
        Families to compute (default all).
    levels : sequence of {"all", "year", "month"}
    by : sequence of str
        Extra grouping columns of the unit views (e.g. ``group_id``, ``component``);
        families without them are skipped and published sums are not used.
    params : mapping, optional
        Overrides of the catalogue's parameters (e.g. ``sustain_months``).
    """
    when = as_of_date(as_of)
    p = parameters(**(params or {}))
    lit = f"DATE '{when.date().isoformat()}'"
    fams = families()
    wanted = list(families_ or fams)
    bad = [lv for lv in levels if lv not in _PERIOD]
    if bad:
        raise ValidationError([Problem("unknown level", column="levels",
                                       expected="all, year or month", found=str(bad[0]))])
    con = src.con
    prepare(src, when, p, families_=wanted)
    cat_sums = catalogue_sums()
    frames = []
    for fam in wanted:
        unit = fams[fam]["unit"]
        cols = {r[0] for r in con.execute(f"DESCRIBE {unit}").fetchall()}
        if not set(by) <= cols:
            continue
        mine = [s for s in cat_sums.values() if s.family == fam]
        exprs = ", ".join(f'{_param_sql(s.sql, lit, p)} AS "{s.id}"' for s in mine)
        keys = ", ".join(["site", "intervention", *[f'"{b}"' for b in by]])
        for level in levels:
            where = "" if level == "all" else "WHERE date IS NOT NULL"
            wide = con.execute(f"SELECT {keys}, '{level}' AS level, {_PERIOD[level]} AS period, "
                               f"{exprs} FROM {unit} {where} GROUP BY ALL").df()
            if len(wide):
                frames.append(wide.melt(id_vars=["site", "intervention", *by, "level", "period"],
                                        var_name="sum", value_name="value"))
    if not by and src.published:
        ids = [s.id for s in cat_sums.values() if s.family in wanted]
        frames.append(con.execute(
            "SELECT * FROM src_agg_measures WHERE list_contains(?, \"sum\") AND list_contains(?, "
            "level)", [ids, list(levels)]).df())
    cols = ["site", "intervention", "level", "period", *by, "sum", "value"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out["suppressed"] = out.get("suppressed", pd.Series(False, index=out.index)) \
        .astype("boolean").fillna(False).astype(bool)
    out["reason"] = out.get("reason", pd.Series(pd.NA, index=out.index)).astype("string")
    out["value"] = out["value"].astype("float64")
    out["site"] = out["site"].astype("string")
    return combine(out[[*cols, "suppressed", "reason"]],
                   ["site", "intervention", "level", "period", *by])


#: Unit views that read other unit views.
_NEEDS = {"u_participants": ("u_attendance",), "u_delivery": ("u_staff",)}


def prepare(src: Source, when: pd.Timestamp | None, p: Mapping | None = None, *,
            families_=None, detail: bool = False) -> None:
    """Create the unit views of :mod:`._units` that ``families_`` (default all) read, on
    ``src``, as of ``when`` (None: no cut); ``detail`` adds sessions made up and the last
    session attended to ``u_attendance``."""
    p = p or parameters()
    lit = "DATE '9999-12-31'" if when is None else f"DATE '{when.date().isoformat()}'"
    fams = families()
    wanted = list(families_ or fams)
    if "surveys" in wanted:
        _register_respondents(src, when)
    if "plan" in wanted:
        _register_activities(src, when)
    if "sic" in wanted:
        _register_sic_phases(src.con)
    views: list[str] = []
    for unit in [fams[f]["unit"] for f in wanted] + (["u_attendance"] if families_ is None
                                                     else []):
        for v in (*_NEEDS.get(unit, ()), unit):
            if v not in views:
                views.append(v)
    extra = DETAIL if detail else dict.fromkeys(DETAIL, "0")
    for view in views:
        src.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS " + UNITS[view].format(
            as_of=lit, **extra, **{k: repr(v) for k, v in p.items()}))


def _param_sql(sql: str, lit: str, p: Mapping) -> str:
    out = sql.replace("AS_OF", lit)
    for k, v in p.items():
        out = out.replace(f"({k})", repr(v))
    return out


def combine(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Sums of rows sharing ``keys`` combined as the catalogue says (sum, min or max); a
    combination holding a suppressed sum is suppressed.

    Pooling sites is ``combine(df.assign(site="network"), [...])``: the network value is a
    measure of the combined sums, never a mean of site values.
    """
    keys = [*keys, "sum"]
    if df.empty or not df.duplicated(keys).any():
        return df.reset_index(drop=True)
    how = df["sum"].map({k: s.combine for k, s in catalogue_sums().items()}).fillna("sum")
    g = df.groupby(keys, dropna=False, sort=True)
    out = g["value"].sum(min_count=1).rename("value").reset_index()
    fn = g["sum"].size().index.get_level_values("sum").map(
        dict(zip(df["sum"], how, strict=True)))
    for name in ("min", "max"):
        pick = (fn == name).to_numpy()
        if pick.any():
            out.loc[pick, "value"] = getattr(g["value"], name)().to_numpy()[pick]
    out["suppressed"] = g["suppressed"].any().to_numpy()
    out["reason"] = g["reason"].first().to_numpy()
    out.loc[out["suppressed"], "value"] = np.nan
    out["reason"] = out["reason"].astype("string")
    return out


_OUT = ["measure", "value", "n", "numerator", "denominator", "suppressed", "reason"]


def measures_from_sums(df: pd.DataFrame, ids: Sequence[str] | None = None, *,
                       complete: bool = False) -> pd.DataFrame:
    """Measures from a long table of sums (see :func:`sums`), one row per key and measure.

    ``value`` is numerator ÷ denominator (ratio), the numerator (count, max) or their
    difference (span); ``n`` the population (or the denominator, or the count). A measure
    with a suppressed sum is suppressed; one without a denominator above 0 has no value and
    a ``reason`` saying why. ``complete`` keeps measures whose family has no rows.
    """
    cat = measures()
    chosen = [measure(i) for i in (ids or list(cat))]
    keys = [c for c in df.columns if c not in ("sum", "value", "suppressed", "reason")]
    rows = []
    groups = df.groupby(keys, dropna=False, sort=False) if len(df) else []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        val = dict(zip(g["sum"], g["value"], strict=True))
        sup = dict(zip(g["sum"], g["suppressed"], strict=True))
        why = dict(zip(g["sum"], g["reason"], strict=True))
        for m in chosen:
            if not complete and not any(s in val for s in m.sums):
                continue
            rows.append((*key, m.id, *_value(m, val, sup, why)))
    out = pd.DataFrame(rows, columns=[*keys, *_OUT])
    out["n"] = pd.array(out["n"].astype("float64").round(), dtype="Int64")
    for c in ("value", "numerator", "denominator"):
        out[c] = out[c].astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    out["reason"] = out["reason"].astype("string")
    return out


def no_data_reasons(m) -> dict[str, str]:
    """The ``reason`` texts a measure without a value can have, by case: its tables are
    empty, its denominator is 0 (ratio), it has no completed dates (span). Share-back
    packages carry only these (see :mod:`implementere_kit.exchange.vocabulary`)."""
    return {"empty": f"no data: {', '.join(m.tables)} empty",
            "ratio": f"no data: {m.empty or 'denominator is 0'}",
            "span": f"no data: {m.empty or 'no completed dates'}"}


def _value(m, val: dict, sup: dict, why: dict) -> tuple:
    if not any(s in val for s in m.sums):
        return np.nan, np.nan, np.nan, np.nan, False, no_data_reasons(m)["empty"]
    num = val.get(m.numerator, np.nan)
    den = val.get(m.denominator, np.nan) if m.denominator else np.nan
    pop = val.get(m.population, np.nan) if m.population else np.nan
    hidden = [s for s in m.sums if sup.get(s)]
    n = pop if m.population else (den if m.kind == "ratio" else
                                  num if m.kind == "count" else np.nan)
    if hidden:
        reason = next((why[s] for s in hidden if isinstance(why.get(s), str)), "suppressed")
        return np.nan, n, num, den, True, reason
    if m.kind == "ratio":
        if not den or pd.isna(den):
            return np.nan, n, num, den, False, no_data_reasons(m)["ratio"]
        return num / den, n, num, den, False, pd.NA
    if m.kind == "span":
        value = num - den if not (pd.isna(num) or pd.isna(den)) else np.nan
        return value, n, num, den, False, (pd.NA if not pd.isna(value)
                                           else no_data_reasons(m)["span"])
    return num, n, num, den, False, pd.NA


def compute(src: Source, *, as_of=None, ids: Sequence[str] | None = None,
            levels: Sequence[str] = ("all",), by: Sequence[str] = (),
            params: Mapping | None = None, pool: bool = False,
            complete: bool = False) -> pd.DataFrame:
    """Measures ``ids`` (default all) per site and period, or pooled over the sites."""
    fams = {measure(i).family for i in (ids or measures())}
    s = sums(src, as_of=as_of, families_=sorted(fams), levels=levels, by=by, params=params)
    if pool:
        s = combine(s.assign(site="network"), ["site", "intervention", "level", "period", *by])
    return measures_from_sums(s, ids, complete=complete)
