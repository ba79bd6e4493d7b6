"""What every screen shares: language handling, messages, problem tables and figures.

A screen is a small class that builds its children in ``_build``, sets every visible text in
``_relabel`` (so a language switch re-renders all labels by calling it again), wires its
callbacks, and displays through ``_repr_mimebundle_``. Work is done by the library; a
screen only collects input, calls it and shows the result or the error.
"""

from __future__ import annotations

import html
import importlib
import io
from contextlib import contextmanager

import ipywidgets as W
import pandas as pd

from ..errors import ImplementereError, PrivacyError, ValidationError
from ..i18n import check_lang, column_label, display_frame, error_text, phrase, problem_frame, t

__all__ = ["Screen", "FigureView", "chart_function", "frame_html", "error_html", "error_text",
           "download_html", "phrase", "share_back_view", "LANGUAGES"]

#: Language names are written in their own language, so anyone can find theirs.
LANGUAGES = (("Norsk bokmål", "nb"), ("Dansk", "da"), ("English", "en"))

# One small style sheet; an HTML widget holding <style> applies to the whole page.
STYLE = """<style>
.ik-table {border-collapse: collapse; font-size: 0.9em; margin: 4px 0;}
.ik-table th, .ik-table td {border: 1px solid #ccc; padding: 2px 6px; text-align: left;}
.ik-table th {background: #f0f0f0;}
.ik-table tr.ik-overdue td {background: #fde2dd;}
.ik-table tr.ik-done td {color: #777;}
.ik-table tr.ik-current td {font-weight: bold; background: #e6f1fa;}
.ik-ok {color: #1b6e3a;} .ik-fail {color: #a4161a;}
.ik-box {border-left: 4px solid #0072B2; padding: 2px 8px; margin: 4px 0;}
.ik-box.ik-fail {border-left-color: #D55E00;} .ik-box.ik-ok {border-left-color: #009E73;}
.ik-demo {background: #fff4d6; padding: 2px 6px; border-radius: 3px; font-size: 0.85em;}
.ik-download {font-weight: bold;}
</style>"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def frame_html(df: pd.DataFrame, lang: str = "en", *, labels: dict[str, str] | None = None,
               percent=(), values: dict | None = None, row_classes: list[str] | None = None,
               max_rows: int = 200, more: str = "… {n}") -> str:
    """A DataFrame as an escaped HTML table, every cell and heading as people read it.

    Cells go through :func:`~implementere_kit.i18n.display_frame` (numbers, shares in
    ``percent``, dates, yes/no and coded values in ``lang``; a dash for a missing value);
    ``values`` maps a column to a function labelling its values; headings are ``labels``
    or the column's label.
    """
    labels = labels or {}
    shown = df.head(max_rows)
    text = display_frame(shown, lang, percent=percent, labels=values, headings=False)
    head = "".join(f"<th>{esc(labels.get(c) or column_label(str(c), lang))}</th>"
                   for c in df.columns)
    body = []
    classes = row_classes or [""] * len(shown)
    for cls, row in zip(classes, text.itertuples(index=False, name=None), strict=False):
        cells = "".join(f"<td>{esc(v)}</td>" for v in row)
        body.append(f'<tr class="{cls}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    extra = len(df) - len(shown)
    tail = f"<p>{esc(more.format(n=extra))}</p>" if extra > 0 else ""
    return f'<table class="ik-table"><tr>{head}</tr>{"".join(body)}</table>{tail}'


def share_back_view(bench: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A share-back package's whole-period rows as people read them: each measure's name,
    the site's value and the network's (as the measure's unit says), the funnel flag and
    why a network figure is withheld — headings in ``lang``."""
    from ..i18n import value_label
    from ..measures.catalogue import format_value, measure
    from ..measures.summary import note_text

    whole = bench[bench["period"].astype(str) == "all"] if "period" in bench else bench
    ms = [measure(i) for i in whole["indicator"]]

    def shown(values) -> list[str]:
        return ["–" if pd.isna(v) else format_value(v, m.unit, lang)
                for v, m in zip(values, ms, strict=True)]

    return pd.DataFrame({
        t("col_measure", lang): [m.label(lang) for m in ms],
        t("col_value", lang): shown(whole["value"]),
        t("col_n", lang): whole["n"].to_numpy(),
        t("col_network_value", lang): shown(whole["network_value"]),
        t("col_flag", lang): [value_label("flag", f, lang) if isinstance(f, str) else "–"
                              for f in whole["flag"]],
        t("col_note", lang): [note_text(r, lang, network=True) for r in whole["network_reason"]]})


