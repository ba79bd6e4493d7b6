"""Barriers and solutions: what got in the way, what was tried, and what helped — in one
site and across the network.

A barrier (table ``barriers``) is placed by implementere.no phase and core element and by
EPIS domain (outer context, inner context, bridging factors, the innovation itself); its
topic follows Socialstyrelsen's moderators (recruitment, referral, attendance, practical
set-up, materials, communication) and a few more. The solution tried is typed as one of
the nine ERIC clusters of implementation strategies (Waltz et al. 2015) beside its own
words, so sites can compare solutions without sharing free text; its ``result`` says
whether it helped.

:func:`barrier_summary` counts barriers by phase, domain, topic or status;
:func:`what_helped` is the site report's table ("what got in the way and what helped");
:func:`recommendations` draws on the solutions logged across the network — strategies
that helped others with the same kind of barrier, ranked by how many sites they helped,
each with its concrete cases — and :func:`advice_for` matches them to one site's open
barriers.

References
----------
Aarons GA, Hurlburt M, Horwitz SM (2011). Advancing a conceptual model of evidence-based
practice implementation in public service sectors. Adm Policy Ment Health 38:4–23.
Waltz TJ, Powell BJ, Matthieu MM, et al. (2015). Use of concept mapping to characterize
relationships among implementation strategies and assess their feasibility and
importance: results from the ERIC study. Implementation Science 10:109.
Socialstyrelsen, Tidlig Indsats – Livslang Effekt, "Implementering" (challenges and good
solutions; recommendations with concrete cases).
"""

from __future__ import annotations

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..measures._site_data import collect
from ..store.tables import parse_dates

__all__ = ["barrier_summary", "what_helped", "recommendations", "advice_for", "BY"]

#: What barriers can be counted by.
BY = ("phase", "core_element", "domain", "topic", "status", "severity", "site")
_HELPED = {"helped": 1.0, "partly_helped": 0.5, "did_not_help": 0.0}


def _barriers(source) -> pd.DataFrame:
    """Every site's barriers; a network store holds no typed text (description, solution:
    they never leave a municipality), so those columns are empty there, not missing."""
    from ..store.tables import table_schema

    df = collect(source, "barriers")
    missing = [c for c in table_schema("barriers").columns if c not in df.columns]
    return df.assign(**{c: pd.Series(pd.NA, index=df.index, dtype="object") for c in missing})


def barrier_summary(source, by=("phase", "domain")) -> pd.DataFrame:
    """Barriers counted by ``by``: how many, how severe, how many solved.

    Returns ``n``, ``n_high`` (severity high), ``n_open``, ``n_working``, ``n_resolved``,
    ``share_resolved``, ``n_with_solution``, ``n_helped`` (a solution that helped or
    partly helped) and ``median_days_to_resolve`` per group.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"barrier_id": ["b1", "b2", "b3"], "site": "901",
    ...     "date": ["2024-01-10", "2024-02-01", "2024-05-01"],
    ...     "phase": ["planlegge", "implementere", "implementere"],
    ...     "domain": ["inner_context", "bridging_factors", "inner_context"],
    ...     "status": ["resolved", "open", "resolved"], "result": ["helped", None, "partly_helped"],
    ...     "resolved": ["2024-02-10", None, "2024-05-31"]})
    >>> s = barrier_summary(b, by=("phase",))
    >>> s[["phase", "n", "n_resolved", "median_days_to_resolve"]].values.tolist()
    [['planlegge', 1, 1, 31.0], ['implementere', 2, 1, 30.0]]
    """
    df = _barriers(source)
    by = [by] if isinstance(by, str) else list(by)
    bad = [b for b in by if b not in BY]
    if bad:
        raise ValidationError([Problem("cannot count barriers by this", column=str(b),
                                       expected=", ".join(BY), found=safe_value(b))
                               for b in bad])
    days = (parse_dates(df["resolved"]) - parse_dates(df["date"])).dt.days
    d = df.assign(_high=df["severity"] == "high", _open=df["status"] == "open",
                  _work=df["status"] == "working_on_it", _res=df["status"] == "resolved",
                  _sol=df["strategy"].notna() | df["solution"].notna(),
                  _helped=df["result"].isin(["helped", "partly_helped"]),
                  _days=days.where(df["status"] == "resolved"))
    if not by:
        d = d.assign(_all="all")
        by_used = ["_all"]
    else:
        by_used = by
    g = d.groupby(by_used, sort=False, dropna=False)
    out = pd.DataFrame({"n": g.size(), "n_high": g["_high"].sum(), "n_open": g["_open"].sum(),
                        "n_working": g["_work"].sum(), "n_resolved": g["_res"].sum(),
                        "n_with_solution": g["_sol"].sum(), "n_helped": g["_helped"].sum(),
                        "median_days_to_resolve": g["_days"].median()}).reset_index()
    out["share_resolved"] = out["n_resolved"] / out["n"]
    for c in ("n", "n_high", "n_open", "n_working", "n_resolved", "n_with_solution", "n_helped"):
        out[c] = out[c].astype("int64")
    out = out.drop(columns=["_all"], errors="ignore")
    order = {"phase": ["forberede", "planlegge", "implementere", "viderefore"]}
    for b in reversed(by):
        if b in order:
            out = out.sort_values(b, key=lambda s, o=order[b]: s.map(o.index), kind="stable")
    return out[[*by, "n", "n_high", "n_open", "n_working", "n_resolved", "share_resolved",
                "n_with_solution", "n_helped", "median_days_to_resolve"]].reset_index(drop=True)


