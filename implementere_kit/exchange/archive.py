"""Safe reading of package archives and folders: no path tricks, no special files, no bombs.

A package may come from anyone. Before a single byte is extracted every entry of a zip is
checked from the central directory: absolute paths, ``..`` components, sub-folders,
drive letters, duplicate names, symlinks and other special files, encrypted entries,
compression methods other than stored and deflate, entries whose data overlap (a small
zip whose entries all point at the same bytes), and unpacked sizes, counts and
compression ratios over the limits (a zip bomb is a small file that unpacks to something
huge). While extracting, each entry is cut at its declared size and the running total at
the limit, so a lying header cannot inflate more; damaged data (a bad deflate stream, a
wrong CRC) is reported, not raised. A package folder is listed with ``lstat`` only —
a FIFO, socket, device, link or sub-folder is refused without ever being opened.

Examples
--------
>>> import pathlib, tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> folder = pathlib.Path(tmp.name)
>>> _ = (folder / "pkg.zip").write_bytes(b"PK not really a zip")
>>> try:
...     safe_extract(folder / "pkg.zip", folder / "out")
... except ValidationError as err:
...     print(err.problems[0].message)
not a readable zip archive
>>> tmp.cleanup()
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import Problem, ValidationError

__all__ = ["ArchiveLimits", "safe_extract", "list_folder", "read_regular"]

_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_LOCAL_HEADER = 30  # bytes of a zip local file header before its name


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits on what a package may unpack to."""

    max_total_bytes: int = 512 * 1024**2  # 512 MiB unpacked, all files together
    max_ratio: float = 200.0  # unpacked ÷ packed, per entry and overall
    max_entries: int = 1_000
    #: rows per resource, read from Parquet metadata before anything is decoded
    max_rows: int = 5_000_000


def _entry_problems(info: zipfile.ZipInfo, file: str, limits: ArchiveLimits) -> list[Problem]:
    name = info.filename
    out = []
    posix = PurePosixPath(name.replace("\\", "/"))

    def bad(message, expected=None, found=None):
        out.append(Problem(message, file=file, column=name[:120], expected=expected,
                           found=found))

    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        bad("archive entry has an absolute path", "a relative path")
    elif ".." in posix.parts:
        bad("archive entry climbs out of the package with '..'", "a path inside the package")
    elif "/" in name.rstrip("/") or "\\" in name:
        bad("archive entry is in a sub-folder", "package files at the top of the archive")
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    # Only the file-type bits decide: zipfile.writestr stores 0o600 with no type bits (and
    # many tools store 0), which is a regular file.
    if stat.S_ISLNK(mode):
        bad("archive entry is a symbolic link", "a regular file")
    elif kind and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        bad("archive entry is a special file", "a regular file")
    if info.flag_bits & 0x1:
        bad("archive entry is encrypted", "an unencrypted entry")
    if info.compress_type not in _METHODS:
        bad("archive entry uses an unknown compression method", "stored or deflate",
            str(info.compress_type))
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
        bad("archive entry compresses suspiciously well (zip bomb?)",
            f"ratio ≤ {limits.max_ratio:g}", f"{info.file_size / info.compress_size:.0f}")
    return out


def _overlaps(infos: list[zipfile.ZipInfo], archive_size: int, file: str) -> list[Problem]:
    """Entries whose data overlap another's, or that claim more bytes than the file has."""
    spans = sorted((i.header_offset, i.header_offset + _LOCAL_HEADER
                    + len(i.filename.encode("utf-8")) + i.compress_size, i.filename)
                   for i in infos)
    out = []
    for (_, end, name), (nxt, _, _) in zip(spans, spans[1:], strict=False):
        if end > nxt:
            out.append(Problem("archive entries overlap (zip bomb?)", file=file,
                               column=name[:120], expected="entries stored one after another"))
            break
    if sum(i.compress_size for i in infos) > archive_size:
        out.append(Problem("archive entries claim more data than the archive holds", file=file,
                           expected=f"≤ {archive_size} bytes in all"))
    return out


