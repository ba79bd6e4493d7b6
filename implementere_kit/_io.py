"""Atomic file writes, and text cells that a spreadsheet will not run as formulas.

A save writes to a temporary file in the target's folder, flushes it to disk and renames
it over the target. ``os.replace`` is atomic on POSIX and Windows, so a crash mid-save
leaves either the old or the new file, never a torn one. The file ends up with the
permissions any file the user makes would get (``0666`` less the umask), or the mode the
replaced file had — not the private ``0600`` of the temporary file it started as.

Every CSV and xlsx writer of the toolkit passes its text cells through
:func:`text_cells` or :func:`formula_like`, so a municipality name or an activity title
typed as ``=HYPERLINK(…)`` stays text in Excel and LibreOffice.

References
----------
OWASP, "CSV Injection": cells that begin with ``=``, ``+``, ``-``, ``@``, tab or carriage
return are read as formulas; prefix them with a single quote.
https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_json", "atomic_write_parquet",
           "atomic_write_csv", "FORMULA_TRIGGERS", "formula_like", "text_cells", "file_mode"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:  # Linux ≥ 4.7 reports it; reading it this way is safe with threads
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def file_mode(path: str | os.PathLike) -> int:
    """The mode a file written to ``path`` gets: the replaced file's, else ``0666 & ~umask``."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write(path: str | os.PathLike, writer: Callable[[Path], None], *,
                 mode: int | None = None) -> Path:
    """Call ``writer(tmp_path)`` and move the result over ``path`` atomically.

    ``mode`` sets the permissions (e.g. ``0o600`` for a secret); by default the file
    gets those of the file it replaces, or the user's normal ones for a new file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    final_mode = mode if mode is not None else file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, final_mode)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, mode: int | None = None) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data), mode=mode)


def atomic_write_json(path: str | os.PathLike, obj: object) -> Path:
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False, default=str) + "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_parquet(path: str | os.PathLike, df) -> Path:
    """Write a DataFrame as Parquet atomically (index dropped)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    return atomic_write(path, lambda p: pq.write_table(table, p))


def atomic_write_csv(path: str | os.PathLike, df) -> Path:
    """Write a DataFrame as UTF-8 CSV atomically, its text cells made safe (:func:`text_cells`)."""
    return atomic_write_bytes(path, text_cells(df).to_csv(index=False).encode("utf-8"))


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula (see :data:`FORMULA_TRIGGERS`).

    Examples
    --------
    >>> formula_like("=HYPERLINK(\\"http://x\\")"), formula_like("@SUM(A1)"), formula_like("Ålund")
    (True, True, False)
    >>> formula_like(-5)          # a number is a number, not text
    False
    """
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def text_cells(df):
    """A copy of ``df`` whose formula-like text cells start with a single quote (for CSV).

    Only text cells change; numbers, dates and booleans are left as they are, so a
    negative number stays a number.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"title": ["=1+1", "Plan", "@A1"], "n": [-1, 2, 3]})
    >>> text_cells(df).to_dict("list")
    {'title': ["'=1+1", 'Plan', "'@A1"], 'n': [-1, 2, 3]}
    """
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        values = s.tolist()
        if any(formula_like(v) for v in values):
            out[col] = pd.Series([f"'{v}" if formula_like(v) else v for v in values],
                                 index=s.index, dtype=s.dtype)
    # column names are cells of the header row
    names = {c: "'" + c for c in out.columns if formula_like(c)}
    return out.rename(columns=names) if names else out
