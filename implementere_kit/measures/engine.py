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

from ..errors import Problem, ValidationError, safe_value
from ..store.tables import parse_dates, table_schema
from ._units import SOURCE_COLUMNS, UNITS
from .catalogue import Rules, families, measure, measures, parameters
from .catalogue import sums as catalogue_sums

__all__ = ["Source", "from_tables", "from_store", "prepare", "sums", "combine",
           "measures_from_sums", "compute", "as_of_date", "SUM_COLUMNS"]

_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
          "date": "DATE"}
_PERIOD = {"all": "'all'", "year": "strftime(date, '%Y')", "month": "strftime(date, '%Y-%m')"}
#: Columns of a long table of sums (``by`` columns come after ``period``).
SUM_COLUMNS = ["site", "intervention", "level", "period", "sum", "value", "suppressed", "reason"]
_RULE_COLUMNS = ["_package", "site", "intervention", "rows", "sessions", "to_graduate",
                 "makeups_count", "completion", "session_minutes", "leaders_per_group",
                 "max_group_size"]


class Source:
    """A DuckDB connection prepared for the unit views (see the module docstring)."""

    def __init__(self, con, *, activities: pd.DataFrame | None = None, site: str = "",
                 owned: bool = True):
        self.con, self.activities, self.site, self.owned = con, activities, site, owned
        self.published = False  # whether aggregate packages' sums are there to add

    def close(self) -> None:
        if self.owned:
            self.con.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def as_of_date(as_of) -> pd.Timestamp:
    """``as_of`` as a day (default today); :class:`ValidationError` when it is no date."""
    import datetime as dt

    try:
        when = pd.Timestamp(dt.date.today() if as_of is None else as_of)
        if pd.isna(when):
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError([Problem("bad as_of date", column="as_of",
                                       expected="a date (YYYY-MM-DD)",
                                       found=safe_value(as_of))]) from None
    return (when.tz_localize(None) if when.tz is not None else when).normalize()


def _src_view(con, name: str, source: str | None, columns, package: str = "_package") -> None:
    """``src_<name>``: the columns the unit views read, typed as ``tables.yaml`` says."""
    schema = table_schema(name)
    cols = []
    for c in SOURCE_COLUMNS[name]:
        kind = _TYPES[schema.field(c)["type"]]
        cols.append(f'CAST("{c}" AS {kind}) AS "{c}"' if c in columns else f'NULL::{kind} AS "{c}"')
    body = (f'SELECT CAST({package} AS VARCHAR) AS _package, {", ".join(cols)} FROM "{source}"'
            if source else f'SELECT NULL::VARCHAR AS _package, {", ".join(cols)} WHERE false')
    con.execute(f"CREATE OR REPLACE TEMP VIEW src_{name} AS {body}")


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """The columns of ``df`` the unit views read, as types DuckDB takes without guessing."""
    schema = table_schema(name)
    out = {}
    for c in SOURCE_COLUMNS[name]:
        if c not in df.columns:
            continue
        s, kind = df[c], schema.field(c)["type"]
        if kind == "date":
            out[c] = parse_dates(s).reset_index(drop=True)
        elif kind in ("integer", "number"):
            out[c] = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        elif kind == "boolean":
            out[c] = s.astype("boolean").to_numpy() if s.dtype != bool else s.to_numpy()
        else:
            out[c] = s.astype("string").to_numpy()
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _register_rules(con, rows: Sequence[tuple[str, str, Rules, bool]]) -> None:
    from ..plans.frameworks import sic_phase_of_stage

    data = [(pkg, site, r.intervention, flag, r.sessions, r.to_graduate, r.makeups_count,
             r.completion, r.session_minutes, r.leaders_per_group, r.max_group_size)
            for pkg, site, r, flag in rows]
    rules = pd.DataFrame(data, columns=_RULE_COLUMNS)
    for c in ("sessions", "to_graduate", "session_minutes", "leaders_per_group",
              "max_group_size"):
        rules[c] = pd.array(rules[c], dtype="Int64")
    comps = pd.DataFrame([(pkg, c, c in r.core_components) for pkg, _, r, _ in rows
                          for c in r.components], columns=["_package", "component", "core"])
    phases = pd.DataFrame({"stage": range(1, 9),
                           "phase": [sic_phase_of_stage(s) for s in range(1, 9)]})
    for name, df in (("ik_rules", rules), ("ik_components", comps.astype({"core": bool})),
                     ("ik_sic_phases", phases)):
        con.register(name, df)


