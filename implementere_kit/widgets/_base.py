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
from ..i18n import check_lang, t

__all__ = ["Screen", "FigureView", "chart_function", "frame_html", "error_html", "column_labels",
           "value_labels", "LANGUAGES"]

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
</style>"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def frame_html(df: pd.DataFrame, *, labels: dict[str, str] | None = None,
               row_classes: list[str] | None = None, max_rows: int = 200,
               more: str = "… {n}") -> str:
    """A DataFrame as an escaped HTML table; faster than ``to_html`` for a few hundred rows."""
    labels = labels or {}
    head = "".join(f"<th>{esc(labels.get(c, c))}</th>" for c in df.columns)
    body = []
    shown = df.head(max_rows)
    classes = row_classes or [""] * len(shown)
    for cls, row in zip(classes, shown.itertuples(index=False, name=None), strict=False):
        cells = "".join(f"<td>{_cell(v)}</td>" for v in row)
        body.append(f'<tr class="{cls}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    extra = len(df) - len(shown)
    tail = f"<p>{esc(more.format(n=extra))}</p>" if extra > 0 else ""
    return f'<table class="ik-table"><tr>{head}</tr>{"".join(body)}</table>{tail}'


def _cell(v: object) -> str:
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, float):
        return f"{v:.2f}"
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return esc(v)


def column_labels(columns, lang: str) -> dict[str, str]:
    """Column name → label for people (``col_<name>``, else ``<name>``, else the name)."""
    out = {}
    for c in columns:
        text = t(f"col_{c}", lang)
        out[c] = text if text != f"col_{c}" else t(str(c), lang)
    return out


def value_labels(values: pd.Series, prefix: str, lang: str) -> pd.Series:
    """Codes (``adherence``, ``within``) as labels (``<prefix><code>``) where a label exists."""
    def one(v):
        if not isinstance(v, str):
            return v
        text = t(f"{prefix}{v}", lang)
        return v if text == f"{prefix}{v}" else text

    return values.map(one)


def error_html(exc: Exception, lang: str) -> str:
    """An error as HTML: the problems table of a ValidationError, a PrivacyError's findings."""
    if isinstance(exc, ValidationError):
        table = exc.table().dropna(axis=1, how="all")
        labels = {c: t(f"ui_col_{c}", lang) for c in table.columns}
        return (f'<div class="ik-box ik-fail"><b>{esc(t("ui_problems_found", lang, n=len(table)))}'
                f"</b>{frame_html(table, labels=labels)}</div>")
    if isinstance(exc, PrivacyError):
        found = exc.findings
        table = frame_html(found) if isinstance(found, pd.DataFrame) and len(found) else ""
        return (f'<div class="ik-box ik-fail"><b>{esc(t("ui_privacy_refused", lang))}</b>'
                f"<p>{esc(exc)}</p>{table}</div>")
    return f'<div class="ik-box ik-fail">{esc(exc)}</div>'


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
