"""Sources for the measures engine (private): the DuckDB connection with ``src_<table>``
views, the rule table ``ik_rules`` and what Python adds (survey scores, plan progress).

:func:`from_tables` makes a source from a project's tables, :func:`from_store` from a
network store; :mod:`implementere_kit.measures.engine` computes on either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..store.tables import parse_dates, table_schema
from ._units import SOURCE_COLUMNS
from .catalogue import Rules, families

__all__ = ["Source", "from_tables", "from_store", "as_of_date"]

_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
          "date": "DATE"}
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
    """The columns of ``df`` the unit views read, as types DuckDB takes without guessing
    (columns already of the right kind pass as they are: no copy of ten million ids).
    Text is parsed as :func:`~implementere_kit.store.tables.validate_table` parses it; a
    value that does not parse is a :class:`ValidationError` naming its row and column,
    never a crash nor a silently missing value."""
    from ..store.tables import _NOT_PARSED, _parse, row_problems

    if not isinstance(df, pd.DataFrame):
        raise ValidationError([Problem(f"{name} must be a DataFrame", resource=name,
                                       found=type(df).__name__)])
    schema = table_schema(name)
    out, problems = {}, []
    for c in SOURCE_COLUMNS[name]:
        if c not in df.columns:
            continue
        s, kind = df[c].reset_index(drop=True), schema.field(c)["type"]
        typed = (pd.api.types.is_datetime64_any_dtype(s.dtype) if kind == "date" else
                 pd.api.types.is_bool_dtype(s.dtype) if kind == "boolean" else
                 pd.api.types.is_numeric_dtype(s.dtype)
                 and not pd.api.types.is_bool_dtype(s.dtype) if kind in ("integer", "number")
                 else True)
        if kind == "date":
            out[c] = parse_dates(s).reset_index(drop=True)
        elif kind != "string" and not typed:
            val, bad = _parse(s, kind)
            if bad is not None and bad.any():
                message, expected = _NOT_PARSED[kind]
                problems += row_problems(bad.to_numpy(dtype=bool, na_value=False), s,
                                         message=message, column=c, expected=expected,
                                         resource=name)
            out[c] = val.astype("float64") if kind in ("integer", "number") else val
        elif kind != "string" or (pd.api.types.is_string_dtype(s.dtype) and not isinstance(
                s.dtype, pd.CategoricalDtype)):
            out[c] = s  # already of its kind
        else:
            out[c] = s.astype("string")
        if kind == "date" and not typed:
            bad = out[c].isna() & s.notna() & (s.astype("string").str.strip() != "")
            if bad.any():
                message, expected = _NOT_PARSED["date"]
                problems += row_problems(bad.to_numpy(dtype=bool, na_value=False), s,
                                         message=message, column=c, expected=expected,
                                         resource=name)
    if problems:
        raise ValidationError(problems)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)), copy=False)


def _register_rules(con, rows: Sequence[tuple[str, str, Rules, bool]]) -> None:
    data = [(pkg, site, r.intervention, flag, r.sessions, r.to_graduate, r.makeups_count,
             r.completion, r.session_minutes, r.leaders_per_group, r.max_group_size)
            for pkg, site, r, flag in rows]
    rules = pd.DataFrame(data, columns=_RULE_COLUMNS)
    for c in ("sessions", "to_graduate", "session_minutes", "leaders_per_group",
              "max_group_size"):
        rules[c] = pd.array(rules[c], dtype="Int64")
    comps = pd.DataFrame([(pkg, c, c in r.core_components) for pkg, _, r, _ in rows
                          for c in r.components], columns=["_package", "component", "core"])
    for name, df in (("ik_rules", rules), ("ik_components", comps.astype({"core": bool}))):
        con.register(name, df)


def _register_sic_phases(con) -> None:
    """Stage → phase as the SIC framework's data says (the one mapping, in plans/)."""
    from ..plans.frameworks import sic_phase_of_stage

    con.register("ik_sic_phases", pd.DataFrame({
        "stage": range(1, 9), "phase": [sic_phase_of_stage(s) for s in range(1, 9)]}))


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
                    'VARCHAR) AS site, r.intervention, a.level, a.period, a.sum_id AS "sum", a.value, '
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



def _has_view(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [name]).fetchone()[0])
