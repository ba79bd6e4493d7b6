"""Each implementation outcome computed from one site's tables (private; the public API,
the outcome definitions and the references are in :mod:`implementere_kit.measures.outcomes`).

Every ``_<outcome>`` step takes ``(tables, as_of, sustain_months, intervention)`` and returns
rows ``{outcome, value, n, numerator, denominator, target, source}``; an outcome without
data gets a row with value NaN, n 0 and a ``source`` starting ``"no data"``.

Examples
--------
>>> _share("adoption", 2, 3, 3, "staff")["value"]
0.6666666666666666
>>> _nodata("reach", "eligible table empty")["source"]
'no data: eligible table empty'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..plans.intervention import Intervention, load_intervention
from ._fidelity_input import _collect, _table
from .adherence_competence import adherence
from .fidelity import attendance_summary, reach
from .instruments import responses_from_long, score_instrument

#: Mean AIM/IAM/FIM score that "meets": our convention (agree on average), not Weiner's.
SURVEY_TARGET = 4.0
#: Window for penetration: staff who delivered within this many months before ``as_of``.
PENETRATION_MONTHS = 6
_SURVEYS = {"acceptability": "aim", "appropriateness": "iam", "feasibility": "fim"}
_TABLES = ("staff", "sessions", "participants", "attendance", "fidelity_checks",
           "survey_responses", "eligible")


def _row(outcome: str, value=np.nan, n=0, numerator=np.nan, denominator=np.nan,
         target=np.nan, source: str = "") -> dict:
    return {"outcome": outcome, "value": float(value), "n": int(n),
            "numerator": float(numerator), "denominator": float(denominator),
            "target": float(target), "source": source}


def _nodata(outcome: str, why: str) -> dict:
    return _row(outcome, source=f"no data: {why}")


def _share(outcome: str, num, den, n, source: str) -> dict:
    return _row(outcome, num / den, n, num, den, source=source)


def _has(tables: Mapping, name: str) -> bool:
    return tables.get(name) is not None and len(tables[name]) > 0


def _validated(tables: Mapping, *names: str) -> list[pd.DataFrame | None]:
    """The named tables validated (None where empty), every problem raised at once."""
    return _collect(*[lambda n=n: _table(tables[n], n) if _has(tables, n) else None
                      for n in names])


def _check_args(as_of, sustain_months) -> tuple[pd.Timestamp, int]:
    problems = []
    try:
        when = pd.Timestamp(dt.date.today() if as_of is None else as_of).normalize()
        if pd.isna(when):
            raise ValueError
    except (ValueError, TypeError):
        when = None
        problems.append(Problem("bad as_of date", column="as_of", expected="a date (YYYY-MM-DD)",
                                found=safe_value(as_of)))
    if isinstance(sustain_months, bool) or not isinstance(sustain_months, int | np.integer) \
            or sustain_months < 1:
        problems.append(Problem("bad sustain_months", column="sustain_months",
                                expected="a whole number of months ≥ 1",
                                found=safe_value(sustain_months)))
    if problems:
        raise ValidationError(problems)
    return when.tz_localize(None) if when.tz is not None else when, int(sustain_months)


def _inputs(obj, intervention, site) -> tuple[dict, Intervention, str]:
    """Tables, intervention and site from a Project or from a dict of tables."""
    if hasattr(obj, "table") and hasattr(obj, "intervention") and hasattr(obj, "site"):
        if intervention is not None or site is not None:
            raise ValidationError("a Project carries its own intervention and site: pass "
                                  "intervention= and site= only with a dict of tables")
        return {n: obj.table(n) for n in _TABLES}, obj.intervention, str(obj.site)
    if not isinstance(obj, Mapping):
        raise ValidationError([Problem("expected a Project or a dict of tables",
                                       expected="Project or {table name: DataFrame}",
                                       found=type(obj).__name__)])
    problems = [Problem("unknown table", resource=str(k), expected="one of " + ", ".join(_TABLES))
                for k in obj if k not in _TABLES]
    problems += [Problem("table must be a DataFrame", resource=k, found=type(v).__name__)
                 for k, v in obj.items() if k in _TABLES and v is not None
                 and not isinstance(v, pd.DataFrame)]
    if intervention is None:
        problems.append(Problem("intervention missing", column="intervention",
                                expected="intervention= an Intervention or an id such as 'keep'"))
    if problems:
        raise ValidationError(problems)
    if not isinstance(intervention, Intervention):
        intervention = load_intervention(intervention)
    tables = {k: v for k, v in obj.items() if v is not None}
    found = sorted({str(s) for t in tables.values() if "site" in t.columns
                    for s in t["site"].dropna().unique()})
    if site is None and len(found) != 1:
        raise ValidationError([Problem("cannot tell which site" if found else "no site given",
                                       column="site", expected="site= one site code",
                                       found=", ".join(map(safe_value, found)) or None)])
    site = str(site) if site is not None else found[0]
    return _for_site(tables, site), intervention, site


def _for_site(tables: dict, site: str) -> dict:
    """Rows of ``site`` only; attendance loses the rows of other sites' participants."""
    # Rows without a site stay, so that validation reports them.
    out = {k: t[(t["site"].astype("string") == site).fillna(True).to_numpy(dtype=bool)]
           if "site" in t.columns else t for k, t in tables.items()}
    parts, att = tables.get("participants"), tables.get("attendance")
    if parts is not None and att is not None and {"site", "participant_id"} <= set(parts.columns) \
            and "participant_id" in att.columns:
        other = (parts["site"].astype("string") != site).fillna(False).to_numpy(dtype=bool)
        others = parts.loc[other, "participant_id"]
        out["attendance"] = att[~att["participant_id"].isin(others)]
    return out