def _findings_view(found: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The scanner's findings for people: table, column and kind by name, row counts."""
    from ..i18n import column_label

    def text(key: str, fallback) -> str:
        if not isinstance(fallback, str):
            return "–"  # a finding in the package description has no table
        out = t(key, lang)
        return fallback if out == key else out

    return pd.DataFrame({
        t("ui_col_resource", lang): [text(f"ui_table_{v}", v) for v in found["table"]],
        t("ui_col_column", lang): [column_label(str(v), lang) for v in found["column"]],
        t("ui_col_kind", lang): [t(f"id_kind_{v}", lang) for v in found["kind"]],
        t("ui_col_count", lang): found["count"].astype(int).to_numpy(),
        t("ui_col_first_rows", lang): [", ".join(map(str, r)) for r in found["rows"]],
    })


def error_html(exc: Exception, lang: str) -> str:
    """An error as HTML: the problems table of a ValidationError, a PrivacyError's findings."""
    if isinstance(exc, ValidationError):
        table = problem_frame(exc.problems, lang).dropna(axis=1, how="all")
        labels = {c: t(f"ui_col_{c}", lang) for c in table.columns}
        return (f'<div class="ik-box ik-fail"><b>{esc(t("ui_problems_found", lang, n=len(table)))}'
                f"</b>{frame_html(table, lang, labels=labels)}</div>")
    if isinstance(exc, PrivacyError):
        found = exc.findings
        if isinstance(found, pd.DataFrame) and len(found):
            # where, what kind, how many rows: never a value (the findings hold none)
            shown = _findings_view(found, lang)
            body = frame_html(shown, lang, labels={c: c for c in shown.columns})
        else:
            body = f"<p>{esc(error_text(exc, lang))}</p>"
        return (f'<div class="ik-box ik-fail"><b>{esc(t("ui_privacy_refused", lang))}</b>'
                f"{body}</div>")
    return f'<div class="ik-box ik-fail">{esc(error_text(exc, lang))}</div>'


def download_html(path, label: str, *, limit_mb: float = 25) -> str:
    """A link that downloads ``path`` from the page itself (no file server needed).

    The file travels inside the link (base64), so it works in Voila and JupyterLab alike;
    a file over ``limit_mb`` is named instead, with where it was saved.
    """
    import base64
    import mimetypes
    from pathlib import Path

    path = Path(path)
    if path.stat().st_size > limit_mb * 1e6:
        return f"<code>{esc(path)}</code>"
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<a class="ik-download" download="{esc(path.name)}" '
            f'href="data:{kind};base64,{data}">{esc(label)}</a>')


def chart_function(name: str):
    """The chart function ``implementere_kit.charts.<name>`` (imported on first use)."""
    return getattr(importlib.import_module("implementere_kit.charts"), name)


class FigureView:
    """One matplotlib Figure and Axes, reused for every redraw and shown as a PNG image.

    Reusing the figure avoids building a new one per change; a PNG in an ``Image`` widget
    is one message to the browser and works the same headless, in Jupyter and in Voila.
    ``constrained=False`` uses fixed margins (:meth:`margins`), which saves the layout pass
    that would otherwise double the cost of each redraw of a large chart.
    """

    def __init__(self, width: float = 8.0, height: float = 4.0, dpi: int = 80,
                 constrained: bool = True):
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(width, height), dpi=dpi,
                             layout="constrained" if constrained else None)
        self.ax = self.figure.add_subplot()
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.n_draws = 0

    def margins(self, left: float, right: float, top: float, bottom: float) -> None:
        """Fixed margins in inches (converted to the figure's current size)."""
        w, h = self.figure.get_size_inches()
        self.figure.subplots_adjust(left=min(left / w, 0.5), right=1 - right / w,
                                    top=1 - top / h, bottom=min(bottom / h, 0.5))

    def draw(self, chart, *args, **kwargs) -> None:
        """Clear the axes, call ``chart(*args, ax=ax, **kwargs)`` and refresh the image."""
        self.ax.clear()
        chart(*args, ax=self.ax, **kwargs)
        buf = io.BytesIO()
        # Fast zlib level: a chart PNG is small either way, and encoding is part of a redraw.
        self.figure.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
        self.image.value = buf.getvalue()
        self.n_draws += 1


class Screen:
    """Base of the screens: a project, a language and a message line.

    Subclasses set :attr:`screen_id`, build their widgets in ``_build`` (which must set
    ``self.root``) and set every text in ``_relabel``.
    """

    screen_id = "screen"

    def __init__(self, project=None, lang: str | None = None):
        self.project = project
        self.lang = check_lang(lang or (project.language if project is not None else "nb"))
        self.message = W.HTML()
        self._busy = False
        self._build()
        with self._quiet():
            self._relabel()

    # -- to override ----------------------------------------------------------------
    def _build(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _relabel(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------
    def _t(self, key: str, **fmt) -> str:
        return t(key, self.lang, **fmt)

    def set_language(self, lang: str) -> None:
        """Show every label in ``lang`` (``nb``, ``da`` or ``en``)."""
        lang = check_lang(lang)
        if lang == self.lang:
            return
        self.lang = lang
        self.message.value = ""
        with self._quiet():
            self._relabel()

    @contextmanager
    def _quiet(self):
        """Changes made while relabelling must not trigger saves."""
        old, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = old

    def _ok(self, text: str) -> None:
        self.message.value = f'<div class="ik-box ik-ok">{esc(text)}</div>'

    def _warn(self, text: str) -> None:
        self.message.value = f'<div class="ik-box ik-fail">{esc(text)}</div>'

    def _fail(self, exc: Exception) -> None:
        self.message.value = error_html(exc, self.lang)

    def _save(self) -> bool:
        """Save the project; on failure show why and return False."""
        try:
            self.project.save()
        except ImplementereError as exc:
            self._fail(exc)
            return False
        return True

    @staticmethod
    def _set_options(widget, options) -> None:
        """Replace a selection widget's options, keeping the value when it still exists."""
        value = widget.value
        widget.options = options
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        if isinstance(value, tuple):  # multiple selection
            widget.value = tuple(v for v in value if v in values)
        elif value in values:
            widget.value = value

    def _repr_mimebundle_(self, **kwargs):
        return self.root._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.screen_id} lang={self.lang}>"


def style_widget() -> W.HTML:
    return W.HTML(STYLE)


def heading(level: int = 3) -> W.HTML:
    return W.HTML(layout=W.Layout(margin=f"{8 if level <= 3 else 4}px 0 2px 0"))


def set_heading(widget: W.HTML, text: str, level: int = 3) -> None:
    widget.value = f"<h{level}>{esc(text)}</h{level}>"
