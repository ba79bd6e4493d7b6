"""Report: write the project's evaluation report (HTML or Excel) and open it here.

The report is written by :func:`~implementere_kit.report.build_report` into the project's
``reports`` folder, in the project's report language (set on the start screen — the
screens' language does not change it). An HTML report is shown on the page and both
formats can be downloaded from the page.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as W

from ..errors import ImplementereError
from ._base import LANGUAGES, Screen, download_html, error_html, esc, style_widget

__all__ = ["ReportScreen"]

_ALL = "__all__"


class ReportScreen(Screen):
    """Build the evaluation report of the project for a period.

    Examples
    --------
    >>> from implementere_kit.widgets import demo_project
    >>> r = ReportScreen(demo_project(tmp, scale=0.05), lang="en")
    >>> r.fmt.value = "xlsx"
    >>> r.build_button.click()
    >>> r.last_report.suffix, "ik-download" in r.result.value
    ('.xlsx', True)
    """

    screen_id = "report"

    def _build(self) -> None:
        self.intro = W.HTML()
        self.period = W.Dropdown(style={"description_width": "10em"})
        self.fmt = W.ToggleButtons(options=("html", "xlsx"), value="html")
        self.build_button = W.Button(button_style="primary", icon="file-text")
        self.build_button.add_class("ik-build-report")
        self.result = W.HTML()
        self.preview = W.HTML()
        self.last_report: Path | None = None
        self.root = W.VBox([style_widget(), self.intro, self.period, self.fmt,
                            self.build_button, self.message, self.result, self.preview])
        self.build_button.on_click(lambda _: self.build())

    def _relabel(self) -> None:
        names = dict((code, name) for name, code in LANGUAGES)
        self.intro.value = (f"<h3>{esc(self._t('ui_report_heading'))}</h3><p>"
                            f"{esc(self._t('ui_report_intro', language=names[self.project.language]))}"
                            "</p>")
        self.period.description = self._t("col_period")
        self._set_options(self.period, [(self._t("report_period_all"), _ALL),
                                         *((str(y), str(y)) for y in self._years())])
        if self.period.value is None:
            self.period.value = _ALL
        self._set_options(self.fmt, [(self._t("ui_report_html"), "html"),
                                     (self._t("ui_report_xlsx"), "xlsx")])
        self.build_button.description = self._t("ui_report_build")

    def refresh(self) -> None:
        """Re-read the project's years and report language."""
        with self._quiet():
            self._relabel()

    def _years(self) -> list[int]:
        start = self.project.period.get("start")
        first = int(start[:4]) if start else dt.date.today().year
        return list(range(first, dt.date.today().year + 1))

    def _share_back(self) -> Path | None:
        found = sorted((self.project.path / "share-back").glob("*.zip"),
                       key=lambda p: p.stat().st_mtime)
        return found[-1] if found else None

    def build(self) -> Path | None:
        """Write the report; show it (HTML) and offer it for download."""
        from ..report import build_report

        period = None if self.period.value == _ALL else self.period.value
        p = self.project
        out = p.path / "reports" / f"{p.path.name}-{period or 'all'}.{self.fmt.value}"
        self.result.value, self.preview.value = "", ""
        self.build_button.disabled = True
        self._ok(self._t("ui_report_working"))
        try:
            written = build_report(p.path, out, period=period, lang=p.language,
                                   share_back=self._share_back(), fmt=self.fmt.value)
        except ImplementereError as exc:
            self.message.value = error_html(exc, self.lang)
            return None
        finally:
            self.build_button.disabled = False
        self.last_report = Path(written)
        self._ok(self._t("ui_report_done", name=self.last_report.name))
        self.result.value = download_html(self.last_report, self._t("ui_download"))
        if self.last_report.suffix == ".html":
            page = self.last_report.read_text(encoding="utf-8")
            self.preview.value = (f'<iframe class="ik-report-frame" title="report" '
                                  f'sandbox="allow-same-origin" srcdoc="{html.escape(page)}" '
                                  f'style="width:100%;height:720px;border:1px solid #ccc">'
                                  f"</iframe>")
        return self.last_report
