"""Fidelity of content and of delivery: adherence to the intended content, from session
checklists, and practitioner competence, from competence ratings.

Carroll et al. (2007) make adherence the core of implementation fidelity: whether the
content was delivered as intended (:func:`adherence`). Quality of delivery, one of their
moderators, is what competence ratings measure (:func:`competence_summary`). Both are also
importable from :mod:`implementere_kit.measures.fidelity`, which covers dose and reach.

References
----------
Carroll C, Patterson M, Wood S, Booth A, Rick J, Balain S (2007). A conceptual framework
for implementation fidelity. Implementation Science 2:40.
https://doi.org/10.1186/1748-5908-2-40
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..plans.intervention import Intervention
from ._fidelity_input import _check_by, _is_number, _rows, _table, _units

__all__ = ["adherence", "competence_summary"]


def adherence(checks: pd.DataFrame, threshold: float = 0.8,
              by: Sequence[str] = ("component",), *, partly: float = 0.5,
              intervention: Intervention | None = None) -> pd.DataFrame:
    """Adherence to the intended content, from session fidelity checklists.

    Each item scores yes = 1, partly = ``partly``, no = 0; ``na`` (not applicable) items
    are left out of both numerator and denominator.

    Parameters
    ----------
    checks : DataFrame
        Table ``fidelity_checks`` (one row per checklist item).
    threshold : float
        Adherence a unit must reach (KEEP-style programmes often use 0.8; pass
        ``intervention.fidelity_threshold`` to use the owner's).
    by : sequence of str
        Any of ``component``, ``practitioner_id``, ``group_id``, ``site``, ``month``
        (month of the check), ``item``, ``session_no``; ``()`` for one overall row.
    partly : float
        Credit for an item delivered in part.
    intervention : Intervention, optional
        Adds ``kind`` (core/flexible) and ``core`` (a core component) when grouping by
        component, otherwise ``core_adherence`` (adherence over core-component items only).

    Returns
    -------
    DataFrame
        ``adherence``, ``n_items`` (scored items), ``n_na``, ``n_checks`` (distinct
        checklists) and ``meets_threshold`` per unit.

    Examples
    --------
    >>> import pandas as pd
    >>> chk = pd.DataFrame({"check_id": "c1", "site": "101", "date": "2024-02-01",
    ...                     "item": ["i1", "i2", "i3", "i4"], "component": "curriculum",
    ...                     "delivered": ["yes", "partly", "no", "na"]})
    >>> adherence(chk)[["component", "adherence", "n_items", "n_na", "meets_threshold"]]
        component  adherence  n_items  n_na  meets_threshold
    0  curriculum        0.5        3     1            False
    """
    by = _check_by(by, ("component", "practitioner_id", "group_id", "site", "month", "item",
                        "session_no"), "fidelity_checks")
    problems = [Problem(f"bad {name}", column=name, expected=expected, found=safe_value(v))
                for name, v, ok, expected in (
                    ("threshold", threshold, lambda x: 0 < x <= 1, "a share, 0 < threshold ≤ 1"),
                    ("partly", partly, lambda x: 0 <= x <= 1, "a share, 0 ≤ partly ≤ 1"))
                if not (_is_number(v) and ok(v))]
    if problems:
        raise ValidationError(problems)
    chk = _table(checks, "fidelity_checks")
    kinds = {c.id: c.kind for c in intervention.components} if intervention else {}
    if intervention is not None:
        unknown = ~chk["component"].isin(list(kinds)).to_numpy(dtype=bool)
        _rows(problems, unknown, "fidelity_checks", "component",
              f"component not in intervention {intervention.id!r}",
              "one of " + ", ".join(kinds), chk["component"])
        if problems:
            raise ValidationError(problems)
    # the catalogue's measures adherence, adherence_core and checklists, per unit
    from .catalogue import Rules
    from .engine import combine, from_tables, measures_from_sums, sums

    rules = Rules(intervention.id if intervention else "",
                  core_components=tuple(k for k, v in kinds.items() if v == "core"),
                  components=tuple(kinds))
    level = "month" if "month" in by else "all"
    eng_by = [b for b in by if b not in ("month", "site")]
    with from_tables({"fidelity_checks": chk}, rules) as src:
        s = sums(src, families_=["adherence"], levels=(level,), by=eng_by,
                 params={"partly_credit": float(partly)}, as_of=chk["date"].max())
    keys = [*(["site"] if "site" in by else []), "intervention", "level", "period", *eng_by]
    if "site" not in by:
        s = combine(s.assign(site=""), ["site", *keys[1:]])
    m = measures_from_sums(s, ["adherence", "adherence_core", "checklists"])
    idx = [k for k in ("site", "period", *eng_by) if k in m]
    wide = m.pivot_table(index=idx, columns="measure", values=["value", "denominator"],
                         aggfunc="first", dropna=False)
    na = s[s["sum"] == "n_items_na"].set_index(idx)["value"]
    out = pd.DataFrame({"adherence": wide[("value", "adherence")],
                        "n_items": wide[("denominator", "adherence")].fillna(0).astype("int64"),
                        "n_na": na.reindex(wide.index).fillna(0).astype("int64"),
                        "n_checks": wide[("value", "checklists")].fillna(0).astype("int64")})
    out["meets_threshold"] = pd.array(out["adherence"] >= threshold, dtype="boolean")
    out.loc[out["adherence"].isna(), "meets_threshold"] = pd.NA
    extra = []
    if intervention is not None and "component" in by:
        kind = out.index.get_level_values("component").map(kinds)
        out["kind"], out["core"], extra = kind, kind == "core", ["kind", "core"]
    elif intervention is not None:
        out["core_adherence"] = wide[("value", "adherence_core")]
        extra = ["core_adherence"]
    out = out.reset_index().rename(columns={"period": "month"})
    if not by:
        out = out.drop(columns=[c for c in ("site", "month") if c in out])
    return out[[*by, "adherence", "n_items", "n_na", "n_checks", "meets_threshold", *extra]]


def competence_summary(ratings: pd.DataFrame, certification_level: float,
                       by: Sequence[str] = ("practitioner_id",)) -> pd.DataFrame:
    """Competence ratings per practitioner (or site) and dimension, and certification.

    Parameters
    ----------
    ratings : DataFrame
        Table ``competence_ratings`` (one row per dimension rated; e.g. FIMP-style
        knowledge, structure, teaching, clinical skill, overall).
    certification_level : float
        Score at or above which a rating counts as certified level.
    by : sequence of str
        Any of ``practitioner_id``, ``site``, ``instrument``, ``rater_id``.

    Returns
    -------
    DataFrame
        One row per unit and ``dimension``: ``mean_score``, ``min_score``, ``n_ratings``,
        ``latest_date``, ``latest_score`` (mean of the ratings on the latest date),
        ``share_at_level``; and per unit ``certification_score`` — the latest ``overall``
        rating, or, for a unit never rated overall, the mean of the dimensions on its
        latest rating date — and ``certified`` (that score ≥ the level).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"practitioner_id": "s1", "site": "101",
    ...                   "date": ["2024-01-10", "2024-06-10"], "dimension": "overall",
    ...                   "score": [2.5, 3.5]})
    >>> c = competence_summary(r, certification_level=3)
    >>> c[["practitioner_id", "latest_score", "share_at_level", "certified"]]
      practitioner_id  latest_score  share_at_level  certified
    0              s1           3.5             0.5       True
    """
    by = _check_by(by, ("practitioner_id", "site", "instrument", "rater_id"), "competence")
    level = certification_level
    if not _is_number(level):
        raise ValidationError([Problem("bad certification level", column="certification_level",
                                       expected="a number", found=safe_value(level))])
    r = _table(ratings, "competence_ratings")
    r["at_level"] = r["score"] >= level
    r, unit = _units(r, by)
    keys = [*unit, "dimension"]
    g = r.groupby(keys, dropna=False)
    latest = r[r["date"] == g["date"].transform("max")].groupby(keys, dropna=False)["score"]
    out = pd.DataFrame({"mean_score": g["score"].mean(), "min_score": g["score"].min(),
                        "n_ratings": g.size(), "latest_date": g["date"].max(),
                        "latest_score": latest.mean(), "share_at_level": g["at_level"].mean()})
    overall = r[r["dimension"].str.lower() == "overall"]
    o_last = overall.groupby(unit, dropna=False)["date"].transform("max")
    o_score = overall[overall["date"] == o_last].groupby(unit, dropna=False)["score"].mean()
    u_last = r.groupby(unit, dropna=False)["date"].transform("max")
    d_score = r[r["date"] == u_last].groupby(unit, dropna=False)["score"].mean()
    cert = pd.DataFrame({"certification_score": o_score.combine_first(d_score)})
    cert["certified"] = cert["certification_score"] >= level
    out = out.reset_index().merge(cert.reset_index(), on=unit, how="left")
    return out[[*by, "dimension", "mean_score", "min_score", "n_ratings", "latest_date",
                "latest_score", "share_at_level", "certification_score", "certified"]]
