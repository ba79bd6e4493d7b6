"""What a person sees, and what must not be in it: the checks of ``test_localisation.py``.

:func:`problems` finds raw ids, Python reprs, decimal points and English in a rendering;
the collectors gather the visible text of widgets, figures, HTML pages, report sections
and workbooks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from implementere_kit._data import package_file
from implementere_kit.i18n import labels

# -- what may legitimately look like an id or like English --------------------------------
#: The same in every language: instrument abbreviations and proper names.
SAME_EVERYWHERE = {
    "AIM", "IAM", "FIM", "SIC", "EPIS", "NIRN", "KEEP", "FFT", "PMTO", "DUÅ", "ORIC", "ILS",
    "ICS", "EBPAS", "FIMP", "RE-AIM", "TILE", "KEEP TEENAGER",
    # Organisations and programme names are names: they are not translated.
    "Oregon Social Learning Center", "Functional Family Therapy", "Incredible Years",
    "Parent Management Training", "Keeping Foster and Kin Parents Supported and Trained",
}
#: Notation, not ids: Hedges' g_av (Lakens 2013) is written so in the literature.
NOTATION = {"g_av"}
#: Ids that are also ordinary words a label may consist of (compared case-sensitively).
ID_WORDS_OK = {"KEEP", "FFT", "PMTO", "DKK", "NOK", "SEK", "EUR", "n"}  # n: a count heading
#: English texts of the definitions that are also right in nb or da (checked by hand).
ENGLISH_SAME_OK = {"Implementeringsteam", "Koordinator"}


# -- the definitions ------------------------------------------------------------------------
def _walk(node) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _definition_files() -> list[Path]:
    root = Path(package_file("locales", "en.yaml")).parents[1]
    return sorted(p for p in root.rglob("*.yaml")
                  if "locales" not in p.parts and "teaching" not in p.parts)


@functools.cache
def _definitions() -> list:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in _definition_files()]


@functools.cache
def known_ids() -> frozenset[str]:
    """Ids a person must never see as such: measures, roles, components, enum values,
    table columns and every ``id:`` of the definition files."""
    from implementere_kit.measures.catalogue import measure_ids

    ids = set(measure_ids())
    for data in _definitions():
        for node in _walk(data):
            if isinstance(node.get("id"), str):
                ids.add(node["id"])
            if isinstance(node.get("enum"), list):
                ids.update(str(v) for v in node["enum"])
            if isinstance(node.get("name"), str) and "type" in node:  # a table column
                ids.add(node["name"])
    return frozenset(i for i in ids if re.fullmatch(r"[a-z][a-z0-9_]*", i)) - ID_WORDS_OK


def _fragments(text: str) -> list[str]:
    """The literal parts of a format string (``{n} of {total} done`` → ``of``, ``done``)."""
    return [p.strip(" .,:;()–-") for p in re.split(r"\{[^}]*\}", text)]


@functools.cache
def english_only(lang: str) -> frozenset[str]:
    """English texts of two words or more whose ``lang`` text differs: they must not
    appear in a ``lang`` rendering."""
    pairs = []
    en, other = labels("en"), labels(lang)
    pairs += [(en[k], other.get(k, "")) for k in en]
    for data in _definitions():
        for node in _walk(data):
            if isinstance(node.get("en"), str) and isinstance(node.get(lang), str):
                pairs.append((node["en"], node[lang]))
    out = set()
    for en_text, own in pairs:
        if en_text.strip() == own.strip():
            continue
        for frag in _fragments(en_text):
            if len(frag.split()) >= 2 and frag not in own and frag not in SAME_EVERYWHERE \
                    and frag not in ENGLISH_SAME_OK and not any(
                        frag in s for s in SAME_EVERYWHERE):
                out.add(frag)
    return frozenset(out)


# -- the checks -------------------------------------------------------------------------------
_SNAKE = re.compile(r"(?<![\w./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/\\-])")
_REPR = re.compile(r"(?<![\w-])(?:True|False|None|NaN|nan|NaT|inf)(?![\w-])|<NA>"
                   r"|\[\s*['\"]|\{\s*['\"]|\[\]|\{\}|\bdtype\b|\bobject at 0x"
                   r"|(?<![\d.,])\d+[.,]\d{4,}(?![\d.,])")
#: Words of English that are not words of Norwegian or Danish.
_ENGLISH_WORDS = {"the", "and", "with", "which", "that", "this", "their", "they", "are",
                  "of", "from", "should", "must", "when", "where", "there", "without"}
_POINT = re.compile(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])")  # 0.83 (da groups thousands: 1.234)
_DATES = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\b\d{4}-\d\d-\d\d(?:[ T][\d:.]+)?")
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|(?:/|[A-Za-z]:\\)\S*|\S+\.(?:zip|xlsx|html"
                    r"|csv|parquet|json|duckdb|pdf)\b")


def problems(text: str, lang: str, *, cells: Iterable[str] = ()) -> list[str]:
    """Each raw id, repr or English-only text in ``text`` (and whole ``cells``), with context."""
    found = []
    plain = _DATES.sub(" ", _NOISE.sub(" ", text))

    def at(m) -> str:
        a, b = max(m.start() - 30, 0), m.end() + 30
        return " ".join(plain[a:b].split())

    found += [f"raw id {m.group()!r} in «{at(m)}»" for m in _SNAKE.finditer(plain)
              if m.group() not in NOTATION]
    found += [f"repr {m.group()!r} in «{at(m)}»" for m in _REPR.finditer(plain)]
    ids = known_ids()
    found += [f"raw id {c!r} as a whole text" for c in {str(c).strip() for c in cells}
              if c in ids]
    if lang != "en":
        found += [f"decimal point {m.group()!r} in «{at(m)}»" for m in _POINT.finditer(
            plain)]
        squashed = " ".join(plain.split())
        found += [f"English {e!r}" for e in sorted(english_only(lang)) if e in squashed]
        # English written in one language only (no nb/da text to compare with): a line
        # with two or more English function words
        for line in plain.splitlines():
            for name in SAME_EVERYWHERE:
                line = line.replace(name, " ")
            words = set(re.findall(r"[A-Za-z]+", line.lower())) & _ENGLISH_WORDS
            if len(words) >= 2:
                found.append(f"English text «{' '.join(line.split())[:80]}»")
    return sorted(set(found))


def check(where: str, lang: str, texts: Iterable[str], cells: Iterable[str] = ()) -> None:
    texts, cells = [str(x) for x in texts if x is not None], [str(c) for c in cells]
    found = problems("\n".join(texts + cells), lang, cells=[*texts, *cells])
    assert not found, f"{where} [{lang}]:\n  " + "\n  ".join(found)


# -- collecting what a person sees --------------------------------------------------------------
def html_text(html: str) -> str:
    import html as htmllib

    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    body = re.sub(r"<img\b[^>]*>", " ", body)
    return htmllib.unescape(re.sub(r"<[^>]+>", "\n", body))


def html_cells(html: str) -> list[str]:
    import html as htmllib

    return [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", html, flags=re.S)]


def figure_texts(fig) -> list[str]:
    """Every text drawn in a matplotlib figure: titles, tick labels, legends, annotations."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(fig).draw()  # tick labels are only written when the figure is drawn
    return [a.get_text() for a in fig.findobj(Text) if a.get_visible() and a.get_text()]


