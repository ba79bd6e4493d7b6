"""Inputs and rows of the implementation outcomes (private; the public API is
:mod:`implementere_kit.measures.outcomes`, the definitions are the catalogue's).

A row is ``{outcome, value, n, numerator, denominator, target, source}``; an outcome without
data gets value NaN, n 0 and a ``source`` starting ``"no data"``.

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
from .catalogue import measure, parameters

#: Mean AIM/IAM/FIM score that "meets": our convention (agree on average), not Weiner's;
#: the catalogue's threshold of ``acceptability`` (and its siblings).
SURVEY_TARGET = measure("acceptability").target()
#: Window for penetration: staff who delivered within this many months before ``as_of``
#: (the catalogue's ``penetration_months``).
PENETRATION_MONTHS = int(parameters()["penetration_months"])
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
