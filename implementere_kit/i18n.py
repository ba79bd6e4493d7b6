"""Labels in Norwegian bokmål (``nb``), Danish (``da``) and English (``en``).

Texts shown to people come from ``locales/<lang>.yaml``; column names in data stay English.
A key missing in one language falls back to English, then to the key itself, so a new
screen never crashes for want of a translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from ._data import LANGS, load_yaml, package_file
from .errors import UnknownNameError

__all__ = ["LANGS", "check_lang", "t", "labels", "MISSING", "is_missing", "fmt_number",
           "fmt_percent", "fmt_date", "fmt_bool", "fmt_value", "column_label", "value_label",
           "phrase", "message_text", "error_text", "problem_text", "problem_frame",
           "lang_from_environment",
           "display_frame", "whole_numbers", "CODED_COLUMNS"]


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is one we ship, else raise :class:`UnknownNameError`."""
    if lang not in LANGS:
        raise UnknownNameError("language", lang, LANGS)
    return lang


@lru_cache(maxsize=8)
def labels(lang: str) -> Mapping[str, str]:
    """All labels of one language as a flat, read-only ``{key: text}`` mapping."""
    check_lang(lang)
    data = load_yaml(package_file("locales", f"{lang}.yaml")) or {}
    return MappingProxyType({str(k): str(v) for k, v in data.items()})


def t(key: str, lang: str = "nb", **fmt: object) -> str:
    """Translate ``key`` into ``lang``.

    Examples
    --------
    >>> t("phase", "da")
    'Fase'
    >>> t("phase", "en")
    'Phase'
    """
    text = labels(lang).get(key) or labels("en").get(key) or key
    return text.format(**fmt) if fmt else text


# -- values for people ------------------------------------------------------------------
#: How a missing value is shown: a dash, never ``NaN``, ``None`` or ``<NA>``.
MISSING = "–"
# (thousands separator, decimal sign); Norwegian groups thousands with a (no-break) space.
_SEPARATORS = {"nb": ("\u00a0", ","), "da": (".", ","), "en": (",", ".")}


