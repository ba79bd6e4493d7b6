"""Implementation strategies against barriers: the ERIC strategies the toolkit knows, and
strategies chosen for a site's barriers turned into activities of its implementation plan.

implementere.no's core element 3 asks for a long-term implementation plan with strategies
against the barriers found. A strategy row names a barrier (of the ``barriers`` table), an
ERIC strategy (:func:`eric_strategies`: a subset of Powell et al. 2015, grouped in the
clusters of Waltz et al. 2015 that the barriers table uses), the role accountable for it, a
due date and the instrument that will show whether it worked; :func:`add_strategies`
checks every row and adds them to a :class:`~implementere_kit.plans.plan.Plan` as
activities of core element 3.

References
----------
Powell BJ, Waltz TJ, Chinman MJ, et al. (2015). A refined compilation of implementation
strategies: results from the Expert Recommendations for Implementing Change (ERIC)
project. Implementation Science 10:21.
Waltz TJ, Powell BJ, Matthieu MM, et al. (2015). Use of concept mapping to characterize
relationships among implementation strategies and assess their feasibility and
importance: results from the ERIC study. Implementation Science 10:109.

Examples
--------
>>> eric_strategies("en").set_index("strategy").loc["formal_commitments", "cluster"]
'stakeholder_interrelationships'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache

import pandas as pd

from .._data import LANGS, load_yaml, package_file
from ..errors import Problem, ValidationError, safe_value
from ..i18n import check_lang

__all__ = ["eric_strategies", "add_strategies", "STRATEGY_ROW"]

#: The keys of one strategy row.
STRATEGY_ROW = ("barrier", "strategy", "role", "measure", "due")
#: Rows one call may add (a plan for one site, not a bulk import).
MAX_ROWS = 200
#: Core element of implementere.no where strategies against barriers are chosen and planned.
CORE_ELEMENT = 3


@lru_cache(maxsize=1)
def _strategies() -> tuple[dict, ...]:
    from .vocabulary import values

    path = package_file("learning", "strategy_data/eric.yaml")
    raw = load_yaml(path)["strategies"]
    clusters = values("barriers", "strategy")
    problems = []
    for i, s in enumerate(raw, start=1):
        if s.get("cluster") not in clusters:
            problems.append(Problem("not an ERIC cluster", file=str(path), row=i,
                                    column="cluster", expected=", ".join(clusters),
                                    found=safe_value(s.get("cluster"))))
        if not isinstance(s.get("label"), dict) or any(not s["label"].get(g) for g in LANGS):
            problems.append(Problem("label lacks a language", file=str(path), row=i,
                                    column="label", expected="nb, da and en"))
    if problems:
        raise ValidationError(problems)
    return tuple(raw)


def eric_strategies(lang: str = "nb") -> pd.DataFrame:
    """The ERIC strategies the toolkit knows, in the order of their clusters.

    Columns ``strategy`` (the id to use), ``label`` (short, in ``lang``), ``name`` (the
    name Powell et al. 2015 publish, in English), ``cluster`` (Waltz et al. 2015) and
    ``cluster_label``.
    """
    from .vocabulary import value_label

    check_lang(lang)
    rows = [(s["id"], s["label"][lang], s["name"], s["cluster"],
             value_label("barriers", "strategy", s["cluster"], lang)) for s in _strategies()]
    return pd.DataFrame(rows, columns=["strategy", "label", "name", "cluster",
                                       "cluster_label"])


def _row_problems(i: int, row, barriers: pd.DataFrame, known: dict, roles: list[str],
                  instruments: list[str]) -> list[Problem]:
    def bad(column, expected, found):
        return Problem("not a valid value", resource="strategies", row=i, column=column,
                       expected=expected, found=safe_value(found))

    if not isinstance(row, Mapping):
        return [Problem("a strategy row must be a mapping", resource="strategies", row=i,
                        expected=", ".join(STRATEGY_ROW), found=type(row).__name__)]
    out = [Problem("unknown key", resource="strategies", row=i, column=str(k),
                   expected=", ".join(STRATEGY_ROW)) for k in row if k not in STRATEGY_ROW]
    out += [Problem("missing value", resource="strategies", row=i, column=k)
            for k in STRATEGY_ROW if row.get(k) is None or row.get(k) is Ellipsis]
    if out:
        return out
    ids = barriers["barrier_id"].astype(str).tolist()
    if str(row["barrier"]) not in ids:
        out.append(bad("barrier", "a barrier_id of the barriers table", row["barrier"]))
    if row["strategy"] not in known:
        out.append(bad("strategy", "a strategy id of eric_strategies()", row["strategy"]))
    if row["role"] not in roles:
        out.append(bad("role", ", ".join(roles), row["role"]))
    if row["measure"] not in instruments:
        out.append(bad("measure", ", ".join(instruments), row["measure"]))
    return out


def add_strategies(plan, rows: Iterable[Mapping], barriers: pd.DataFrame, *,
                   lang: str = "nb", start=None) -> list[str]:
    """Add strategy rows to ``plan`` as activities of core element 3; return their ids.

    Every row is checked before any is added, so a plan is changed wholly or not at all.
    An activity's title is the strategy and the barrier it answers; its notes name the ERIC
    strategy, its cluster, the barrier's id and the instrument that will measure it.

    Parameters
    ----------
    plan : Plan
    rows : list of dict
        Each with ``barrier`` (a ``barrier_id`` of ``barriers``), ``strategy`` (an id of
        :func:`eric_strategies`), ``role`` (a role of the implementere.no model),
        ``measure`` (a shipped instrument, :func:`~implementere_kit.list_instruments`) and
        ``due`` (a date).
    barriers : DataFrame
        The site's ``barriers`` table.
    start : date, optional
        Start date of every activity.

    Raises
    ------
    ValidationError
        Naming every row and column that is wrong (nothing is added).

    Examples
    --------
    >>> import pandas as pd
    >>> from implementere_kit import Plan
    >>> plan = Plan()
    >>> b = pd.DataFrame({"barrier_id": ["B1"], "description": ["No time for supervision"]})
    >>> add_strategies(plan, [{"barrier": "B1", "strategy": "formal_commitments",
    ...     "role": "leader", "measure": "ils", "due": "2025-03-01"}], b, lang="en")
    ['u1']
    >>> plan.activity("u1")["title"]
    'Obtain written commitments – No time for supervision'
    """
    from ..measures.instruments import list_instruments
    from ..plans.frameworks import load_framework

    check_lang(lang)
    rows = list(rows) if not isinstance(rows, Mapping) else [rows]
    if len(rows) > MAX_ROWS:
        raise ValidationError([Problem("too many strategy rows", resource="strategies",
                                       expected=f"at most {MAX_ROWS}", found=str(len(rows)))])
    known = {s["id"]: s for s in _strategies()}
    roles = [r.id for r in load_framework("implementere").roles]
    instruments = list_instruments()
    problems = [p for i, row in enumerate(rows, start=1)
                for p in _row_problems(i, row, barriers, known, roles, instruments)]
    if problems:
        raise ValidationError(problems)
    described = barriers.assign(_id=barriers["barrier_id"].astype(str)).set_index("_id")
    ids, before = [], plan.activities
    for i, row in enumerate(rows, start=1):
        try:
            ids.append(_add_one(plan, row, known[row["strategy"]], described, lang, start))
        except ValidationError as exc:  # a bad date: leave the plan as it was
            plan.activities = before
            raise ValidationError([replace(p, resource="strategies", row=i)
                                   for p in exc.problems]) from None
    return ids


def _add_one(plan, row: Mapping, s: dict, described: pd.DataFrame, lang: str, start) -> str:
    from ..measures.instruments import load_instrument
    from .vocabulary import value_label

    what = described.loc[str(row["barrier"])].get("description")
    what = what if isinstance(what, str) and what.strip() else str(row["barrier"])
    cluster = value_label("barriers", "strategy", s["cluster"], lang)
    notes = (f"ERIC: {s['name']} ({cluster}); {row['barrier']}; "
             f"{load_instrument(row['measure']).label(lang)}")
    return plan.add(phase="planlegge", core_element=CORE_ELEMENT,
                    title=f"{s['label'][lang]} – {what}", owner=row["role"], start=start,
                    due=row["due"], notes=notes)
