"""Reading a report's inputs: the period, the project's tables cut to it, and the
share-back package from the network."""

from __future__ import annotations

import re

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..store.tables import parse_dates

__all__ = ["parse_period", "cut_tables", "has_data", "read_share_back"]

_DAY = r"\d{4}(-\d{2}(-\d{2})?)?"
_PERIOD = re.compile(rf"^({_DAY})(:({_DAY}))?$")
#: Tables whose rows count for a period by their date.
DATED = {"sessions": "date", "fidelity_checks": "date", "competence_ratings": "date",
         "survey_responses": "date"}


def _bound(text: str, end: bool) -> pd.Timestamp:
    """First (or last) day of a year, month or day written YYYY[-MM[-DD]]."""
    parts = text.split("-")
    start = pd.Timestamp(f"{parts[0]}-{parts[1] if len(parts) > 1 else '01'}-"
                         f"{parts[2] if len(parts) > 2 else '01'}")
    if not end:
        return start
    if len(parts) == 1:
        return start + pd.offsets.YearEnd(0)
    if len(parts) == 2:
        return start + pd.offsets.MonthEnd(0)
    return start


def parse_period(period: str | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last day of a period written ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or
    ``FROM:TO`` with either of those on each side; ``None`` means the whole project.

    Raises
    ------
    ValidationError
        For any other shape, an impossible date, or a period that ends before it starts.

    Examples
    --------
    >>> [d.date().isoformat() for d in parse_period("2025-01:2025-06")]
    ['2025-01-01', '2025-06-30']
    >>> [d.date().isoformat() for d in parse_period("2024")]
    ['2024-01-01', '2024-12-31']
    """
    if period is None:
        return None, None
    expected = "YYYY, YYYY-MM, YYYY-MM-DD or FROM:TO (e.g. 2025-01:2025-06)"
    text = str(period).strip()
    m = _PERIOD.match(text)
    if not isinstance(period, str) or not m:
        raise ValidationError([Problem("period not understood", column="period",
                                       expected=expected, found=safe_value(period))])
    try:
        start = _bound(m.group(1), end=False)
        end = _bound(m.group(5) or m.group(1), end=True)
    except ValueError:
        raise ValidationError([Problem("period holds an impossible date", column="period",
                                       expected=expected, found=safe_value(period))]) from None
    if end < start:
        raise ValidationError([Problem("period ends before it starts", column="period",
                                       expected="FROM before TO", found=safe_value(period))])
    return start, end


def cut_tables(tables: dict[str, pd.DataFrame], start, end) -> dict[str, pd.DataFrame]:
    """The tables restricted to rows dated in [start, end]; see :func:`evaluate`."""
    out = dict(tables)
    for name, col in DATED.items():
        df = tables[name]
        if len(df):
            d = parse_dates(df[col])
            undated_ok = d.isna() & (name == "survey_responses")  # a survey date is optional
            out[name] = df[undated_ok | d.between(start, end)]
    parts = tables["participants"]
    if len(parts):
        ended = parse_dates(parts["ended"])
        keep = (parse_dates(parts["enrolled"]) <= end) & (ended.isna() | (ended >= start))
        out["participants"] = parts[keep]
        att = tables["attendance"]
        out["attendance"] = att[att["participant_id"].isin(parts.loc[keep, "participant_id"])]
    elig = tables["eligible"]
    if len(elig):
        p = elig["period"].astype(str)
        lo = p.map(lambda s: _bound(s, False) if re.fullmatch(r"\d{4}(-\d{2})?", s) else start)
        hi = p.map(lambda s: _bound(s, True) if re.fullmatch(r"\d{4}(-\d{2})?", s) else end)
        out["eligible"] = elig[(lo <= end) & (hi >= start)]
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def has_data(project, tables, start, end) -> bool:
    if any(len(tables[n]) for n in (*DATED, "participants")):
        return True
    acts = project.plan.activities
    for col in ("completed", "due"):
        if parse_dates(acts[col]).between(start, end).any():
            return True
    events = project.sic_events()
    return bool(len(events) and parse_dates(events["date"]).between(start, end).any())


def read_share_back(source, site: str) -> pd.DataFrame:
    """The ``benchmarks`` table of a share-back package, checked to hold ``site``'s rows."""
    if isinstance(source, pd.DataFrame):
        bench = source
    else:
        from ..exchange.validate import open_package

        with open_package(source) as pkg:
            if "benchmarks" not in pkg.resources:
                raise ValidationError([Problem("not a share-back package", file=str(source),
                                               expected="a package with a benchmarks table",
                                               found=", ".join(pkg.resources))])
            bench = pkg.frame("benchmarks")
    if not (bench["site"].astype(str) == str(site)).any():
        raise ValidationError([Problem("share-back package is for another site",
                                       file=None if isinstance(source, pd.DataFrame)
                                       else str(source), column="site", expected=str(site),
                                       found=", ".join(sorted(bench["site"].astype(str)
                                                              .unique())[:5]))])
    return bench
