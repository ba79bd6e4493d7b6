"""The content of the network report: who is in the store, their key indicators, funnel
plots against the network, and the sites outside the limits.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185–1202. https://doi.org/10.1002/sim.1970
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError
from ..i18n import check_lang, t
from ._sections import MarkdownText

__all__ = ["NetworkReport", "network_evaluation"]

_PROPORTIONS = ("adherence", "dropout", "graduation", "reach")


@dataclass
class NetworkReport:
    """What a network report shows; build it with :func:`network_evaluation`."""

    lang: str
    provenance: pd.DataFrame
    benchmarks: pd.DataFrame

    @property
    def whole_period(self) -> pd.DataFrame:
        b = self.benchmarks
        return b[b["month"].isna()] if "month" in b else b

    @property
    def indicators(self) -> pd.DataFrame:
        """Sites × indicators: each site's value for the whole period."""
        b = self.whole_period
        if b.empty:
            return pd.DataFrame()
        wide = b.pivot_table(index="site", columns="indicator", values="value", aggfunc="first")
        wide.columns.name = None
        return wide.reset_index()

    @property
    def flags(self) -> pd.DataFrame:
        """Rows whose value lies outside the 95 % (or 99.8 %) funnel limits."""
        b = self.whole_period
        if b.empty or "flag" not in b:
            return pd.DataFrame(columns=["site", "indicator", "n", "value", "network_value",
                                         "flag"])
        out = b[b["flag"].notna() & (b["flag"] != "within")]
        return out[["site", "indicator", "n", "value", "network_value", "flag"]].reset_index(
            drop=True)

    @property
    def synthetic(self) -> bool:
        """Whether the store holds example sites (their codes are reserved for the examples)."""
        from ..examples import EXAMPLE_SITES

        return bool(self.provenance["site"].astype(str).isin(EXAMPLE_SITES).any()) \
            if "site" in self.provenance else False

    def export_tables(self) -> dict[str, pd.DataFrame]:
        note = ({"note": pd.DataFrame({"note": [t("report_synthetic", self.lang)]})}
                if self.synthetic else {})
        return {**note, "sites": self.provenance, "indicators": self.indicators,
                "flags": self.flags, "benchmarks": self.benchmarks}

    def section(self, name: str) -> list:
        """Headings, tables and figures under one heading of the network report."""
        from .. import charts
        from ._sections import figure, heading, styled

        L = self.lang
        prov = self.provenance
        if name == "title":
            banner = ([MarkdownText(f"> **{t('report_synthetic', L)}**")] if self.synthetic
                      else [])
            return [heading("network_title", L, level=1), *banner,
                    MarkdownText(t("network_summary", L, n_sites=prov["site"].nunique(),
                                   n_packages=len(prov)))]
        if prov.empty:
            return [MarkdownText(t("network_empty", L))] if name == "sites" else []
        if name == "sites":
            cols = [c for c in ("site", "site_name", "country", "intervention", "level",
                                "period_start", "period_end") if c in prov]
            return [heading("network_section_sites", L), styled(prov[cols], L)]
        if name == "indicators":
            wide = self.indicators
            shares = [c for c in wide.columns if c in (*_PROPORTIONS, "attendance")]
            wide = wide.rename(columns={c: charts.indicator_label(c, L) for c in wide.columns
                                        if c != "site"})
            return [heading("network_section_indicators", L),
                    styled(wide, L, percent=[charts.indicator_label(c, L) for c in shares])]
        if name == "funnels":
            items: list = [heading("network_section_funnels", L)]
            b = self.whole_period
            for ind in _PROPORTIONS:
                rows = b[b["indicator"] == ind]
                if len(rows) and rows["network_value"].notna().any():
                    items.append(figure(lambda ax, ind=ind: charts.funnel_plot(
                        self.benchmarks, ind, ax=ax, lang=L), (6.5, 4)))
            return items
        if name == "flags":
            f = self.flags
            if f.empty:
                return [heading("network_section_flags", L), MarkdownText(t("network_no_flags", L))]
            from ._sections import indicator_values

            f = indicator_values(f, ["value", "network_value"]).assign(
                indicator=[charts.indicator_label(i, L) for i in f["indicator"]])
            return [heading("network_section_flags", L), styled(f, L)]
        raise KeyError(name)


def network_evaluation(store_path, lang: str = "nb", k: int = 5) -> NetworkReport:
    """Read a network store's provenance and benchmarks (the store is closed afterwards).

    Raises
    ------
    ValidationError
        When ``store_path`` is not an existing file; :class:`UnknownNameError` for an
        unknown language.
    """
    from ..exchange.network import NetworkStore

    check_lang(lang)
    path = Path(store_path)
    if not path.is_file():
        raise ValidationError([Problem("no network store here", file=str(path),
                                       expected="a DuckDB file made by NetworkStore",
                                       found="nothing" if not path.exists() else "a folder")])
    with NetworkStore(path) as store:
        prov = store.provenance()
        bench = store.benchmarks(k=k) if len(prov) else pd.DataFrame()
    return NetworkReport(lang, prov, bench)
