"""Adaptations coded after FRAME: the log, its summaries, and the move from the old log.

FRAME (Wiltsey Stirman, Baumann & Miller 2019) asks of every modification when it was made
(``timing``), whether it was planned and proactive (``planning``), who decided
(``decided_by``), what was modified (``what``: content, context, training, evaluation,
implementation activities — FRAME groups training with evaluation, FRAME-IS keeps them
apart, as we do), its nature (``nature`` for content, ``context_change`` for format,
setting, personnel or population), at what level of delivery (``level``), whether it
kept the core (``fidelity``), its goal (``goal``) and the level of the reason
(``reason_level``). ``national_transfer`` marks a change made to fit Danish or Norwegian
conditions — what the TILE evaluations were to collect for KEEP and FFT. The categories are
the ``enum`` of table ``adaptations`` in ``schemas/tables.yaml``; their labels are in the
locales (:mod:`.vocabulary`).

The intervention's older log (a list in ``project.json``: date, component, change, reason,
kind, decided_by) moves into the table once, when the project is opened, through
:func:`migrate_adaptation_log`; nothing is guessed: the FRAME codes it did not record stay
empty (``fidelity`` ``unknown``) and :func:`uncoded` lists the rows that still need coding.

References
----------
Wiltsey Stirman S, Baumann AA, Miller CJ (2019). The FRAME: an expanded framework for
reporting adaptations and modifications to evidence-based interventions. Implementation
Science 14:58. https://doi.org/10.1186/s13012-019-0898-y
Miller CJ, Barnett ML, Baumann AA, Gutner CA, Wiltsey-Stirman S (2021). The FRAME-IS: a
framework for documenting modifications to implementation strategies in healthcare.
Implementation Science 16:36.
"""

from __future__ import annotations

import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..store.tables import validate_table
from .vocabulary import values

__all__ = ["migrate_adaptation_log", "OLD_LOG_FIELDS", "adaptation_summary", "frame_profile", "uncoded",
           "core_adaptations", "FRAME_DIMENSIONS"]

#: The FRAME columns of table ``adaptations``, in the order FRAME asks them.
FRAME_DIMENSIONS = ("timing", "planning", "decided_by", "what", "nature", "context_change",
                    "level", "fidelity", "goal", "reason_level")


def _table(adaptations) -> pd.DataFrame:
    return validate_table(adaptations, "adaptations")


#: The fields of an entry of the intervention's old adaptation log (project.json).
OLD_LOG_FIELDS = ("date", "component", "change", "reason", "kind", "decided_by")


