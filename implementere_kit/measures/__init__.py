"""Measures: the catalogue (``measures.yaml``) and its one implementation per measure
(:mod:`.engine`), fidelity, dose, adherence, competence, reach, survey instruments,
reliability and agreement, implementation outcomes. Instrument definitions live as YAML
in ``instrument_data/``.

:func:`site_measures` gives a project's measures as a report or a dashboard shows them;
:func:`measure` and :func:`measures` the catalogue's definitions.
"""

from __future__ import annotations

import importlib

_LAZY = {"site_measures": "summary", "measure": "catalogue", "measures": "catalogue",
         "measure_ids": "catalogue"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'implementere_kit.measures' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