def is_missing(value: object) -> bool:
    """True for ``None``, ``NaN``, ``NaT`` and ``pd.NA``."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):  # pd.NA refuses to be a bool
        return True


def fmt_number(value: object, lang: str = "nb", decimals: int | None = None) -> str:
    """A number as people in ``lang`` write it; whole numbers without decimals by default.

    Examples
    --------
    >>> fmt_number(0.833333, "da"), fmt_number(1234.5, "nb", 1), fmt_number(1234.5, "en", 1)
    ('0,83', '1\\xa0234,5', '1,234.5')
    >>> fmt_number(12.0, "nb"), fmt_number(float("nan"), "nb")
    ('12', '–')
    """
    if is_missing(value):
        return MISSING
    x = float(value)
    if decimals is None:
        decimals = 0 if x.is_integer() else 2
    text = f"{x:,.{decimals}f}"
    thousands, point = _SEPARATORS[check_lang(lang)]
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def fmt_percent(value: object, lang: str = "nb", decimals: int = 0) -> str:
    """A share (0–1) as a percentage: ``83 %`` in nb and da, ``83%`` in en.

    Examples
    --------
    >>> fmt_percent(0.8333, "nb"), fmt_percent(0.8333, "en", 1), fmt_percent(None, "da")
    ('83 %', '83.3%', '–')
    """
    if is_missing(value):
        return MISSING
    number = fmt_number(100 * float(value), lang, decimals)
    return f"{number}%" if lang == "en" else f"{number} %"


def fmt_date(value: object, lang: str = "nb") -> str:
    """A date: ``30.06.2026`` in nb and da, ``2026-06-30`` in en.

    Examples
    --------
    >>> fmt_date("2026-06-30", "da"), fmt_date("2026-06-30", "en"), fmt_date(None, "nb")
    ('30.06.2026', '2026-06-30', '–')
    """
    import datetime as dt

    if is_missing(value):
        return MISSING
    if not isinstance(value, dt.date):
        import pandas as pd

        value = pd.Timestamp(value)
    return value.strftime("%Y-%m-%d" if check_lang(lang) == "en" else "%d.%m.%Y")


def fmt_bool(value: object, lang: str = "nb") -> str:
    """Yes or no in ``lang`` (``Ja``/``Nei``, ``Ja``/``Nej``, ``Yes``/``No``)."""
    if is_missing(value):
        return MISSING
    return t("value_yes" if value else "value_no", lang)


def fmt_value(value: object, lang: str = "nb", kind: str | None = None) -> str:
    """Any cell for people: ``kind="percent"`` for shares, else by the value's type.

    Examples
    --------
    >>> [fmt_value(v, "nb") for v in (True, 0.8333, 3, None, "KEEP")]
    ['Ja', '0,83', '3', '–', 'KEEP']
    >>> fmt_value(0.8333, "da", "percent")
    '83 %'
    """
    import datetime as dt

    import numpy as np

    if is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return fmt_bool(value, lang)
    if kind == "percent":
        return fmt_percent(value, lang)
    if isinstance(value, int | np.integer):
        return fmt_number(value, lang, 0)
    if isinstance(value, float | np.floating):
        return fmt_number(value, lang)
    if isinstance(value, dt.date | np.datetime64):
        return fmt_date(value, lang)
    return str(value)


def column_label(column: str, lang: str) -> str:
    """A column's label for people: ``col_<name>``, else ``<name>``, else the name itself.

    Examples
    --------
    >>> column_label("participant_id", "nb"), column_label("share_done", "da")
    ('Deltaker', 'Andel færdig')
    """
    text = t(f"col_{column}", lang)
    return text if text != f"col_{column}" else t(column, lang)


def value_label(column: str, value: object, lang: str) -> object:
    """A coded value as a label (key ``<column>_<value>``), else the value unchanged.

    Examples
    --------
    >>> value_label("end_reason", "dropped_out", "nb"), value_label("status", "done", "en")
    ('Falt fra', 'Done')
    >>> value_label("group_id", "G1", "nb")
    'G1'
    """
    if not isinstance(value, str):
        return value
    key = f"{column}_{value}"
    text = t(key, lang)
    return value if text == key else text


#: Columns whose values are codes with labels ``<column>_<code>`` in the locales.
CODED_COLUMNS = ("status", "end_reason", "kind", "flag", "delivered", "outcome", "indicator",
                 "level", "unit")


def display_frame(df, lang: str = "nb", *, percent=(), labels=None, headings: bool = True):
    """A table as people read it: every cell as text in ``lang``, headings labelled.

    Parameters
    ----------
    df : DataFrame
    lang : {"nb", "da", "en"}
    percent : sequence of str
        Columns holding shares (0–1), shown as percentages.
    labels : dict, optional
        Column → function turning a value into its label (e.g. phase ids into phase
        names); coded columns of :data:`CODED_COLUMNS` are labelled without it.
    headings : bool
        Replace column names by their labels (:func:`column_label`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"end_reason": ["dropped_out", None], "attended": [True, False],
    ...                    "adherence": [0.8333, float("nan")]})
    >>> display_frame(df, "da", percent=["adherence"]).to_dict("list")
    {'Årsag til afslutning': ['Faldt fra', '–'], 'Mødt': ['Ja', 'Nej'], 'Fidelitet': ['83 %', '–']}
    """
    import pandas as pd

    labels = labels or {}
    out = {}
    for col in df.columns:
        s = df[col]
        kind = "percent" if col in percent else None
        if col in labels:
            values = [MISSING if is_missing(v) else labels[col](v) for v in s]
        elif col in CODED_COLUMNS:
            values = [MISSING if is_missing(v) else value_label(col, v, lang) for v in s]
        elif pd.api.types.is_float_dtype(s) and kind is None:
            values = [fmt_number(v, lang, 0 if whole_numbers(s) else 2) for v in s]
        else:
            values = [fmt_value(v, lang, kind) for v in s.tolist()]
        out[column_label(str(col), lang) if headings else col] = values
    return pd.DataFrame(out, index=df.index, dtype=object)


def whole_numbers(s) -> bool:
    """True when every value of a number column is whole (days, counts): shown without
    decimals."""
    import numpy as np

    filled = s.dropna().to_numpy(dtype="float64")
    return bool(len(filled)) and bool(np.all(filled == np.round(filled)))


# -- errors in the user's language ----------------------------------------------------------
def phrase(text: object, prefix: str, lang: str) -> str:
    """A library phrase (``not a date``) in ``lang`` via key ``<prefix><words>``, else as is.

    >>> phrase("not a date", "problem_", "da"), phrase("no such phrase", "problem_", "da")
    ('Ikke en dato', 'no such phrase')
    """
    import re

    if not isinstance(text, str):
        return "" if text is None else str(text)
    key = prefix + re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    found = t(key, lang)
    return text if found == key else found


#: Keys whose English text is a message pattern the library writes (``{file} is damaged:
#: {reason_text}``): :func:`message_text` reads the fields back out of an English message and
#: fills them into the pattern of the other language. Fields named ``…_text`` are messages
#: themselves and translated in turn, a field ``expected`` is looked up as an expected value
#: (``expected_<words>``); all other fields (file names, values) stay as found.
_PATTERN_PREFIX = "msg_"


@lru_cache(maxsize=1)
def _patterns() -> tuple:
    import re

    out = []
    for key, text in labels("en").items():
        if not key.startswith(_PATTERN_PREFIX):
            continue
        parts = re.split(r"\{(\w+)\}", text)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                        for i, p in enumerate(parts))
        literal = sum(len(p) for p in parts[::2])
        out.append((literal, key, re.compile(regex, re.S)))
    return tuple(sorted(out, key=lambda item: -item[0]))  # the most specific pattern first


def message_text(text: object, lang: str, prefix: str | None = "problem_",
                 _depth: int = 0) -> str:
    """A message of the library in ``lang``: a fixed phrase (key ``<prefix><words>``), or a
    message made from a pattern (key ``msg_…``) with its fields kept; else as written.
    ``prefix="expected_"`` reads an expected value; ``None`` only patterns (a found value
    the library described, such as ``5 characters``).

    >>> message_text("no project at p: p/project.json is missing", "da")
    'intet projekt i p: p/project.json mangler'
    >>> message_text("p/project.json is damaged: not UTF-8 text", "nb")
    'p/project.json er skadet: ikke UTF-8-tekst'
    >>> message_text("10-500 characters", "da", "expected_")
    '10–500 tegn'
    """
    found = phrase(text, prefix, lang) if prefix else text
    if lang == "en" or found != text or not isinstance(text, str) or _depth > 3:
        return found
    for _, key, regex in _patterns():
        m = regex.fullmatch(text)
        if m:
            fields = {k: message_text(v, lang, "problem_", _depth + 1) if k.endswith("_text")
                      else message_text(v, lang, "expected_", _depth + 1) if k == "expected"
                      else v for k, v in m.groupdict().items()}
            return t(key, lang, **fields)
    return text


def _stand_ins(text: str, lang: str) -> str:
    """The stand-ins :func:`~implementere_kit.errors.safe_value` writes for a value it
    does not show, in ``lang``."""
    from .errors import _MASKED

    if text == "<masked>":  # the short stand-in some checks write
        return t("value_masked", lang)
    return text.replace(_MASKED, t("value_masked", lang)).replace(
        "<unprintable value>", t("value_unprintable", lang))


def _found_text(found: object, lang: str) -> str:
    """A found value for people: stand-ins and the library's descriptions (``5 characters``)
    in ``lang``, the value itself as it is."""
    return message_text(_stand_ins(str(found), lang), lang, None)


def error_text(exc: Exception, lang: str) -> str:
    """One of our errors as a sentence in ``lang``: by its message key, by its kind (an
    unknown name), else by :func:`message_text`."""
    from .errors import UnknownNameError

    key = getattr(exc, "message_key", None)
    if key:
        text = t(key, lang, **getattr(exc, "message_args", {}))
    elif isinstance(exc, UnknownNameError):
        kind = phrase(exc.kind, "name_kind_", lang)
        text = t("error_unknown_name", lang, kind=kind, name=repr(exc.name),
                 known=", ".join(map(str, exc.known)))
    else:
        text = message_text(str(exc), lang)
    return _stand_ins(text, lang)


def problem_text(problem, lang: str) -> str:
    """A :class:`~implementere_kit.errors.Problem` as one line in ``lang``: where (file,
    table, row, column), what, what was expected and what was found.

    >>> from implementere_kit.errors import Problem
    >>> problem_text(Problem("not a date", file="a.csv", row=3, column="date",
    ...                      expected="YYYY-MM-DD", found="'31.02.2024'"), "da")
    "fil a.csv, række 3, kolonne Dato: Ikke en dato; forventet YYYY-MM-DD, fundet '31.02.2024'"
    """
    where = []
    for field, value in (("file", problem.file), ("resource", problem.resource),
                         ("row", problem.row), ("column", problem.column)):
        if value is None or value == "":
            continue
        if field == "resource":
            value = phrase(value, "ui_table_", lang)
        elif field == "column":
            value = column_label(str(value), lang)
        where.append(f"{t(f'ui_col_{field}', lang).lower()} {value}")
    detail = message_text(problem.message, lang)
    if problem.expected is not None:
        detail += f"; {t('ui_col_expected', lang).lower()} " + (
            message_text(problem.expected, lang, "expected_"))
    if problem.found is not None:
        detail += f", {t('ui_col_found', lang).lower()} {_found_text(problem.found, lang)}"
    return f"{', '.join(where)}: {detail}" if where else detail


def problem_frame(problems, lang: str):
    """Problems as a table in ``lang`` (columns as :meth:`ValidationError.table`): the
    message, expected value, table and column in words; file, row and found as they are.

    >>> from implementere_kit.errors import Problem
    >>> problem_frame([Problem("not a date", row=2, column="date", expected="a date")],
    ...               "nb")[["column", "expected", "message"]].iloc[0].tolist()
    ['Dato', 'en dato', 'Ikke en dato']
    """
    import pandas as pd

    def kept(value, how):
        return value if value is None or value == "" else how(value)

    rows = [{"file": p.file, "resource": kept(p.resource, lambda v: phrase(v, "ui_table_", lang)),
             "row": p.row, "column": kept(p.column, lambda v: column_label(str(v), lang)),
             "expected": kept(p.expected, lambda v: message_text(v, lang, "expected_")),
             "found": kept(p.found, lambda v: _found_text(v, lang)),
             "message": message_text(p.message, lang)} for p in problems]
    return pd.DataFrame(rows, columns=["file", "resource", "row", "column", "expected", "found",
                                       "message"])


def lang_from_environment(default: str = "en") -> str:
    """The language of the user's locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``): ``da`` for
    Danish, ``nb`` for Norwegian (bokmål or nynorsk), else ``default``."""
    import os

    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").lower()
        if value and value not in ("c", "posix") and not value.startswith("c."):
            if value.startswith("da"):
                return "da"
            if value.startswith(("nb", "no", "nn")):
                return "nb"
            return default
    return default
