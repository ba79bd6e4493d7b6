"""Loading the package's own data files (YAML/JSON/CSV) safely.

YAML is read with ``yaml.safe_load`` only: a data file never constructs Python objects.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import Problem, ValidationError

__all__ = ["package_file", "list_data", "load_yaml"]

LANGS = ("nb", "da", "en")


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
    """Parse a YAML file with ``safe_load`` (cached by path and modification time)."""
    path = Path(path)
    return _load_yaml_cached(str(path), path.stat().st_mtime)


def labels_from(entry: dict, key: str = "label", *, file: str | None = None) -> dict[str, str]:
    """Return ``{lang: text}`` from an entry's ``label`` mapping, checking all languages exist."""
    raw = entry.get(key)
    if isinstance(raw, str):
        return dict.fromkeys(LANGS, raw)
    if not isinstance(raw, dict):
        raise ValidationError(
            [Problem(f"missing '{key}'", file=file, column=str(entry.get("id", "?")),
                     expected="a mapping nb/da/en → text", found=type(raw).__name__)]
        )
    missing = [lang for lang in LANGS if not raw.get(lang)]
    if missing:
        raise ValidationError(
            [Problem(f"'{key}' lacks languages {missing}", file=file,
                     column=str(entry.get("id", "?")), expected="nb, da and en")]
        )
    return {lang: str(raw[lang]) for lang in LANGS}
