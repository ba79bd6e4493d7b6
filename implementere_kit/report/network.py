"""The content of the network report: who is in the store, each intervention's measures
per site, funnel plots against the network of that intervention, and the sites outside the
limits.

Sites are compared only with sites running the same intervention (KEEP and FFT never share
a network value or a funnel plot), listed by municipality code as a number with their
names, and every figure is the catalogue's measure as of one stated day.

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
from ._sections import MarkdownText, md_text

__all__ = ["NetworkReport", "network_evaluation"]


@dataclass
class NetworkReport:
    """What a network report shows; build it with :func:`network_evaluation`."""

    lang: str
    provenance: pd.DataFrame
    benchmarks: pd.DataFrame
    as_of: pd.Timestamp | None = None

    @property
    def whole_period(self) -> pd.DataFrame:
        b = self.benchmarks
        if "period" in b:
            return b[b["period"].isna() | (b["period"].astype(str) == "all")]
        return b

    @property
    def interventions(self) -> list[str]:
        b = self.whole_period
        return sorted(b["intervention"].dropna().astype(str).unique()) if len(b) else []

    def _names(self) -> dict[str, str]:
        prov = self.provenance
        if prov.empty or "site_name" not in prov:
            return {}
        return {str(s): str(n) for s, n in zip(prov["site"], prov["site_name"].fillna(""),
                                                strict=True)}

    def indicators_of(self, intervention: str) -> pd.DataFrame:
        """Sites × measures of one intervention (whole period), sites in code order;
        a suppressed value is missing here and explained in :attr:`footnotes`."""
        from ..exchange.indicators import site_key
        from ..measures.catalogue import measure_ids

        b = self.whole_period
        b = b[b["intervention"].astype(str) == intervention]
        if b.empty:
            return pd.DataFrame()
        wide = b.pivot_table(index="site", columns="indicator", values="value",
                             aggfunc="first", dropna=False)
        wide = wide[[m for m in measure_ids() if m in wide.columns]]
        wide.columns.name = None
        wide = wide.loc[site_key(pd.Series(wide.index)).sort_values(kind="stable").index
                        .map(lambda i: wide.index[i])]
        out = wide.reset_index()
        out.insert(1, "site_name", out["site"].astype(str).map(self._names()))
        return out

    @property
    def indicators(self) -> pd.DataFrame:
        """Every intervention's sites × measures, one block per intervention."""
        parts = [self.indicators_of(iv).assign(intervention=iv) for iv in self.interventions]
        parts = [p for p in parts if len(p)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    @property
    def flags(self) -> pd.DataFrame:
        """Rows whose value lies outside the 95 % (or 99.8 %) funnel limits."""
        cols = ["intervention", "site", "site_name", "indicator", "n", "value",
                "network_value", "flag"]
        b = self.whole_period
        if b.empty or "flag" not in b:
            return pd.DataFrame(columns=cols)
        out = b[b["flag"].notna() & (b["flag"] != "within")].copy()
        out["site_name"] = out["site"].astype(str).map(self._names())
        return out[cols].reset_index(drop=True)

    @property
    def synthetic(self) -> bool:
        """Whether the store holds example sites (their codes are reserved for the examples)."""
        from ..examples import EXAMPLE_SITES

        return bool(self.provenance["site"].astype(str).isin(EXAMPLE_SITES).any()) \
            if "site" in self.provenance else False

    def export_tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables for Excel; each carries ``attrs["as_of"]``."""
        from ..charts.measures import intervention_label

        tables = {"sites": self.provenance, "indicators": self.indicators, "flags": self.flags,
                  "benchmarks": self.benchmarks}
        # interventions by name, as the report's sections show them
        tables = {k: v.assign(intervention=[intervention_label(i, self.lang)
                                            for i in v["intervention"]])
                  if "intervention" in v else v for k, v in tables.items()}
        if self.synthetic:
            tables = {"note": pd.DataFrame({"note": [t("report_synthetic", self.lang)]}),
                      **tables}
        when = None if self.as_of is None else self.as_of.date().isoformat()
        out = {}
        for k, v in tables.items():
            v = v.copy()
            v.attrs.update(as_of=when, title=t("network_title", self.lang))
            out[k] = v
        return out

    def section(self, name: str) -> list:
        """Headings, tables and figures under one heading of the network report."""
        from .. import charts
        from ..measures.catalogue import measure
        from ._sections import figure, heading, indicator_values, styled

        L = self.lang
        prov = self.provenance
        if name == "title":
            banner = ([MarkdownText(f"> **{t('report_synthetic', L)}**")] if self.synthetic
                      else [])
            items = [heading("network_title", L, level=1), *banner,
                     md_text("network_summary", L, n_sites=prov["site"].nunique(),
                                    n_packages=len(prov))]
            if self.as_of is not None:
                items.append(md_text("network_as_of", L,
                                            date=self.as_of.date().isoformat()))
            return items
        if prov.empty:
            return [md_text("network_empty", L)] if name == "sites" else []
        if name == "sites":
            cols = [c for c in ("site", "site_name", "country", "intervention", "level",
                                "period_start", "period_end") if c in prov]
            view = prov[cols].assign(intervention=[charts.intervention_label(i, L)
                                                   for i in prov["intervention"]])
            from ..exchange.indicators import site_key

            view = view.loc[site_key(view["site"]).sort_values(kind="stable").index]
            return [heading("network_section_sites", L), styled(view, L)]
        if name == "indicators":
            items: list = [heading("network_section_indicators", L)]
            for iv in self.interventions:
                wide = self.indicators_of(iv)
                ids = [c for c in wide.columns if c not in ("site", "site_name")]
                shares = [measure(c).label(L) for c in ids if measure(c).is_share]
                wide = wide.rename(columns={c: measure(c).label(L) for c in ids})
                items += [heading("network_section_intervention", L, level=3,
                                  intervention=charts.intervention_label(iv, L)),
                          styled(wide, L, percent=shares)]
                excluded = self._excluded(iv)
                if excluded:
                    items.append(md_text("network_sites_excluded", L, n=excluded))
            return items
        if name == "funnels":
            items = [heading("network_section_funnels", L)]
            b = self.whole_period
            for iv in self.interventions:
                rows = b[b["intervention"].astype(str) == iv]
                for ind in dict.fromkeys(rows["indicator"]):
                    m = measure(ind)
                    r = rows[rows["indicator"] == ind]
                    if m.is_share and r["lower95"].notna().any():
                        named = r.assign(site_name=r["site"].astype(str).map(self._names()))
                        items.append(figure(lambda ax, d=named, i=ind, v=iv: charts.funnel_plot(
                            d, i, ax=ax, lang=L, intervention=v), (6.5, 4)))
            return items
        if name == "flags":
            f = self.flags
            if f.empty:
                return [heading("network_section_flags", L), md_text("network_no_flags", L)]
            f = indicator_values(f, ["value", "network_value"], L).assign(
                indicator=[charts.indicator_label(i, L) for i in f["indicator"]],
                intervention=[charts.intervention_label(i, L) for i in f["intervention"]])
            return [heading("network_section_flags", L), styled(f, L)]
        raise KeyError(name)

    def _excluded(self, intervention: str) -> int:
        b = self.whole_period
        b = b[b["intervention"].astype(str) == intervention]
        if "n_sites_excluded" not in b or b.empty:
            return 0
        return int(pd.to_numeric(b["n_sites_excluded"], errors="coerce").max() or 0)


def network_evaluation(store_path, lang: str = "nb", k: int = 5, as_of=None) -> NetworkReport:
    """Read a network store's provenance and benchmarks as of ``as_of`` (default today;
    the store is closed afterwards).

    Raises
    ------
    ValidationError
        When ``store_path`` is not an existing file; :class:`UnknownNameError` for an
        unknown language.
    """
    from ..exchange.network import NetworkStore
    from ..measures.engine import as_of_date

    check_lang(lang)
    when = as_of_date(as_of)
    path = Path(store_path)
    if not path.is_file():
        raise ValidationError([Problem("no network store here", file=str(path),
                                       expected="a DuckDB file made by NetworkStore",
                                       found="nothing" if not path.exists() else "a folder")])
    with NetworkStore(path, read_only=True) as store:
        prov = store.provenance()
        bench = store.benchmarks(k=k, as_of=when) if len(prov) else pd.DataFrame()
    return NetworkReport(lang, prov, bench, when)