def migrate_adaptation_log(log, site: str, *, existing=None, file: str | None = None
                           ) -> pd.DataFrame:
    """Rows of table ``adaptations`` from an intervention's old adaptation log.

    Projects made before the ``adaptations`` table kept their adaptations as a list in
    their copy of the intervention (``project.json``: ``intervention.adaptations``, entries
    with ``date``, ``component``, ``change``, ``reason``, ``kind`` and ``decided_by``).
    :meth:`~implementere_kit.store.project.Project.open` moves such a list into the table
    once, through this function. Each entry becomes one row: ``date``, ``component``,
    ``description`` (the change), ``reason``, ``decided_by_note`` (who decided, as typed)
    and ``fidelity`` ``unknown``; ``adaptation_id`` is ``log-001``, ``log-002``, … in date
    order. The FRAME codes the old log did not hold are left empty rather than guessed
    (``kind`` follows from the component, so it is not kept).

    Parameters
    ----------
    log : list of mappings
        The old log as ``project.json`` held it.
    site : str
        The project's municipality code.
    existing : DataFrame, optional
        The project's ``adaptations`` table: entries already in it (same date, component
        and description) are left out, and new ids avoid the ids it uses.
    file : str, optional
        The file the log came from, named in problems.

    Returns
    -------
    DataFrame
        The rows to add (valid rows of table ``adaptations``).

    Raises
    ------
    ValidationError
        When the log is not a list of entries, an entry has a field the old log did not
        have or a value that is not text, or a value does not fit the table (a bad date);
        every problem names the file, the entry (``row``) and the field.

    Examples
    --------
    >>> log = [{"date": "2024-02-01", "component": "refreshments",
    ...         "change": "Coffee and fruit, no dinner", "reason": "budget",
    ...         "kind": "flexible", "decided_by": "Family department"}]
    >>> rows = migrate_adaptation_log(log, "902")
    >>> rows[["adaptation_id", "component", "description", "fidelity"]].values.tolist()
    [['log-001', 'refreshments', 'Coffee and fruit, no dinner', 'unknown']]
    >>> len(migrate_adaptation_log(log, "902", existing=rows))  # moved once
    0
    """
    where = {"file": file, "resource": "intervention"}
    if not isinstance(log, list):
        raise ValidationError([Problem("the adaptation log is not a list", **where,
                                       column="adaptations", expected="a list of entries",
                                       found=type(log).__name__)])
    problems, entries = [], []
    for i, entry in enumerate(log):
        if not isinstance(entry, dict):
            problems.append(Problem("not an entry", **where, row=i, column="adaptations",
                                    expected="a mapping", found=type(entry).__name__))
            continue
        for k, v in entry.items():
            if k not in OLD_LOG_FIELDS:
                problems.append(Problem("unknown field", **where, row=i,
                                        column=f"adaptations.{safe_value(k)}",
                                        expected=", ".join(OLD_LOG_FIELDS)))
            elif v is not None and not isinstance(v, str):
                problems.append(Problem("not a text", **where, row=i,
                                        column=f"adaptations.{k}", expected="a text",
                                        found=type(v).__name__))
        entries.append({k: entry.get(k) for k in OLD_LOG_FIELDS})
    if problems:
        raise ValidationError(problems)
    old = pd.DataFrame(entries, columns=list(OLD_LOG_FIELDS), dtype=object)
    rows = pd.DataFrame({
        "adaptation_id": [f"log-{i + 1:03d}" for i in range(len(old))],
        "site": site, "date": old["date"], "component": old["component"],
        "description": old["change"], "reason": old["reason"],
        "decided_by_note": old["decided_by"].replace("", None), "fidelity": "unknown"})
    rows = validate_table(rows, "adaptations", file=file)
    rows = rows.sort_values("date", kind="stable").reset_index(drop=True)
    rows["adaptation_id"] = [f"log-{i + 1:03d}" for i in range(len(rows))]
    have = existing if existing is not None and len(existing) else None
    if have is None:
        return rows
    key = ["date", "component", "description"]
    seen = set(map(tuple, have[key].astype(str).values.tolist()))
    new = rows[[tuple(r) not in seen for r in rows[key].astype(str).values.tolist()]]
    taken = set(have["adaptation_id"])
    return new.assign(adaptation_id=[_free_id(i, taken) for i in new["adaptation_id"]]
                      ).reset_index(drop=True)


def _free_id(wanted: str, taken: set) -> str:
    out, k = wanted, 1
    while out in taken:
        k += 1
        out = f"{wanted}-{k}"
    taken.add(out)
    return out


