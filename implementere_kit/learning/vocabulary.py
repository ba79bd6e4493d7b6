"""The coded values of the barriers, adaptations, costs and outcome tables, and their
labels for people.

The allowed values are the ``enum`` of each column in ``store/schemas/tables.yaml`` (one
definition, used by validation too); their labels in nb, da and en are in
``locales/<lang>.yaml`` under ``<prefix>_<value>``, the prefix per column given here.

Sources of the categories: EPIS domains (Aarons, Hurlburt & Horwitz 2011); ERIC clusters
of implementation strategies (Waltz et al. 2015, Implementation Science 10:109); FRAME
(Wiltsey Stirman, Baumann & Miller 2019, Implementation Science 14:58), as restated in
Table 3 of https://doi.org/10.1186/s13012-022-01218-3; Socialstyrelsen's moderators
(recruitment, referral, attendance, practical set-up, materials, communication) for the
barrier topics.

Examples
--------
>>> values("barriers", "domain")
['outer_context', 'inner_context', 'bridging_factors', 'innovation']
>>> value_label("barriers", "domain", "inner_context", "en")
'Inner context'
"""

from __future__ import annotations

import pandas as pd

from ..errors import UnknownNameError
from ..i18n import t
from ..store.tables import table_schema

__all__ = ["PREFIX", "values", "value_label", "label_values", "label_key"]

#: (table, column) -> locale key prefix of the column's values.
PREFIX = {
    ("barriers", "phase"): "",  # the implementere.no phases have their own keys
    ("barriers", "domain"): "epis",
    ("barriers", "topic"): "barrier_topic",
    ("barriers", "severity"): "barrier_severity",
    ("barriers", "strategy"): "eric",
    ("barriers", "result"): "barrier_result",
    ("barriers", "status"): "barrier_status",
    ("adaptations", "timing"): "frame_timing",
    ("adaptations", "planning"): "frame_planning",
    ("adaptations", "decided_by"): "frame_decided_by",
    ("adaptations", "what"): "frame_what",
    ("adaptations", "nature"): "frame_nature",
    ("adaptations", "context_change"): "frame_context",
    ("adaptations", "level"): "frame_level",
    ("adaptations", "fidelity"): "frame_fidelity",
    ("adaptations", "goal"): "frame_goal",
    ("adaptations", "reason_level"): "frame_reason",
    ("costs", "activity_type"): "cost_type",
    ("outcome_scores", "wave"): "outcome_wave",
    ("outcome_scores", "informant"): "informant",
}


def values(table: str, column: str) -> list[str]:
    """The allowed values of a coded column, in the order tables.yaml gives them."""
    field = table_schema(table).field(column)
    if "enum" not in field:
        raise UnknownNameError("coded column", f"{table}.{column}",
                               [f"{a}.{b}" for a, b in PREFIX])
    return [str(v) for v in field["enum"]]


def label_key(table: str, column: str, value: str) -> str:
    prefix = PREFIX.get((table, column))
    if prefix is None:
        raise UnknownNameError("coded column", f"{table}.{column}",
                               [f"{a}.{b}" for a, b in PREFIX])
    return f"{prefix}_{value}" if prefix else str(value)


def value_label(table: str, column: str, value, lang: str = "nb") -> str:
    """The label of one coded value in ``lang`` (the value itself if it is not coded)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    return t(label_key(table, column, str(value)), lang)


def label_values(df: pd.DataFrame, table: str, lang: str = "nb") -> pd.DataFrame:
    """A copy of ``df`` for people: every coded column of ``table`` shown as labels and
    empty text shown as a dash."""
    out = df.copy()
    for (tab, col) in PREFIX:
        if tab == table and col in out.columns:
            out[col] = [value_label(table, col, v, lang) for v in out[col]]
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].astype(object).where(out[col].notna(), "–")
    return out
