"""Exchange: export a data package, validate and import packages into a network store, and
open the share-back package the network sends back.

Every export passes the privacy guard of :func:`~implementere_kit.exchange.package.export_package`;
its verdict is shown either way: what was written, or why nothing was (the
:class:`~implementere_kit.errors.PrivacyError` message and which columns held what kind of
identifier, never the values).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError, Problem, ValidationError
from ._base import (
    Screen,
    column_labels,
    error_html,
    esc,
    frame_html,
    heading,
    set_heading,
    style_widget,
)

__all__ = ["ExchangeScreen"]

_WIDE = W.Layout(width="44em")
_STYLE = {"description_width": "12em"}


class ExchangeScreen(Screen):
    """Export, validate, import and share back data packages.

    Parameters
    ----------
    project : Project
    lang : {"nb", "da", "en"}, optional
    network : path-like, optional
        The network store (a DuckDB file); default ``<project>/network/network.duckdb``.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> ex = ExchangeScreen(demo_project(scale=0.05))
    >>> ex.export_button.click()
    >>> ex.last_export.suffix, "ik-ok" in ex.verdict.value
    ('.zip', True)
    """

    screen_id = "exchange"

    def __init__(self, project, lang: str | None = None, *, network=None):
        self._network = network
        super().__init__(project, lang)

    def _build(self) -> None:
        p = self.project
        self.headings = {k: heading() for k in ("export", "network", "share_back")}
        self.level = W.ToggleButtons(options=("aggregate", "pseudonymised"), value="aggregate",
                                     style=_STYLE)
        self.fmt = W.ToggleButtons(options=("parquet", "csv"), value="parquet", style=_STYLE)
        self.out_dir = W.Text(value=str(p.path / "exports"), layout=_WIDE, style=_STYLE)
        self.export_button = W.Button(button_style="primary", icon="download")
        self.verdict = W.HTML()
        self.last_export: Path | None = None
        default_store = self._network or p.path / "network" / "network.duckdb"
        self.store = W.Text(value=str(default_store), layout=_WIDE, style=_STYLE)
        self.packages = W.Textarea(layout=W.Layout(width="44em", height="5em"), style=_STYLE)
        self.validate_button = W.Button(icon="check")
        self.import_button = W.Button(button_style="primary", icon="database")
        self.network_result = W.HTML()
        self.share_back = W.Text(layout=_WIDE, style=_STYLE)
        self.open_button = W.Button(icon="folder-open")
        self.share_back_result = W.HTML()
        h = self.headings
        self.root = W.VBox([
            style_widget(), h["export"], self.level, self.fmt, self.out_dir, self.export_button,
            self.verdict, h["network"], self.store, self.packages,
            W.HBox([self.validate_button, self.import_button]), self.network_result,
            h["share_back"], self.share_back, self.open_button, self.share_back_result,
            self.message,
        ])
        self.export_button.on_click(lambda _: self.export())
        self.validate_button.on_click(lambda _: self.validate())
        self.import_button.on_click(lambda _: self.import_packages())
        self.open_button.on_click(lambda _: self.open_share_back())

    def _relabel(self) -> None:
        t = self._t
        for key, w in self.headings.items():
            set_heading(w, t(f"ui_ex_{key}"))
        self._set_options(self.level, [(t("ui_level_aggregate"), "aggregate"),
                                       (t("ui_level_pseudonymised"), "pseudonymised")])
        for w, key in ((self.level, "ui_level"), (self.fmt, "ui_format"),
                       (self.out_dir, "ui_out_dir"), (self.store, "ui_store"),
                       (self.packages, "ui_packages"), (self.share_back, "ui_share_back_file")):
            w.description = t(key)
        self.packages.placeholder = t("ui_packages_placeholder")
        for b, key in ((self.export_button, "ui_export"), (self.validate_button, "ui_validate"),
                       (self.import_button, "ui_import"), (self.open_button, "ui_open")):
            b.description = t(key)

    # -- export ---------------------------------------------------------------------------
    def export(self) -> Path | None:
        """Export the project; show the privacy guard's verdict."""
        from ..errors import PrivacyError
        from ..exchange.package import export_package

        p = self.project
        stamp = dt.date.today().isoformat()
        name = f"{p.country.lower()}-{p.site}-{p.intervention.id}-{self.level.value}-{stamp}.zip"
        out = Path(self.out_dir.value.strip() or p.path / "exports") / name
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            written = export_package(p, out, level=self.level.value, fmt=self.fmt.value)
        except PrivacyError as exc:
            self.verdict.value = error_html(exc, self.lang)
            return None
        except (ImplementereError, OSError) as exc:
            self.verdict.value = error_html(exc, self.lang)
            return None
        self.last_export = Path(written)
        self.verdict.value = (f'<div class="ik-box ik-ok"><b>{esc(self._t("ui_privacy_passed"))}'
                              f"</b><br>{esc(self._t('ui_written_to', path=str(written)))}</div>")
        return self.last_export

    # -- network --------------------------------------------------------------------------
    def _paths(self) -> list[Path]:
        return [Path(s.strip()) for s in self.packages.value.splitlines() if s.strip()]

    def validate(self) -> pd.DataFrame:
        """Validate each listed package; list every problem found."""
        from ..exchange.validate import validate_package

        rows, problems = [], []
        for path in self._paths():
            found = validate_package(path)
            rows.append({"package": path.name, "n_problems": len(found)})
            problems += found
        summary = pd.DataFrame(rows, columns=["package", "n_problems"])
        labels = {"package": self._t("ui_package"), "n_problems": self._t("ui_n_problems")}
        html = frame_html(summary, labels=labels)
        if problems:
            html += error_html(ValidationError(problems), self.lang)
        self.network_result.value = html
        return summary

    def import_packages(self):
        """Validate and merge the listed packages into the network store."""
        from ..exchange.network import NetworkStore, results_frame

        paths = self._paths()
        if not paths:
            self.network_result.value = error_html(
                ValidationError([Problem(self._t("ui_no_packages"))]), self.lang)
            return None
        try:
            with NetworkStore(self.store.value.strip()) as store:
                results = results_frame(store.merge(paths))
                n_sites = int(store.provenance()["site"].nunique())
        except ImplementereError as exc:
            self.network_result.value = error_html(exc, self.lang)
            return None
        results["source"] = results["source"].map(lambda s: Path(s).name)
        self.network_result.value = (f"<p>{esc(self._t('ui_sites_in_store', n=n_sites))}</p>"
                                     + frame_html(results))
        return results

    # -- share-back -----------------------------------------------------------------------
    def open_share_back(self) -> pd.DataFrame | None:
        """Open a share-back package and keep this site's benchmarks in the project."""
        from ..exchange.validate import open_package

        path = Path(self.share_back.value.strip())
        try:
            with open_package(path) as pkg:
                if "benchmarks" not in pkg.resources:
                    raise ValidationError([Problem("not a share-back package", file=path.name,
                                                   expected="a resource 'benchmarks'")])
                bench = pkg.frame("benchmarks")
            own = bench[bench["site"].astype(str) == self.project.site].reset_index(drop=True)
            if own.empty:
                raise ValidationError([Problem("no benchmarks for this site", file=path.name,
                                               column="site", expected=self.project.site)])
            self.project.set_table("benchmarks", own, file=path.name)
            self.project.save()
        except ImplementereError as exc:
            self.share_back_result.value = error_html(exc, self.lang)
            return None
        cols = [c for c in ("month", "indicator", "n", "value", "network_median", "flag")
                if c in own.columns]
        self.share_back_result.value = (
            f'<div class="ik-box ik-ok">{esc(self._t("ui_share_back_loaded", n=len(own)))}</div>'
            + frame_html(own[own["month"].isna()][cols] if "month" in own else own[cols],
                         labels=column_labels(cols, self.lang)))
        return own
