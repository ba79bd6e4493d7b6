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

__all__ = ["LANGS", "check_lang", "t", "labels"]


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