# -- the outcomes ---------------------------------------------------------------------------
def _surveys(tables: dict, as_of: pd.Timestamp, _months: int, _iv: Intervention) -> list[dict]:
    if not _has(tables, "survey_responses"):
        return [_nodata(o, "survey_responses table empty") for o in _SURVEYS]
    long = _table(tables["survey_responses"], "survey_responses")
    dated = long["date"].isna() | (long["date"] <= as_of)
    rows = []
    for outcome, inst in _SURVEYS.items():
        wide = responses_from_long(long, inst)  # whole table, so problems name the right rows
        waves = long.loc[dated & (long["instrument"] == inst), "wave"]
        if waves.empty:
            rows.append(_nodata(outcome, f"no {inst.upper()} answers by as_of"))
            continue
        wave = int(waves.max())
        scores = score_instrument(wide[wide["wave"] == wave], inst)[outcome].dropna()
        if scores.empty:
            rows.append(_nodata(outcome, f"no respondent answered enough {inst.upper()} items"))
            continue
        rows.append(_row(outcome, scores.mean(), len(scores), target=SURVEY_TARGET,
                         source=f"survey_responses: {inst.upper()} wave {wave}"))
    return rows


def _delivery(tables: dict, as_of: pd.Timestamp):
    """Trained staff with first and last delivery by as_of, and all delivery dates."""
    ses, st = _validated(tables, "sessions", "staff")
    dates = pd.Series(dtype="datetime64[ns]")
    led = pd.DataFrame(columns=["first", "last"], dtype="datetime64[ns]")
    if ses is not None:
        ses = ses[ses["date"] <= as_of]
        dates = ses["date"]
        who = ses.assign(practitioner_id=ses["leaders"].str.split(";")).explode("practitioner_id")
        who["practitioner_id"] = who["practitioner_id"].str.strip()
        who = who[who["practitioner_id"].notna() & (who["practitioner_id"] != "")]
        led = who.groupby("practitioner_id")["date"].agg(first="min", last="max")
    if st is None:
        return None, dates
    st = st[st["trained"].isna() | (st["trained"] <= as_of)].set_index("practitioner_id")
    first = st["first_delivery"].where(st["first_delivery"] <= as_of)
    # Delivering after as_of means still delivering at as_of.
    last = st["last_delivery"].clip(upper=as_of).where(first.notna()).fillna(first)
    lf, ll = led["first"].reindex(st.index), led["last"].reindex(st.index)
    staff = pd.DataFrame({"first": pd.concat([first, lf], axis=1).min(axis=1),
                          "last": pd.concat([last, ll], axis=1).max(axis=1)})
    return staff, pd.concat([dates, staff["first"], staff["last"]]).dropna()


