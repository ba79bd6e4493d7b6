"""Official municipality codes and names of Denmark and Norway (``municipalities.csv``).

A package's descriptor names its site only through this list: the code the project was
created with and the official name the list gives it, never a name someone typed (a typed
name can carry anything, an e-mail address or a fødselsnummer included).

Columns: ``country`` (``DK``/``NO``), ``code`` (text, leading zeros kept: ``0301``),
``name`` (the official name, bilingual where the classification gives it so),
``valid_from`` and ``valid_to`` (ISO dates; blank when the source does not state them),
``synthetic`` (the example network's fictional sites, DK 901-905 and NO 9901-9904, codes
no real municipality uses) and ``source``.

Sources: Danmarks Statistik's municipality codes as introduced by the 2007 municipal
reform (98 municipalities; Christiansø, 411, is not a municipality and is left out);
Statistics Norway's classification 131 (Standard for kommuneinndeling) as of 1 January
2026 (357 municipalities; 9999 "Uoppgitt" left out).

Examples
--------
>>> municipality_name("DK", "461"), municipality_name("NO", "0301")
('Odense', 'Oslo - Oslove')
>>> municipality_name("NO", "9901"), municipality_name("DK", "999") is None
('Fjordheim', True)
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["municipalities", "municipality_name"]


@lru_cache(maxsize=1)
def _table():
    import pandas as pd

    from .._data import package_file

    df = pd.read_csv(package_file("store", "municipalities.csv"), dtype=str,
                     keep_default_na=False, encoding="utf-8")
    df["synthetic"] = df["synthetic"].eq("true")
    return df


def municipalities(country: str | None = None):
    """The bundled list as a DataFrame (a copy), optionally for one country."""
    df = _table()
    if country is not None:
        df = df[df["country"] == country]
    return df.reset_index(drop=True).copy()


def municipality_name(country: object, code: object) -> str | None:
    """The official name of municipality ``code`` in ``country``, or ``None`` if not listed.

    Only exact text matches count (``"0301"``, not ``301``): codes are text with their
    leading zeros.
    """
    if not isinstance(country, str) or not isinstance(code, str):
        return None
    return _name(country, code)


@lru_cache(maxsize=1024)
def _name(country: str, code: str) -> str | None:
    df = _table()
    hit = df[(df["country"] == country) & (df["code"] == code)]
    if hit.empty:
        return None
    # a code reused over time: the entry still valid (no valid_to) wins, else the latest
    current = hit[hit["valid_to"] == ""]
    row = (current if len(current) else hit.sort_values("valid_to")).iloc[-1]
    return str(row["name"])