def from_tables(tables: Mapping[str, pd.DataFrame], rules: Rules, *,
                activities: pd.DataFrame | None = None, site: str = "") -> Source:
    """A source over a project's tables (``{name: DataFrame}``; absent tables count as empty).

    The tables should be valid (``Project.table`` gives them so); dates may be text in the
    formats :func:`~implementere_kit.store.tables.parse_dates` reads. ``activities`` (the
    plan of ``site``) feeds the plan measures.
    """
    from .._duckdb import connect

    con = connect()
    for name in SOURCE_COLUMNS:
        df = tables.get(name)
        if df is None or not len(df):
            _src_view(con, name, None, ())
            continue
        con.register(f"ik_t_{name}", _typed(df, name))
        _src_view(con, name, f"ik_t_{name}", set(df.columns), package="'local'")
    _register_rules(con, [("local", site, rules, True)])
    return Source(con, activities=activities, site=site)


def _rules_of_package(row, cache: dict) -> Rules:
    """A package's rules: its recorded dosage, the rest from the intervention it names."""
    from ..errors import UnknownNameError
    from ..plans.intervention import load_intervention

    iv_id = row["intervention"]
    if iv_id not in cache:
        try:
            cache[iv_id] = load_intervention(iv_id)
        except (UnknownNameError, ValidationError):
            cache[iv_id] = None
    dosage = {"sessions": row["dosage_sessions"], "min_attendance": row["dosage_min_attendance"],
              "makeups_count": row["dosage_makeups_count"]}
    dosage = {k: (None if pd.isna(v) else v) for k, v in dosage.items()}
    iv = cache[iv_id]
    if iv is not None:
        base = Rules.of(iv, dosage=dosage)
    else:  # an intervention this toolkit does not ship: what the package recorded
        from ..plans.intervention import DosageRule

        rule = DosageRule(**{k: v for k, v in dosage.items() if v is not None}) \
            if dosage["sessions"] else None
        base = Rules(str(iv_id), sessions=rule and rule.sessions,
                     to_graduate=rule and rule.sessions_to_graduate,
                     makeups_count=True if rule is None else rule.makeups_count,
                     completion="attendance" if rule else "recorded")
    if not pd.isna(row["fidelity_threshold"]):
        from dataclasses import replace

        base = replace(base, fidelity_threshold=float(row["fidelity_threshold"]))
    return base


def from_store(con, families_=None) -> Source:
    """A source over a network store's connection (its views and ``provenance``), for
    ``families_`` (default all)."""
    fams = families()
    needed = {t for f in (families_ or fams) for t in fams[f]["tables"]}
    columns: dict[str, set[str]] = {}
    for table, col in con.execute("SELECT table_name, column_name FROM "
                                  "information_schema.columns WHERE table_schema = 'main'"
                                  ).fetchall():
        columns.setdefault(table, set()).add(col)
    views = set(columns)
    for name in SOURCE_COLUMNS:
        if name not in needed and _has_view(con, f"src_{name}"):
            continue  # left as it is: no view of this call reads it
        if name in views:
            _src_view(con, name, name, columns[name])
        else:
            _src_view(con, name, None, ())
    prov = con.execute("SELECT package_id, site, intervention, level, dosage_sessions, "
                       "dosage_min_attendance, dosage_makeups_count, fidelity_threshold "
                       "FROM provenance").df()
    cache: dict = {}
    _register_rules(con, [(r["package_id"], str(r["site"]), _rules_of_package(r, cache),
                           r["level"] != "aggregate") for _, r in prov.iterrows()])
    if "agg_measures" in views:
        con.execute('CREATE OR REPLACE TEMP VIEW src_agg_measures AS SELECT CAST(a.site AS '
                    'VARCHAR) AS site, r.intervention, a.level, a.period, a."sum", a.value, '
                    'a.suppressed, a.reason FROM agg_measures a '
                    'JOIN ik_rules r ON r._package = a._package')
    else:
        con.execute("DROP VIEW IF EXISTS src_agg_measures")
    src = Source(con, owned=False)
    src.published = "agg_measures" in views
    return src


