"""Loading the package's own data files (YAML/JSON/CSV) safely.

YAML is read with ``yaml.safe_load`` only: a data file never constructs Python objects.
Each file is parsed once (cached by path and modification time) and every caller gets its
own deep copy, so no caller can change what another one reads.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import Problem, ValidationError

__all__ = ["package_file", "list_data", "load_yaml"]

LANGS = ("nb", "da", "en")
# The language a new project speaks when none is given: its country's (Sweden: English).
LANG_OF_COUNTRY = {"DK": "da", "NO": "nb", "SE": "en"}


def package_file(folder: str, name: str) -> Path:
    """Path of a file shipped inside the package."""
    return Path(str(resources.files("implementere_kit").joinpath(folder, name)))


def list_data(folder: str, suffix: str = ".yaml") -> list[str]:
    """Names (without suffix) of the data files shipped in ``folder``."""
    root = resources.files("implementere_kit").joinpath(folder)
    return sorted(p.name[: -len(suffix)] for p in root.iterdir() if p.name.endswith(suffix))


@lru_cache(maxsize=128)
def _load_yaml_cached(path: str, mtime: float) -> object:
    import yaml

    # libyaml's C loader when present: same safe subset, several times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise ValidationError(
            [Problem("not valid YAML", file=path, row=row, found=str(getattr(exc, "problem", exc)))]
        ) from None


def load_yaml(path: str | Path) -> object:
    """Parse a YAML file with ``safe_load``; a fresh copy for every caller.

    Examples
    --------
    >>> a = load_yaml(package_file("store/schemas", "tables.yaml"))
    >>> a["tables"]["eligible"]["primary_key"].append("changed by this caller")
    >>> load_yaml(package_file("store/schemas", "tables.yaml"))["tables"]["eligible"]["primary_key"]
    ['site', 'period']
    """
    path = Path(path)
    return copy.deepcopy(_load_yaml_cached(str(path), path.stat().st_mtime))
