"""Disclosure control across packages: figures that could be subtracted from earlier ones.

A municipality exports aggregate packages again and again (every month, say), and each
describes the project *as of* its day: the sums of June's package are part of July's. The
difference of two published figures is itself a figure, about the people in between —
those who joined, dropped out or were corrected since — and may describe fewer than k of
them, although neither package does. The same holds for share-back packages: the network's
pooled value, sent again a month later, gives a site the other sites' change.

So every difference a receiver can form from two packages passes the same rules as a
published figure (:func:`.aggregate.rule_reasons`):

1. Each aggregate export records the cells it publishes in the project's audit log
   (action ``aggregate_published``: the export number, the window each cell covers, its
   value), before the package is written: a write that then fails leaves a record, which
   only makes later exports more careful; nothing that left goes unrecorded.
2. Before a new export, each cell is set beside every recorded cell of the same sum whose
   window is nested with its own (one contains the other: the same year as of two days,
   the whole period as of two days, a year and the whole period of a later day). Where the
   difference of a population is 1 … k−1, every sum of that measure in the new cell is
   withheld; where the difference of a sensitive count (drop-outs, completers) or of its
   rest is 1 … k−1, that count is withheld (reason ``differencing``). Breakdowns are then
   checked again (a hidden year withholds every year of its sum).
3. The network store records what each share-back told each site about the others
   (the others' population and sums per measure) and withholds a network figure whose
   change since any earlier share-back to that site is 1 … k−1 people or events.

A withheld figure comes back once it differs from every earlier publication by 0 or at
least k: exporting less often, or waiting for more people, lets it through. Differences of
two figures are covered; sums of three or more published figures (e.g. the change in one
year minus the change in the whole) are not searched for.

References
----------
Hundepool A et al. (2012). *Statistical Disclosure Control*. Wiley, §5.6 (linked tables
and disclosure by differencing).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import safe_value

__all__ = ["cell_windows", "suppress_differences", "published_before", "record_published",
           "changed_too_little", "check_record", "PUBLISHED_ACTION", "WITHDRAWN_ACTION",
           "EXPORTED_ACTION", "LOST_ACTION"]

#: Audit log action recording the cells an aggregate export publishes.
PUBLISHED_ACTION = "aggregate_published"
#: Audit log action saying an export recorded before writing was never written.
WITHDRAWN_ACTION = "aggregate_not_written"
#: Audit log action recording a row-level (pseudonymised) export.
EXPORTED_ACTION = "rows_exported"
#: Audit log action of a reviewer confirming that the record of earlier exports is lost.
LOST_ACTION = "export_record_lost"
_EARLIEST = "0001-01-01"


def cell_windows(agg: pd.DataFrame) -> pd.DataFrame:
    """``agg`` with ``lo`` and ``hi``: the first and last day (ISO text) each cell covers.

    A year covers that year up to ``as_of``; the whole period covers everything up to
    ``as_of`` — the sums count every row whatever ``project.json`` gives as the start, and
    that start can be edited between two exports, so it bounds nothing (every year lies in
    the whole period of a later day, and every two whole periods are nested).

    Examples
    --------
    >>> agg = pd.DataFrame({"level": ["all", "year", "year"],
    ...                     "period": ["all", "2024", "2025"],
    ...                     "as_of": pd.Timestamp("2025-06-30")})
    >>> cell_windows(agg)[["lo", "hi"]].values.tolist()
    [['0001-01-01', '2025-06-30'], ['2024-01-01', '2024-12-31'], ['2025-01-01', '2025-06-30']]
    """
    out = agg.copy()
    as_of = pd.to_datetime(out["as_of"]).dt.strftime("%Y-%m-%d")
    year = out["level"].astype(str) == "year"
    period = out["period"].astype(str)
    out["lo"] = np.where(year, period + "-01-01", _EARLIEST)
    out["hi"] = np.where(year, np.minimum((period + "-12-31").to_numpy(dtype=object),
                                          as_of.to_numpy(dtype=object)), as_of)
    return out


def suppress_differences(agg: pd.DataFrame, earlier: pd.DataFrame, k: int) -> pd.DataFrame:
    """Withhold the sums of ``agg`` whose difference from an earlier publication is unsafe.

    Parameters
    ----------
    agg : DataFrame
        :func:`.aggregate.suppress_sums` output of one site (``level``, ``period``, ``sum``,
        ``value``, ``suppressed``, ``reason``, ``as_of``).
    earlier : DataFrame
        Cells published before (:func:`published_before`): ``export``, ``level``,
        ``period``, ``sum``, ``value``, ``lo``, ``hi``.
    k : int
        The threshold.

    Examples
    --------
    One new family joined between two exports, and she dropped out:

    >>> before = pd.DataFrame({"export": 1, "level": "all", "period": "all",
    ...                        "sum": ["n_enrolled", "n_dropped_out"], "value": [20.0, 6.0],
    ...                        "lo": "2024-01-01", "hi": "2024-06-30"})
    >>> now = pd.DataFrame({"site": "903", "level": "all", "period": "all",
    ...                     "sum": ["n_enrolled", "n_dropped_out"], "value": [21.0, 7.0],
    ...                     "suppressed": False, "reason": None,
    ...                     "as_of": pd.Timestamp("2024-07-31")})
    >>> out = suppress_differences(now, before, k=5)
    >>> out[["sum", "value", "reason"]].values.tolist()
    [['n_enrolled', nan, 'differencing'], ['n_dropped_out', nan, 'differencing']]
    """
    # the package's table names the sum ``sum_id``; the rules read ``sum``
    named = "sum_id" in agg.columns and "sum" not in agg.columns
    out = _suppress_differences(agg.rename(columns={"sum_id": "sum"}) if named else agg,
                                earlier, k)
    return out.rename(columns={"sum": "sum_id"}) if named else out


def _suppress_differences(agg: pd.DataFrame, earlier: pd.DataFrame, k: int) -> pd.DataFrame:
    from .aggregate import rule_reasons, withhold_breakdowns

    out = agg.reset_index(drop=True)
    if earlier is None or earlier.empty or out.empty:
        return out
    new = cell_windows(out)
    shown = new[~new["suppressed"].astype(bool) & new["value"].notna()].reset_index()
    old = earlier[earlier["value"].notna()].rename(
        columns={"level": "level_o", "period": "period_o", "lo": "lo_o", "hi": "hi_o",
                 "value": "value_o"})
    # every new cell beside every earlier cell whose window is nested with its own
    cells = ["level", "period", "lo", "hi"]
    pairs = shown[cells].drop_duplicates().merge(
        old[["export", "level_o", "period_o", "lo_o", "hi_o"]].drop_duplicates(), how="cross")
    nested = (((pairs["lo"] <= pairs["lo_o"]) & (pairs["hi_o"] <= pairs["hi"]))
              | ((pairs["lo_o"] <= pairs["lo"]) & (pairs["hi"] <= pairs["hi_o"])))
    pairs = pairs[nested.to_numpy()]
    if pairs.empty:
        return out
    pairs = pairs.assign(pair=np.arange(len(pairs)))
    d = shown[["index", "level", "period", "sum", "value"]].merge(
        pairs[["level", "period", "export", "level_o", "period_o", "pair"]],
        on=["level", "period"]).merge(
        old[["export", "level_o", "period_o", "sum", "value_o"]],
        on=["export", "level_o", "period_o", "sum"], how="left")
    diffs = pd.DataFrame({"row": d["index"], "sum": d["sum"],
                          "value": d["value"] - d["value_o"], "pair": d["pair"]})
    why = rule_reasons(diffs, k, cell=("pair",))
    hit = set(diffs.loc[why.notna().to_numpy(), "row"])
    if not hit:
        return out
    reason = pd.Series(out["reason"].astype("object").where(out["reason"].notna(), None),
                       index=out.index)
    for r in hit:
        reason[r] = reason[r] or "differencing"
    return withhold_breakdowns(out, reason)


def published_before(entries: list[dict]) -> pd.DataFrame:
    """The cells earlier aggregate exports published, from a project's audit log entries
    (:meth:`.AuditLog.entries`), leaving out exports recorded as never written.

    ``export`` is the audit log entry that recorded the cells, not the export number: a
    ``project.json`` restored from a backup hands out an export number again, and the two
    exports that share it are still two publications. A withdrawal cancels the latest
    publication of its export number before it, and no other.

    A record that is not in the shape :func:`record_published` writes (edited by hand, or
    by something else) is never skipped — that would silently stop protecting what it
    describes: it raises :class:`~implementere_kit.errors.ProjectError`.
    """
    cols = ["export", "level", "period", "sum", "value", "lo", "hi"]
    live: dict[int, list] = {}
    for e in entries:
        if e.get("action") == PUBLISHED_ACTION:
            live[e.get("seq")] = [e.get("export_seq"), _checked_cells(e)]
        elif e.get("action") == WITHDRAWN_ACTION:
            seq = e.get("export_seq")
            mine = [at for at, (s, _) in live.items()
                    if type(s) is type(seq) and s == seq]
            if mine:
                del live[mine[-1]]
    rows = [(at, *c) for at, (_, cells) in live.items() for c in cells]
    out = pd.DataFrame(rows, columns=cols)
    out["value"] = out["value"].astype("float64")
    # records written before the whole period began at the earliest day carry the
    # project's start; the sums never began there (see cell_windows)
    out.loc[out["level"] == "all", "lo"] = _EARLIEST
    return out


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _checked_cells(entry: dict) -> list[list]:
    """The cells of one ``aggregate_published`` entry, or a ProjectError naming the entry
    (never a value from it)."""
    from ..errors import ProjectError

    cells = entry.get("cells")

    def ok(c) -> bool:
        if not (isinstance(c, list) and len(c) == 6 and all(
                isinstance(x, str) for x in (c[0], c[1], c[2], c[4], c[5]))):
            return False
        level, period, _, value, lo, hi = c
        return ((level, period == "all") in (("all", True), ("year", False))
                and (level == "all" or re.fullmatch(r"\d{4}", period) is not None)
                and isinstance(value, int | float) and not isinstance(value, bool)
                and bool(np.isfinite(value)) and bool(_DAY.fullmatch(lo))
                and bool(_DAY.fullmatch(hi)) and lo <= hi)

    seq = entry.get("export_seq")
    if (not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(cells, list)
            or not all(ok(c) for c in cells)):
        raise ProjectError(
            f"the audit log's record of the figures an aggregate export published (entry "
            f"{safe_value(entry.get('seq'))}) is damaged; new aggregate exports are compared "
            "with it, so none is made until the audit log is restored from a backup")
    return cells


def record_published(agg: pd.DataFrame) -> list[list]:
    """The cells of an ``agg_measures`` table that leave, as the audit log keeps them:
    ``[level, period, sum, value, lo, hi]`` each."""
    shown = agg[~agg["suppressed"].astype(bool) & agg["value"].notna()]
    if shown.empty:
        return []
    w = cell_windows(shown)
    return [[str(r.level), str(r.period), str(r.sum_id), float(r.value), str(r.lo), str(r.hi)]
            for r in w.itertuples(index=False)]


def changed_too_little(now: dict, before: list[dict], k: int, population: bool,
                       sensitive: tuple[str, ...]) -> bool:
    """Whether a share-back figure differs from an earlier one by 1 … k−1 people or events.

    ``now`` and each of ``before`` hold the others' ``n``, ``numerator`` and
    ``denominator``; ``population`` says whether ``n`` counts people; ``sensitive`` names
    the counts (``numerator``, ``complement``) that must not change by a few.

    Examples
    --------
    >>> changed_too_little({"n": 40, "numerator": 9, "denominator": 40},
    ...                    [{"n": 38, "numerator": 8, "denominator": 38}], 5, True, ())
    True
    >>> changed_too_little({"n": 40, "numerator": 9, "denominator": 40},
    ...                    [{"n": 40, "numerator": 9, "denominator": 40}], 5, True, ())
    False
    """
    from .aggregate import _small  # the same "1 … k−1, by its size" as every other rule

    def counts(r) -> dict:
        num, den = float(r.get("numerator", np.nan)), float(r.get("denominator", np.nan))
        return {"n": float(r.get("n", np.nan)), "numerator": num, "complement": den - num}

    c = counts(now)
    for b in before:
        o = counts(b)
        if population and _small(c["n"] - o["n"], k):
            return True
        if any(_small(c[s] - o[s], k) for s in sensitive):
            return True
    return False


def check_record(entries: list[dict], last_seq: int, where) -> None:
    """Refuse to compare with a record that has lost exports.

    Every export takes a number (``project.json``'s ``export_seq``, the last one taken is
    ``last_seq``) and is recorded in the audit log under it. A log that records no export
    up to the last number taken was deleted, or restored from an older backup: comparing
    with it would silently publish what it forgot. A reviewer who confirms the loss
    (:data:`LOST_ACTION`, up to a number) lets exports go on from there.

    Examples
    --------
    >>> check_record([{"action": "rows_exported", "export_seq": 2}], 2, "p")
    >>> try:
    ...     check_record([], 2, "p")
    ... except Exception as err:
    ...     print(type(err).__name__)
    ProjectError
    """
    from ..errors import ProjectError

    known = 0
    for e in entries:
        seq = e.get("export_seq") if e.get("action") in (
            PUBLISHED_ACTION, WITHDRAWN_ACTION, EXPORTED_ACTION) else e.get("up_to") \
            if e.get("action") == LOST_ACTION else None
        if isinstance(seq, int) and not isinstance(seq, bool):
            known = max(known, seq)
    if last_seq > known:
        raise ProjectError(
            f"{where}: the audit log records exports up to number {known}, but {last_seq} "
            "were made: the record of what left is incomplete (audit.jsonl deleted or "
            "restored from an older backup). Restore audit.jsonl from a backup; if it is "
            "lost, a reviewer confirms that with: implementere-kit privacy record-lost")