def safe_extract(archive: str | Path, dest: str | Path,
                 limits: ArchiveLimits | None = None) -> Path:
    """Check every entry of a zip archive, then extract its regular files into ``dest``.

    Raises
    ------
    ValidationError
        Listing every refused entry; nothing is extracted when any entry is refused. An
        entry found damaged while extracting is reported the same way (the caller removes
        ``dest``).
    """
    limits = limits or ArchiveLimits()
    archive, dest = Path(archive), Path(dest)
    file = archive.name
    try:
        size = archive.stat().st_size
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValidationError([Problem("not a readable zip archive", file=file,
                                       found=type(exc).__name__)]) from None
    with zf:
        infos = zf.infolist()
        problems = []
        if len(infos) > limits.max_entries:
            raise ValidationError([Problem("too many entries in the archive", file=file,
                                           expected=f"≤ {limits.max_entries}",
                                           found=str(len(infos)))])
        names = [i.filename.rstrip("/").lower() for i in infos]
        for n in sorted({n for n in names if names.count(n) > 1}):
            problems.append(Problem("archive holds two entries of one name", file=file,
                                    column=n[:120], expected="each file once"))
        for info in infos:
            problems += _entry_problems(info, file, limits)
        problems += _overlaps(infos, size, file)
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
        written = 0
        for info in infos:
            if info.is_dir():
                continue
            target = (root / info.filename).resolve()
            if target.parent != root:  # belt and braces after the checks above
                raise ValidationError([Problem("archive entry escapes the package", file=file,
                                               column=info.filename[:120])])
            try:
                written = _copy(zf, info, target, written, limits, file)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
                    NotImplementedError) as exc:
                raise ValidationError([Problem("archive entry is damaged", file=file,
                                               column=info.filename[:120],
                                               found=type(exc).__name__)]) from None
    return dest


def _copy(zf, info, target: Path, written: int, limits: ArchiveLimits, file: str) -> int:
    """Stream one entry to ``target``, never past its declared size or the total limit."""
    with zf.open(info) as src, open(target, "wb") as out:
        remaining = info.file_size
        while chunk := src.read(min(1 << 20, remaining + 1)):
            remaining -= len(chunk)
            written += len(chunk)
            if remaining < 0:
                raise ValidationError([Problem("archive entry is larger than declared",
                                               file=file, column=info.filename[:120])])
            if written > limits.max_total_bytes:
                raise ValidationError([Problem("archive unpacks to more than the limit",
                                               file=file,
                                               expected=f"≤ {limits.max_total_bytes} bytes")])
            out.write(chunk)
    return written


def list_folder(root: Path, limits: ArchiveLimits | None = None) -> list[str]:
    """Names of the regular files at the top of a package folder, checked with ``lstat``.

    Raises
    ------
    ValidationError
        For a link, sub-folder, FIFO, socket or device (none is opened), too many files,
        or more bytes than the limit.
    """
    limits = limits or ArchiveLimits()
    file = root.name
    problems, names, total = [], [], 0
    try:
        entries = list(os.scandir(root))
    except OSError as exc:
        raise ValidationError([Problem("package folder cannot be read", file=file,
                                       found=exc.strerror)]) from None
    if len(entries) > limits.max_entries:
        raise ValidationError([Problem("too many files in the package folder", file=file,
                                       expected=f"≤ {limits.max_entries}",
                                       found=str(len(entries)))])
    for entry in entries:
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            problems.append(Problem("package folder holds a symbolic link", file=file,
                                    column=entry.name[:120], expected="regular files"))
        elif not stat.S_ISREG(st.st_mode):
            what = "a sub-folder" if stat.S_ISDIR(st.st_mode) else "a special file"
            problems.append(Problem(f"package folder holds {what}", file=file,
                                    column=entry.name[:120], expected="regular files"))
        else:
            names.append(entry.name)
            total += st.st_size
    if total > limits.max_total_bytes:
        problems.append(Problem("package folder holds more than the limit", file=file,
                                expected=f"≤ {limits.max_total_bytes} bytes",
                                found=f"{total} bytes"))
    if problems:
        raise ValidationError(problems)
    return sorted(names)


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``.

    Opened without following a link and without blocking, then checked with ``fstat``, so
    a file swapped for a FIFO or a link after it was listed is refused, not waited on.

    Raises
    ------
    ValidationError
        Naming the file: not a regular file, too large, or unreadable.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ValidationError([Problem("file cannot be opened", file=path.name,
                                       found=exc.strerror)]) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValidationError([Problem("not a regular file", file=path.name,
                                           expected="a regular file")])
        if st.st_size > max_bytes:
            raise ValidationError([Problem("file is larger than the limit", file=path.name,
                                           expected=f"≤ {max_bytes} bytes",
                                           found=f"{st.st_size} bytes")])
        # the size fstat gave, plus one byte to notice a file that grew: asking for the
        # limit itself would have the buffer for the limit allocated on every read
        data = fh.read(st.st_size + 1)
    if len(data) > max_bytes:
        raise ValidationError([Problem("file is larger than the limit", file=path.name,
                                       expected=f"≤ {max_bytes} bytes")])
    return data
