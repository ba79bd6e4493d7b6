"""Safe reading of package archives: no path tricks, no symlinks, no zip bombs.

A package may come from anyone. Before a single byte is extracted every entry is checked:
absolute paths, ``..`` components, drive letters, symlinks and other special files are
refused, as are archives whose unpacked size or compression ratio exceed the limits
(a zip bomb is a small file that unpacks to something huge). Only regular files are
written, each into a fresh temporary folder.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import Problem, ValidationError

__all__ = ["ArchiveLimits", "safe_extract"]


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits on what an archive may unpack to."""

    max_total_bytes: int = 4 * 1024**3  # 4 GiB
    max_ratio: float = 200.0  # unpacked ÷ packed, per entry and overall
    max_entries: int = 10_000


def _entry_problems(info: zipfile.ZipInfo, file: str, limits: ArchiveLimits) -> list[Problem]:
    name = info.filename
    out = []
    posix = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        out.append(Problem("archive entry has an absolute path", file=file, column=name,
                           expected="a relative path"))
    if ".." in posix.parts:
        out.append(Problem("archive entry climbs out of the package with '..'", file=file,
                           column=name, expected="a path inside the package"))
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        out.append(Problem("archive entry is a symbolic link", file=file, column=name,
                           expected="a regular file"))
    elif mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        out.append(Problem("archive entry is a special file", file=file, column=name,
                           expected="a regular file"))
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        out.append(Problem("archive entry compresses suspiciously well (zip bomb?)", file=file,
                           column=name, expected=f"ratio ≤ {limits.max_ratio:g}",
                           found=f"{info.file_size / info.compress_size:.0f}"))
    return out


def safe_extract(archive: str | Path, dest: str | Path,
                 limits: ArchiveLimits | None = None) -> Path:
    """Check every entry of a zip archive, then extract its regular files into ``dest``.

    Raises
    ------
    ValidationError
        Listing every refused entry; nothing is extracted when any entry is refused.
    """
    limits = limits or ArchiveLimits()
    archive, dest = Path(archive), Path(dest)
    file = archive.name
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError([Problem("not a readable zip archive", file=file,
                                       found=type(exc).__name__)]) from None
    with zf:
        infos = zf.infolist()
        problems = []
        if len(infos) > limits.max_entries:
            problems.append(Problem("too many entries in the archive", file=file,
                                    expected=f"≤ {limits.max_entries}", found=str(len(infos))))
        for info in infos:
            problems += _entry_problems(info, file, limits)
        total = sum(i.file_size for i in infos)
        packed = max(sum(i.compress_size for i in infos), 1)
        if total > limits.max_total_bytes:
            problems.append(Problem("archive unpacks to more than the limit", file=file,
                                    expected=f"≤ {limits.max_total_bytes} bytes",
                                    found=f"{total} bytes"))
        if total / packed > limits.max_ratio:
            problems.append(Problem("archive compresses suspiciously well (zip bomb?)", file=file,
                                    expected=f"ratio ≤ {limits.max_ratio:g}",
                                    found=f"{total / packed:.0f}"))
        if problems:
            raise ValidationError(problems)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        for info in infos:
            if info.is_dir():
                continue
            target = (root / info.filename).resolve()
            if root not in target.parents:  # belt and braces after the checks above
                raise ValidationError([Problem("archive entry escapes the package", file=file,
                                               column=info.filename)])
            target.parent.mkdir(parents=True, exist_ok=True)
            # Copy in chunks and stop at the declared size: a lying header cannot inflate more.
            with zf.open(info) as src, open(target, "wb") as out:
                remaining = info.file_size
                while chunk := src.read(min(1 << 20, remaining + 1)):
                    remaining -= len(chunk)
                    if remaining < 0:
                        raise ValidationError([Problem("archive entry is larger than declared",
                                                       file=file, column=info.filename)])
                    out.write(chunk)
    return dest