def _register_respondents(src: Source, when: pd.Timestamp) -> None:
    """Scores of the latest wave (by ``when``) per site and instrument, scored by
    :func:`~implementere_kit.measures.instruments.score_instrument`."""
    from .instruments import load_instrument, responses_from_long, score_instrument

    names = families()["surveys"]["instruments"]
    long = src.con.execute(
        "SELECT s._package, s.respondent_id, s.site, s.instrument, s.wave, s.date, s.item, "
        "s.value FROM src_survey_responses s JOIN ik_rules r ON r._package = s._package "
        "WHERE r.rows AND list_contains(?, s.instrument) AND (s.date IS NULL OR s.date <= ?)",
        [names, (when or pd.Timestamp("2262-01-01")).date()]).df()
    parts = []
    for name in names:
        rows = long[long["instrument"] == name]
        if rows.empty:
            continue
        rows = rows.assign(respondent_id=rows["_package"] + "\x1f" + rows["respondent_id"])
        latest = rows.groupby("site")["wave"].transform("max")
        rows = rows[rows["wave"] == latest]
        inst = load_instrument(name)
        scored = score_instrument(responses_from_long(rows.drop(columns="_package"), inst), inst)
        dates = rows.groupby(["respondent_id", "wave"])["date"].min()
        parts.append(pd.DataFrame({
            "_package": scored["respondent_id"].str.split("\x1f").str[0],
            "site": scored["site"].astype("string"), "instrument": name,
            "wave": scored["wave"].astype("int64"),
            "date": dates.reindex(pd.MultiIndex.from_frame(scored[["respondent_id", "wave"]]))
            .to_numpy(), "score": scored[inst.total_name].astype("float64")}))
    cols = {"_package": "string", "site": "string", "instrument": "string", "wave": "int64",
            "date": "datetime64[ns]", "score": "float64"}
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in cols.items()})
    src.con.register("ik_respondents", frame.astype(cols))


def _register_activities(src: Source, when: pd.Timestamp) -> None:
    from ..plans.progress import phase_progress

    acts = src.activities
    if acts is not None and len(acts):
        prog = phase_progress(acts, as_of=when, by=("phase",))
        frame = pd.DataFrame({"_package": "local", "site": src.site,
                              "n_activities": [int(prog["n_activities"].sum())],
                              "n_done": [int(prog["n_done"].sum())],
                              "n_overdue": [int(prog["n_overdue"].sum())]})
    else:
        frame = pd.DataFrame({"_package": pd.Series(dtype="string"),
                              "site": pd.Series(dtype="string"),
                              **{c: pd.Series(dtype="int64")
                                 for c in ("n_activities", "n_done", "n_overdue")}})
    src.con.register("ik_activities", frame)


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
            families_=None) -> None:
    """Create the unit views of :mod:`._units` that ``families_`` (default all) read, on
    ``src``, as of ``when`` (None: no cut)."""
    p = p or parameters()
    lit = "DATE '9999-12-31'" if when is None else f"DATE '{when.date().isoformat()}'"
    fams = families()
    wanted = list(families_ or fams)
    if "surveys" in wanted:
        _register_respondents(src, when)
    if "plan" in wanted:
        _register_activities(src, when)
    views: list[str] = []
    for unit in [fams[f]["unit"] for f in wanted] + (["u_attendance"] if families_ is None
                                                     else []):
        for v in (*_NEEDS.get(unit, ()), unit):
            if v not in views:
                views.append(v)
    for view in views:
        src.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS "
                        + UNITS[view].format(as_of=lit, **{k: repr(v) for k, v in p.items()}))


def _param_sql(sql: str, lit: str, p: Mapping) -> str:
    out = sql.replace("AS_OF", lit)
    for k, v in p.items():
        out = out.replace(f"({k})", repr(v))
    return out


def _has_view(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [name]).fetchone()[0])


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


def _value(m, val: dict, sup: dict, why: dict) -> tuple:
    if not any(s in val for s in m.sums):
        return np.nan, np.nan, np.nan, np.nan, False, f"no data: {', '.join(m.tables)} empty"
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
            return np.nan, n, num, den, False, f"no data: {m.empty or 'denominator is 0'}"
        return num / den, n, num, den, False, pd.NA
    if m.kind == "span":
        value = num - den if not (pd.isna(num) or pd.isna(den)) else np.nan
        return value, n, num, den, False, (pd.NA if not pd.isna(value)
                                           else f"no data: {m.empty or 'no completed dates'}")
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