def frame_profile(adaptations, dimensions=FRAME_DIMENSIONS, by=()) -> pd.DataFrame:
    """How many adaptations fall in each FRAME category, per dimension (long form).

    Returns ``dimension``, ``value``, ``n`` and ``share`` (of the adaptations coded on that
    dimension), for every category of every dimension — zero counts included, so sites
    line up — plus ``not_coded`` per dimension; grouped by ``by`` (e.g. ``("site",)``).

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"adaptation_id": ["a1", "a2"], "site": "901",
    ...                   "date": ["2024-01-05", "2024-03-01"], "what": ["content", "context"],
    ...                   "fidelity": ["consistent", "unknown"]})
    >>> p = frame_profile(a, dimensions=("what",))
    >>> p.loc[p["value"].isin(["content", "context"]), ["value", "n", "share"]].values.tolist()
    [['content', 1, 0.5], ['context', 1, 0.5]]
    """
    df = _table(adaptations)
    by = [by] if isinstance(by, str) else list(by)
    bad = [d for d in dimensions if d not in FRAME_DIMENSIONS]
    bad += [b for b in by if b not in ("site", "component")]
    if bad:
        raise ValidationError([Problem("not a FRAME dimension or grouping", column=str(b),
                                       expected=", ".join(FRAME_DIMENSIONS),
                                       found=safe_value(b)) for b in bad])
    groups = [((), df)] if not by else list(df.groupby(by, sort=True))
    rows = []
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        for dim in dimensions:
            coded = part[dim].dropna()
            counts = coded.value_counts()
            for v in [*values("adaptations", dim), "not_coded"]:
                n = int(part[dim].isna().sum()) if v == "not_coded" else int(counts.get(v, 0))
                share = (n / len(coded) if len(coded) else float("nan")) \
                    if v != "not_coded" else float("nan")
                rows.append((*key, dim, v, n, share))
    return pd.DataFrame(rows, columns=[*by, "dimension", "value", "n", "share"])


def adaptation_summary(adaptations, intervention=None) -> pd.DataFrame:
    """Key figures of an adaptations log, one row per figure (``item``, ``value``, as in a
    report's summary; ``measure`` names the catalogue's measures only).

    ``n_adaptations``, ``n_sites``, ``share_planned`` (proactive or reactive but planned),
    ``share_fidelity_consistent`` and ``share_fidelity_inconsistent`` (of those judged),
    ``share_national_transfer`` (of those answered), ``n_core`` (adaptations of core
    components; needs ``intervention``) and ``n_uncoded`` (rows lacking FRAME codes).
    """
    df = _table(adaptations)
    judged = df["fidelity"].isin(["consistent", "inconsistent"])
    planned = df["planning"].dropna()
    transfer = df["national_transfer"].dropna()
    rows = [("n_adaptations", len(df)), ("n_sites", df["site"].nunique()),
            ("share_planned", planned.str.startswith("planned").mean() if len(planned)
             else float("nan")),
            ("share_fidelity_consistent", (df.loc[judged, "fidelity"] == "consistent").mean()
             if judged.any() else float("nan")),
            ("share_fidelity_inconsistent", (df.loc[judged, "fidelity"] == "inconsistent")
             .mean() if judged.any() else float("nan")),
            ("share_national_transfer", transfer.astype(bool).mean() if len(transfer)
             else float("nan")),
            ("n_uncoded", len(uncoded(df)))]
    if intervention is not None:
        rows.append(("n_core", len(core_adaptations(df, intervention))))
    return pd.DataFrame(rows, columns=["item", "value"])


def uncoded(adaptations) -> pd.DataFrame:
    """Rows without the FRAME codes every adaptation needs: what was modified, planning,
    who decided, and a fidelity judgement other than unknown."""
    df = _table(adaptations)
    missing = (df["what"].isna() | df["planning"].isna() | df["decided_by"].isna()
               | (df["fidelity"] == "unknown"))
    return df[missing].reset_index(drop=True)


def core_adaptations(adaptations, intervention) -> pd.DataFrame:
    """Adaptations of the intervention's core components, fidelity-inconsistent first:
    the ones to discuss with the intervention owner."""
    df = _table(adaptations)
    core = {c.id for c in intervention.core_components()}
    out = df[df["component"].isin(core)].copy()
    order = {"inconsistent": 0, "unknown": 1, "consistent": 2}
    out["_o"] = out["fidelity"].map(order)
    return out.sort_values(["_o", "date"], kind="stable").drop(columns="_o").reset_index(
        drop=True)

