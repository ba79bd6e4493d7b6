"""A site's measures as people read them: values from the engine, words from the catalogue.

:func:`site_measures` is what a report, a spreadsheet or the dashboard calls to show a
project's numbers: one row per catalogue measure, with its label in the reader's language,
unit, target and whether it is met, and a note (in that language) where there is no value.

Examples
--------
>>> from implementere_kit.report import demo_project_folder
>>> m = site_measures(demo_project_folder(), as_of="2026-06-30", lang="en").set_index("measure")
>>> m.loc["completion", "label"], m.loc["completion", "unit"]
('Completion (of those who ended)', 'share')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["site_measures", "describe", "note_text", "NOTES"]

#: Reasons a value is missing, and the locale key that says so.
NOTES = {"no_data": "measure_note_no_data", "below_k": "measure_note_below_k",
         "small_count": "measure_note_small_count", "breakdown": "measure_note_breakdown",
         "differencing": "measure_note_differencing",
         "too_few_sites": "network_note_too_few_sites",
         "site_suppressed": "network_note_site_suppressed"}


def note_text(reason, lang: str, *, network: bool = False) -> str:
    """A value's note in ``lang``: why it is missing or suppressed; empty when it is not.
    ``network`` for the reasons a network figure is withheld."""
    from ..i18n import t

    if not isinstance(reason, str) or not reason:
        return ""
    code = "no_data" if reason.startswith("no data") else reason
    if network:
        return t(f"network_note_{code}", lang) if code != "no_data" else ""
    return t(NOTES.get(code, "measure_note_no_data"), lang)


def describe(frame: pd.DataFrame, lang: str, intervention=None) -> pd.DataFrame:
    """Add the catalogue's words to engine rows (``measure`` …): ``label``, ``unit``,
    ``direction``, ``target``, ``meets``, ``section``, ``definition``, ``source`` and
    ``note``."""
    from .catalogue import measure

    out = frame.copy()
    ms = [measure(i) for i in out["measure"]]
    out["label"] = [m.label(lang) for m in ms]
    out["unit"] = [m.unit for m in ms]
    out["direction"] = [m.direction for m in ms]
    out["target"] = [np.nan if (t := m.target(intervention)) is None else t for m in ms]
    higher = out["direction"] != "lower"
    v, t = out["value"].astype("float64"), out["target"].astype("float64")
    meets = pd.array(np.where(higher, v >= t, v <= t), dtype="boolean")
    meets[(v.isna() | t.isna()).to_numpy()] = pd.NA
    out["meets"] = meets
    out["section"] = [m.section for m in ms]
    out["definition"] = [m.definition(lang) for m in ms]
    out["source"] = [m.source_text(lang) for m in ms]
    if intervention is not None:
        missing = [m.missing(intervention) for m in ms]
        out["reason"] = [f"no data: {w}" if w else r for w, r in
                         zip(missing, out["reason"], strict=True)]
        out.loc[[w is not None for w in missing], "value"] = np.nan
    out["note"] = [note_text(r, lang) for r in out["reason"]]
    return out


def site_measures(project, as_of=None, *, lang: str | None = None,
                  ids: Sequence[str] | None = None,
                  tables: Mapping[str, pd.DataFrame] | None = None,
                  levels: Sequence[str] = ("all",), params: Mapping | None = None
                  ) -> pd.DataFrame:
    """Every catalogue measure of one project, as of one day.

    Parameters
    ----------
    project : Project or path
    as_of : date, optional
        The day the figures describe (default today); rows dated later are left out.
    lang : {"nb", "da", "en"}, optional
        Labels, definitions and notes in this language (default the project's).
    ids : sequence of str, optional
        Measures to compute (default all; network-only ones included).
    tables : mapping, optional
        The project's tables cut to a period (a report's); default the whole project.
    levels : sequence of {"all", "year", "month"}
    params : mapping, optional
        Overrides of the catalogue's parameters.

    Returns
    -------
    DataFrame
        One row per measure (and period): ``measure``, ``label``, ``value``, ``n``,
        ``numerator``, ``denominator``, ``suppressed``, ``reason``, ``note``, ``unit``,
        ``direction``, ``target``, ``meets``, ``section``, ``definition``, ``source``,
        ``level``, ``period``, ``site`` and ``as_of``, in catalogue order.
    """
    from ..i18n import check_lang
    from ..store.project import Project
    from ..store.tables import table_names
    from .catalogue import Rules, measure_ids
    from .engine import as_of_date, compute, from_tables

    if not isinstance(project, Project):
        project = Project.open(project)
    lang = check_lang(lang if lang is not None else project.language)
    when = as_of_date(as_of)
    if tables is None:
        tables = {n: project.table(n) for n in table_names() if n != "activities"}
    ids = list(ids or measure_ids())
    with from_tables(tables, Rules.of(project.intervention),
                     activities=project.plan.activities, site=str(project.site)) as src:
        found = compute(src, as_of=when, ids=ids, levels=levels, params=params, complete=True)
    site = str(project.site)
    found = found[found["site"].isna() | (found["site"].astype(str) == site)].copy()
    have = set(found["measure"])
    lacking = [i for i in ids if i not in have]
    if lacking or found.empty:
        from .engine import measures_from_sums

        empty = measures_from_sums(pd.DataFrame({"site": [site], "intervention": [""],
                                                 "level": ["all"], "period": ["all"],
                                                 "sum": ["_none"], "value": [np.nan],
                                                 "suppressed": [False], "reason": [pd.NA]}),
                                   lacking, complete=True)
        found = pd.concat([found, empty], ignore_index=True)
    order = {m: i for i, m in enumerate(ids)}
    found = found.assign(site=site, _o=found["measure"].map(order)) \
        .sort_values(["level", "period", "_o"], kind="stable").drop(columns="_o")
    out = describe(found.reset_index(drop=True), lang, project.intervention)
    out["as_of"] = when
    cols = ["measure", "label", "value", "n", "numerator", "denominator", "suppressed",
            "reason", "note", "unit", "direction", "target", "meets", "section", "definition",
            "source", "level", "period", "site", "as_of"]
    return out[cols]