def what_helped(source) -> pd.DataFrame:
    """One row per barrier, most recent first, for "what got in the way and what helped":
    ``date``, ``phase``, ``domain``, ``topic``, ``severity``, ``description``,
    ``strategy``, ``solution``, ``result`` and ``status`` (text columns as the site wrote
    them; they stay in the municipality)."""
    df = _barriers(source)
    cols = ["site", "date", "phase", "domain", "topic", "severity", "description", "strategy",
            "solution", "result", "status"]
    order = df["status"].map({"open": 0, "working_on_it": 1, "resolved": 2})
    return (df.assign(_o=order).sort_values(["_o", "date"], ascending=[True, False],
                                            kind="stable")[cols].reset_index(drop=True))


def _case(row) -> str:
    when = pd.Timestamp(row["date"]).strftime("%Y-%m") if pd.notna(row["date"]) else "?"
    site = f"{row['site']} {row.get('site_name') or ''}".strip()
    text = row.get("solution")
    text = text.strip() if isinstance(text, str) and text.strip() else None
    return f"{site} ({when}): {text}" if text else f"{site} ({when})"


def recommendations(source, *, topic=None, exclude_site=None, min_sites: int = 1,
                    max_cases: int = 3) -> pd.DataFrame:
    """Strategies that helped against each kind of barrier across the network, with cases.

    Every barrier with a typed strategy and a judged result counts; a strategy scores 1
    when it helped, ½ when it partly helped, 0 when it did not. For each ``topic`` (and
    EPIS ``domain``) and strategy: ``n_barriers``, ``n_sites``, ``n_helped``,
    ``n_partly``, ``n_not``, ``share_helped`` (the mean score), ``sites_helped`` and up to
    ``max_cases`` concrete ``cases`` ("site (month): what was done", newest first; the
    solution's own words only where the source holds them — a network store does not).
    Rows are ranked within a topic by sites helped, then share. ``recommended`` is true
    when the strategy helped at ``min_sites`` sites or more and more often than not.

    Parameters
    ----------
    source : barriers table, Project, folder, list of them, NetworkStore or ``*.duckdb``
    topic : str or list, optional
        Only these topics.
    exclude_site : str, optional
        Leave one site's own barriers out (its advice should come from the others).
    """
    df = _barriers(source)
    if exclude_site is not None:
        df = df[df["site"].astype(str) != str(exclude_site)]
    if topic is not None:
        df = df[df["topic"].isin([topic] if isinstance(topic, str) else list(topic))]
    df = df[df["strategy"].notna() & df["result"].isin(list(_HELPED))]
    cols = ["topic", "domain", "strategy", "n_barriers", "n_sites", "n_helped", "n_partly",
            "n_not", "share_helped", "sites_helped", "recommended", "cases"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.assign(topic=df["topic"].fillna("other"), _score=df["result"].map(_HELPED))
    rows = []
    for (topic_, domain, strategy), part in df.groupby(["topic", "domain", "strategy"]):
        good = part[part["result"] != "did_not_help"].sort_values("date", ascending=False)
        helped_sites = good["site"].astype(str).nunique()
        share = float(part["_score"].mean())
        rows.append((topic_, domain, strategy, len(part), part["site"].nunique(),
                     int((part["result"] == "helped").sum()),
                     int((part["result"] == "partly_helped").sum()),
                     int((part["result"] == "did_not_help").sum()), share, helped_sites,
                     helped_sites >= min_sites and share > 0.5,
                     [_case(r) for _, r in good.head(max_cases).iterrows()]))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["topic", "sites_helped", "share_helped", "n_barriers"],
                           ascending=[True, False, False, False], kind="stable"
                           ).reset_index(drop=True)


def advice_for(site_barriers, network, *, site: str | None = None,
               max_per_barrier: int = 2) -> pd.DataFrame:
    """For each open barrier of one site: strategies that helped other sites with the same
    topic, best first, with their cases (from :func:`recommendations`)."""
    mine = collect(site_barriers, "barriers")
    mine = mine[mine["status"] != "resolved"]
    site = site if site is not None else (str(mine["site"].iloc[0]) if len(mine) else None)
    recs = recommendations(network, exclude_site=site)
    recs = recs[recs["share_helped"] > 0]
    rows = []
    for _, b in mine.sort_values("date").iterrows():
        match = recs[recs["topic"] == (b["topic"] if pd.notna(b["topic"]) else "other")]
        for _, r in match.head(max_per_barrier).iterrows():
            rows.append((b["barrier_id"], b["topic"], b["description"], r["strategy"],
                         r["sites_helped"], r["share_helped"], r["cases"]))
    return pd.DataFrame(rows, columns=["barrier_id", "topic", "description", "strategy",
                                       "sites_helped", "share_helped", "cases"])