def _staff(tables: dict, as_of: pd.Timestamp, months: int, _iv: Intervention) -> list[dict]:
    staff, dates = _delivery(tables, as_of)
    cut = as_of - pd.DateOffset(months=months)
    rows = []
    if staff is None or staff.empty:
        why = "staff table empty" if staff is None else "no staff trained by as_of"
        rows += [_nodata(o, why) for o in ("adoption", "penetration", "sustainability_staff")]
    else:
        n = len(staff)
        src = "staff, sessions" if _has(tables, "sessions") else "staff"
        recent = staff["last"] > (as_of - pd.DateOffset(months=PENETRATION_MONTHS))
        rows.append(_share("adoption", int(staff["first"].notna().sum()), n, n, src))
        rows.append(_share("penetration", int(recent.sum()), n, n, src))
        judged = staff["first"] <= cut
        if judged.any():
            kept = int((judged & (staff["last"] > cut)).sum())
            rows.append(_share("sustainability_staff", kept, int(judged.sum()),
                               int(judged.sum()), src))
        else:
            rows.append(_nodata("sustainability_staff",
                                f"no practitioner began delivering {months} months before as_of"))
    if dates.empty:
        rows.append(_nodata("sustainability", "no delivery recorded by as_of"))
    elif dates.min() > cut:
        rows.append(_nodata("sustainability", f"delivery began less than {months} months "
                                              "before as_of: too early to judge"))
    else:
        held = int(dates.max() > cut)
        src = "sessions" if _has(tables, "sessions") else "staff"
        rows.append(_share("sustainability", held, 1, 1, src))
    return rows


def _adherence(tables: dict, as_of: pd.Timestamp, _m: int, iv: Intervention) -> list[dict]:
    if not _has(tables, "fidelity_checks"):
        return [_nodata("fidelity_adherence", "fidelity_checks table empty")]
    chk = _table(tables["fidelity_checks"], "fidelity_checks")
    chk = chk[chk["date"] <= as_of]
    a = adherence(chk, threshold=iv.fidelity_threshold, by=()) if len(chk) else None
    if a is None or not a["n_items"].iloc[0]:
        return [_nodata("fidelity_adherence", "no checklist item scored by as_of")]
    a = a.iloc[0]
    credit = round(float(a["adherence"]) * int(a["n_items"]), 9)  # undo the mean's rounding
    return [_row("fidelity_adherence", a["adherence"], a["n_checks"], credit, a["n_items"],
                 iv.fidelity_threshold, "fidelity_checks")]


def _dosage(tables: dict, as_of: pd.Timestamp, _m: int, iv: Intervention) -> list[dict]:
    rule = iv.dosage
    if rule is None:
        return [_nodata("fidelity_dosage", f"intervention {iv.id!r} has no dosage rule")]
    if not _has(tables, "attendance"):
        return [_nodata("fidelity_dosage", "attendance table empty")]
    parts, _ = _validated(tables, "participants", "attendance")
    if parts is not None:
        s = attendance_summary(tables["attendance"], rule, parts)
        ended = parts["ended"].notna() & (parts["ended"] <= as_of)
        ended |= parts["ended"].isna() & parts["end_reason"].notna()
        s = s[s["participant_id"].isin(parts.loc[ended, "participant_id"])]
        src = "attendance, participants (ended by as_of)"
    else:  # nothing tells who has finished, so courses in progress count too
        s = attendance_summary(tables["attendance"], rule)
        src = "attendance (no participants table: courses in progress count too)"
    if s.empty:
        return [_nodata("fidelity_dosage", "no participant has ended by as_of")]
    attended = int(np.minimum(s["n_attended"], rule.sessions).sum())
    return [{**_share("fidelity_dosage", attended, len(s) * rule.sessions, len(s), src),
             # no attendance share when the practitioner decides completion (FFT, PMTO)
             "target": np.nan if rule.min_attendance is None else float(rule.min_attendance)}]


def _reach(tables: dict, as_of: pd.Timestamp, _m: int, _iv: Intervention) -> list[dict]:
    if not _has(tables, "eligible"):
        return [_nodata("reach", "eligible table empty")]
    if not _has(tables, "participants"):
        return [_nodata("reach", "participants table empty")]
    parts, _ = _validated(tables, "participants", "eligible")
    r = reach(parts[parts["enrolled"] <= as_of], tables["eligible"])
    period = r["period"].fillna("")
    start = pd.to_datetime(period.where(period.str.len() != 4, period + "-01") + "-01",
                           format="%Y-%m-%d", errors="coerce")  # NaT for "all"
    r = r[(period != "") & ~(start > as_of) & (r["n_eligible"] > 0)]
    # Years and months overlap: use the coarsest kind of period given, never both.
    for kind, width in (("all", 3), ("years", 4), ("months", 7)):
        use = r[r["period"].str.len() == width]
        if len(use):
            num, den = int(use["n_participants"].sum()), int(use["n_eligible"].sum())
            periods = sorted(use["period"])
            span = periods[0] if len(periods) == 1 else f"{periods[0]}–{periods[-1]}"
            return [_share("reach", num, den, den, f"participants, eligible ({kind}: {span})")]
    return [_nodata("reach", "no eligible count above 0 for a period by as_of")]
