"""Exchange: export a data package, validate and import packages into a network store, and
open the share-back package the network sends back — with uploads and downloads, no paths.

Every export passes the privacy guard of :func:`~implementere_kit.exchange.package.export_package`;
its verdict is shown either way: what was written (and a link to download it), or why
nothing was (the :class:`~implementere_kit.errors.PrivacyError` message and which columns
held what kind of identifier, never the values). Files live in the project folder:
``exports/`` (packages made here), ``network/`` (the store and the packages received) and
``share-back/`` (what the network sent back).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError, PrivacyError, Problem, ValidationError
from ._base import (
    Screen,
    download_html,
    error_html,
    esc,
    frame_html,
    heading,
    set_heading,
    share_back_view,
    style_widget,
)

__all__ = ["ExchangeScreen"]

_STYLE = {"description_width": "12em"}


def _save_upload(folder: Path, name: str, content: bytes) -> Path:
    """Keep an uploaded file in ``folder`` under its base name (never a browser's path)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (Path(name).name or "upload.zip")
    path.write_bytes(content)
    return path


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
    >>> ex = ExchangeScreen(demo_project(tmp, scale=0.05))
    >>> ex.export_button.click()
    >>> ex.last_export.suffix, "ik-ok" in ex.verdict.value, "ik-download" in ex.verdict.value
    ('.zip', True, True)
    """

    screen_id = "exchange"

    def __init__(self, project, lang: str | None = None, *, network=None):
        self.store_path = Path(network) if network else project.path / "network" / \
            "network.duckdb"
        super().__init__(project, lang)

    def _build(self) -> None:
        self.headings = {k: heading() for k in ("export", "network", "share_back")}
        self.level = W.ToggleButtons(options=("aggregate", "pseudonymised"), value="aggregate",
                                     style=_STYLE)
        self.fmt = W.ToggleButtons(options=("parquet", "csv"), value="parquet", style=_STYLE)
        self.export_button = W.Button(button_style="primary", icon="download")
        self.export_button.add_class("ik-export")
        self.verdict = W.HTML()
        self.last_export: Path | None = None
        # A false positive of the scanner gets a reviewed exception, never a silent bypass:
        # which finding, why it is no personal identifier, who reviewed it (the audit log).
        self.exception_finding = W.Dropdown(options=[], style=_STYLE)
        self.exception_reason = W.Textarea(style=_STYLE, layout=W.Layout(width="36em"))
        self.exception_reviewer = W.Text(style=_STYLE)
        self.exception_button = W.Button(icon="check-square")
        self.exception_result = W.HTML()
        self.exception_box = W.VBox([self.exception_finding, self.exception_reason,
                                     self.exception_reviewer, self.exception_button],
                                    layout=W.Layout(display="none"))
        self.exceptions_list = W.HTML()
        self.store_info = W.HTML()
        self.package_upload = W.FileUpload(accept=".zip", multiple=True)
        self.received: list[Path] = []
        self.received_list = W.HTML()
        self.validate_button = W.Button(icon="check")
        self.import_button = W.Button(button_style="primary", icon="database")
        self.network_result = W.HTML()
        self.share_back_upload = W.FileUpload(accept=".zip", multiple=False)
        self.share_back_result = W.HTML()
        h = self.headings
        self.root = W.VBox([
            style_widget(), h["export"], self.level, self.fmt, self.export_button,
            self.verdict, self.exception_box, self.exception_result, self.exceptions_list,
            h["network"], self.store_info, self.package_upload,
            self.received_list, W.HBox([self.validate_button, self.import_button]),
            self.network_result, h["share_back"], self.share_back_upload,
            self.share_back_result, self.message,
        ])
        self.export_button.on_click(lambda _: self.export())
        self.exception_button.on_click(lambda _: self.add_exception())
        self.validate_button.on_click(lambda _: self.validate())
        self.import_button.on_click(lambda _: self.import_packages())
        self.package_upload.observe(self._on_packages, "value")
        self.share_back_upload.observe(self._on_share_back, "value")

    def _relabel(self) -> None:
        t = self._t
        for key, w in self.headings.items():
            set_heading(w, t(f"ui_ex_{key}"))
        self._set_options(self.level, [(t("ui_level_aggregate"), "aggregate"),
                                       (t("ui_level_pseudonymised"), "pseudonymised")])
        self._set_options(self.fmt, [(t("ui_format_parquet"), "parquet"),
                                     (t("ui_format_csv"), "csv")])
        for w, key in ((self.level, "ui_level"), (self.fmt, "ui_format"),
                       (self.package_upload, "ui_choose_packages"),
                       (self.share_back_upload, "ui_choose_share_back")):
            w.description = t(key)
        for w, key in ((self.exception_finding, "ui_exception_finding"),
                       (self.exception_reason, "ui_exception_reason"),
                       (self.exception_reviewer, "ui_exception_reviewer")):
            w.description = t(key)
        self.exception_reason.placeholder = t("ui_exception_reason_hint")
        for b, key in ((self.export_button, "ui_export"), (self.validate_button, "ui_validate"),
                       (self.import_button, "ui_import"),
                       (self.exception_button, "ui_exception_add")):
            b.description = t(key)
        self._show_exceptions()
        self.store_info.value = (f"<p>{esc(t('ui_store'))}: <code>{esc(self.store_path)}</code>"
                                 f"</p>")
        self._show_received()

    # -- export ---------------------------------------------------------------------------
    def export(self) -> Path | None:
        """Export the project into ``exports/``; show the privacy guard's verdict."""
        from ..exchange.package import export_package

        p = self.project
        stamp = dt.date.today().isoformat()
        name = f"{p.country.lower()}-{p.site}-{p.intervention.id}-{self.level.value}-{stamp}.zip"
        out = p.path / "exports" / name
        try:
            written = export_package(p, out, level=self.level.value, fmt=self.fmt.value)
        except ImplementereError as exc:
            self.verdict.value = error_html(exc, self.lang)
            self._offer_exceptions(exc)
            return None
        self._offer_exceptions(None)
        self.last_export = Path(written)
        self.verdict.value = (
            f'<div class="ik-box ik-ok"><b>{esc(self._t("ui_privacy_passed"))}</b><br>'
            f"{esc(self._t('ui_written_to', path=self.last_export.name))} "
            f"{download_html(self.last_export, self._t('ui_download'))}</div>")
        return self.last_export

    # -- reviewed exceptions for false positives -------------------------------------------
    def _offer_exceptions(self, exc) -> None:
        """After a refused export: the findings an exception may cover (never a key column,
        whose values must become pseudonyms instead)."""
        from ..exchange.privacy_exceptions import is_key_column
        from ..i18n import column_label

        found = getattr(exc, "findings", None) if isinstance(exc, PrivacyError) else None
        options = []
        if isinstance(found, pd.DataFrame) and len(found):
            for r in found.drop_duplicates(["table", "column", "kind"]).itertuples(index=False):
                if r.table is None or r.column is None or is_key_column(str(r.column)):
                    continue
                label = " · ".join((self._t(f"ui_table_{r.table}"),
                                    column_label(str(r.column), self.lang),
                                    self._t(f"id_kind_{r.kind}")))
                options.append((label, (str(r.table), str(r.column), str(r.kind))))
        self.exception_finding.options = options
        self.exception_box.layout.display = "" if options else "none"
        self.exception_result.value = ""

    def add_exception(self) -> dict | None:
        """Record the chosen finding as a reviewed exception in the project's audit log."""
        if self.exception_finding.value is None:
            return None
        table, column, kind = self.exception_finding.value
        try:
            entry = self.project.add_privacy_exception(
                table, column, kind, reason=self.exception_reason.value,
                reviewer=self.exception_reviewer.value)
        except ImplementereError as exc:
            self.exception_result.value = error_html(exc, self.lang)
            return None
        self.exception_result.value = (
            f'<div class="ik-box ik-ok">{esc(self._t("ui_exception_added", id=entry["seq"]))}'
            f"</div>")
        self.exception_reason.value = ""
        self._show_exceptions()
        return entry

    def _show_exceptions(self) -> None:
        from ..i18n import column_label

        active = self.project.privacy_exceptions()
        if not len(active):
            self.exceptions_list.value = ""
            return
        shown = pd.DataFrame({
            self._t("col_exception_id"): active["id"].astype(str),
            self._t("ui_col_resource"): [self._t(f"ui_table_{x}") for x in active["table"]],
            self._t("ui_col_column"): [column_label(str(c), self.lang) for c in active["column"]],
            self._t("ui_exception_kind"): [self._t(f"id_kind_{k}") for k in active["kind"]],
            self._t("ui_exception_reason"): active["reason"],
            self._t("ui_exception_reviewer"): active["reviewer"],
            self._t("col_date"): active["date"].astype(str)})
        self.exceptions_list.value = (f"<p><b>{esc(self._t('ui_exceptions_in_force'))}</b></p>"
                                      f"{frame_html(shown, self.lang)}")

    # -- network --------------------------------------------------------------------------
    def _on_packages(self, change) -> None:
        if change["new"]:
            self.receive_packages([(f["name"], bytes(f["content"])) for f in change["new"]])
            self.package_upload.value = ()  # the same file again is a new upload

    def receive_packages(self, files) -> list[Path]:
        """Keep uploaded packages (``(name, bytes)`` pairs) in ``network/received``."""
        folder = self.store_path.parent / "received"
        for name, content in files:
            path = _save_upload(folder, name, content)
            if path not in self.received:
                self.received.append(path)
        self._show_received()
        return self.received

    def _show_received(self) -> None:
        names = "".join(f"<li>{esc(p.name)}</li>" for p in self.received)
        self.received_list.value = (f"<ul>{names}</ul>" if names else
                                    f"<p><i>{esc(self._t('ui_no_packages'))}</i></p>")

    def validate(self) -> pd.DataFrame:
        """Validate each received package; list every problem found."""
        from ..exchange.validate import validate_package

        rows, problems = [], []
        for path in self.received:
            found = validate_package(path)
            rows.append({"package": path.name, "n_problems": len(found)})
            problems += found
        summary = pd.DataFrame(rows, columns=["package", "n_problems"])
        labels = {"package": self._t("ui_package"), "n_problems": self._t("ui_n_problems")}
        html = frame_html(summary, self.lang, labels=labels)
        if problems:
            html += error_html(ValidationError(problems), self.lang)
        self.network_result.value = html
        return summary

    def import_packages(self):
        """Validate and merge the received packages into the network store."""
        from ..exchange.network import NetworkStore, results_frame

        if not self.received:
            self.network_result.value = error_html(
                ValidationError([Problem(self._t("ui_no_packages"))]), self.lang)
            return None
        try:
            with NetworkStore(self.store_path) as store:
                results = results_frame(store.merge(self.received))
                n_sites = int(store.provenance()["site"].nunique())
        except ImplementereError as exc:
            self.network_result.value = error_html(exc, self.lang)
            return None
        results["source"] = results["source"].map(lambda s: Path(s).name)
        self.network_result.value = (f"<p>{esc(self._t('ui_sites_in_store', n=n_sites))}</p>"
                                     + frame_html(results, self.lang,
                                                  values={"action": self._action}))
        return results

    def _action(self, code: str) -> str:
        text = self._t(f"ui_action_{code}")
        return code if text == f"ui_action_{code}" else text

    # -- share-back -----------------------------------------------------------------------
    def _on_share_back(self, change) -> None:
        if change["new"]:
            f = change["new"][0]
            self.receive_share_back(f["name"], bytes(f["content"]))
            self.share_back_upload.value = ()

    def receive_share_back(self, name: str, content: bytes) -> pd.DataFrame | None:
        """Keep an uploaded share-back package in ``share-back/`` and open it."""
        return self.open_share_back(_save_upload(self.project.path / "share-back", name,
                                                 content))

    def open_share_back(self, path) -> pd.DataFrame | None:
        """Open a share-back package and keep this site's benchmarks in the project."""
        from ..exchange.validate import open_package

        path = Path(path)
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
        except ImplementereError as exc:
            self.share_back_result.value = error_html(exc, self.lang)
            return None
        if not self._save():
            return None
        # the whole period beside the network, as the dashboard shows it (a share-back
        # package holds no medians or quartiles: they would give other sites away)
        self.share_back_result.value = (
            f'<div class="ik-box ik-ok">{esc(self._t("ui_share_back_loaded", n=len(own)))}</div>'
            + frame_html(share_back_view(own, self.lang), self.lang))
        return own