def widget_texts(widget) -> tuple[list[str], list[str]]:
    """(texts, whole values) of a widget tree: descriptions, options, values, HTML."""
    import ipywidgets as W

    texts, cells = [], []
    for attr in ("description", "placeholder", "tooltip"):
        v = getattr(widget, attr, None)
        if isinstance(v, str) and v:
            texts.append(v)
    if isinstance(widget, W.HTML | W.HTMLMath):
        texts.append(html_text(widget.value))
        cells += html_cells(widget.value)
    elif isinstance(widget, W.Label | W.Text | W.Textarea | W.Combobox):
        texts.append(widget.value)
        cells.append(widget.value)
    labels_ = list(getattr(widget, "titles", ()) or ()) + list(
        getattr(widget, "_options_labels", ()) or ())
    texts += labels_
    cells += labels_
    for child in getattr(widget, "children", ()):
        more = widget_texts(child)
        texts += more[0]
        cells += more[1]
    return texts, cells


def screen_figures(screen) -> list:
    from implementere_kit.widgets._base import FigureView

    out = []
    for v in vars(screen).values():
        views = v.values() if isinstance(v, dict) else [v]
        out += [f.figure for f in views if isinstance(f, FigureView) and f.n_draws]
    return out


def section_texts(items) -> tuple[list[str], list[str]]:
    """What a notebook shows for a report section: Markdown, tables and figures."""
    import pandas as pd
    from matplotlib.figure import Figure

    texts, cells = [], []
    for item in items:
        if isinstance(item, Figure):
            texts += figure_texts(item)
        elif isinstance(item, pd.DataFrame):
            html = item.to_html(index=False)
            texts.append(html_text(html))
            cells += html_cells(html)
        elif hasattr(item, "to_html"):  # a Styler
            html = item.to_html()
            texts.append(html_text(html))
            cells += html_cells(html)
        elif hasattr(item, "_repr_html_"):
            texts.append(html_text(item._repr_html_()))
        else:
            texts.append(str(item))
    return texts, cells


def workbook_cells(path, keys: Iterable[str] = ()) -> dict[str, list[str]]:
    """Every sheet's name and shown cell texts (numbers as Excel shows them, by format);
    the cells under a heading in ``keys`` (a column of reference keys) are left out."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    keys, out = set(keys), {}
    for ws in book.worksheets:
        cells, key_columns = [ws.title], set()
        for row in ws.iter_rows():
            for c in row:
                if c.value is None or c.column in key_columns:
                    continue
                if c.value in keys:
                    key_columns.add(c.column)
                if isinstance(c.value, str):
                    cells.append(c.value)
                elif isinstance(c.value, float) and c.number_format == "General":
                    cells.append(repr(c.value))  # Excel would show the raw float
        out[ws.title] = cells
    return out
