"""Keyed pseudonyms: person ids replaced by HMAC-SHA256 codes that only the site can link.

The key is the project's ``.secret.key`` and never leaves the project folder, so the same
person gets the same pseudonym in every export from that site, and nobody without the key
can trace a pseudonym back — not even by hashing every possible fødselsnummer.

References
----------
Krawczyk H, Bellare M, Canetti R (1997). HMAC: Keyed-Hashing for Message Authentication.
RFC 2104.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

from ..errors import ImplementereError, Problem, ValidationError

__all__ = ["pseudonymise", "project_key", "HEX_PATTERN", "shaped_as_pseudonyms"]

_MIN_KEY_BYTES = 16
_HEX_CHARS = 16  # 64 bits: see pseudonymise for the collision probability; 8 bytes a word
#: The 16 hex digits of a pseudonym (RE2 syntax, no anchors), with at least one of a–f:
#: sixteen decimal digits could be a fødselsnummer or CPR number with digits added, dressed
#: as a pseudonym, so none is ever made (see :func:`_digest`) and none is accepted.
HEX_PATTERN = "(?:" + "|".join(f"[0-9]{{{i}}}[a-f][0-9a-f]{{{_HEX_CHARS - 1 - i}}}"
                               for i in range(_HEX_CHARS)) + ")"
_LETTERS = "abcdefabcd"
# Each byte's class for the test below: 1 a digit, 2 a letter a-f, 0 anything else.
_CLASS = np.zeros(256, dtype=np.uint8)
_CLASS[np.frombuffer(b"0123456789", np.uint8)] = 1
_CLASS[np.frombuffer(b"abcdef", np.uint8)] = 2
_ONES, _HIGH, _TWOS = (np.uint64(int.from_bytes(bytes([b]) * 8, "little"))
                       for b in (0x01, 0x80, 0x02))


def _hex_items(classes: np.ndarray) -> np.ndarray:
    """Row-wise: every byte a hex digit and at least one a letter, for a (rows, 16)
    matrix of byte classes, tested eight bytes at a time."""
    if classes.shape[1] % 8:
        return (classes > 0).all(axis=1) & (classes == 2).any(axis=1)
    words = np.ascontiguousarray(classes).view(np.uint64)
    every, letter = np.ones(len(words), dtype=bool), np.zeros(len(words), dtype=bool)
    for j in range(words.shape[1]):
        w = words[:, j]
        every &= ((w - _ONES) & ~w & _HIGH) == 0  # no byte of class 0
        letter |= (w & _TWOS) != 0
    return every & letter


def shaped_as_pseudonyms(values, prefix: str = "p_", sep: str | None = None) -> np.ndarray:
    """For each text value, whether it is ``prefix`` + :data:`HEX_PATTERN` (with ``sep``:
    one or more of those joined by ``sep``), tested on the bytes in a few NumPy passes.

    The same test as the regular expression ``^prefix HEX_PATTERN (sep prefix
    HEX_PATTERN)*$`` (the tests hold the two equal on random and near-miss text), without
    compiling it, which costs RE2 more than testing thousands of values: the callers still
    ask the regular expression about any value this does not accept, so it decides.

    Examples
    --------
    >>> import pyarrow as pa
    >>> shaped_as_pseudonyms(pa.array(["p_0123456789abcdef", "p_0123456789012345", "p_x"]))
    array([ True, False, False])
    >>> shaped_as_pseudonyms(pa.array(["p_00000000000000aa;p_a000000000000000"]), sep=";")
    array([ True])
    """
    import pyarrow as pa

    if pa.types.is_string(values.type):
        width = np.int32
    elif pa.types.is_large_string(values.type):
        width = np.int64
    else:
        raise TypeError(f"text expected, not {values.type}")
    n = len(values)
    out = np.zeros(n, dtype=bool)
    _, offs_buf, data_buf = values.buffers()
    if n == 0 or data_buf is None:
        return out
    offs = np.frombuffer(offs_buf, width)[values.offset:values.offset + n + 1].astype(np.int64)
    base = int(offs[0])
    data = np.frombuffer(data_buf, np.uint8, count=int(offs[-1]) - base, offset=base)
    lengths = np.diff(offs)
    plen, unit = len(prefix), len(prefix) + _HEX_CHARS
    step = unit + 1  # one item and its separator
    template = np.frombuffer((prefix + "0" * _HEX_CHARS + (sep or "\0")).encode(), np.uint8)
    if len(template) != step:  # a separator or prefix of several bytes: not this test
        return out
    fits = lengths == unit if sep is None else (lengths >= unit) & ((lengths + 1) % step == 0)
    if values.null_count:
        fits &= values.is_valid().to_numpy(zero_copy_only=False)
    sizes = lengths[fits]
    if not len(sizes):
        return out
    for length in ([sizes[0]] if sizes.min() == sizes.max() else np.unique(sizes)):
        # one matrix of bytes per length (there are few)
        rows = np.flatnonzero(fits & (lengths == length))
        if len(rows) == n:  # all of one length: the bytes are the matrix already
            mat = data.reshape(n, length)
        else:
            mat = data[(offs[rows] - base)[:, None] + np.arange(length)]
        k = (length + 1) // step
        if k > 1:  # a separator after the last item too, so every item is one row
            mat = np.concatenate([mat, np.full((len(rows), 1), template[unit])], axis=1)
        items = mat.reshape(len(rows) * k, -1)
        good = _hex_items(_CLASS.take(items[:, plen:unit]))
        for j in range(plen):
            good &= items[:, j] == template[j]
        if k > 1:
            good &= items[:, unit] == template[unit]
        out[rows] = good.reshape(len(rows), k).all(axis=1)
    return out


def project_key(key: bytes, site: str, intervention: str) -> bytes:
    """The key one project's pseudonyms are made with: the folder's secret ``key`` bound to
    its ``site`` and ``intervention``.

    A project folder copied to start another project carries the same key file; bound to
    the intervention and site, the two still give one family two unrelated pseudonyms, so
    the network cannot link them (domain separation, NIST SP 800-108).

    Examples
    --------
    >>> k = b"0123456789abcdef" * 2
    >>> project_key(k, "903", "keep") == project_key(k, "903", "keep")
    True
    >>> project_key(k, "903", "keep") == project_key(k, "903", "fft")
    False
    """
    label = f"implementere-kit pseudonyms v1\x1f{site}\x1f{intervention}"
    return hmac.new(bytes(key), label.encode("utf-8"), hashlib.sha256).digest()


def _digest(key: bytes, text: str) -> str:
    """The first 16 hex digits of HMAC-SHA256(key, text), never all decimal (about one
    in 1,900 are: their first digit becomes a letter, the same one every time)."""
    d = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:_HEX_CHARS]
    return _LETTERS[int(d[0])] + d[1:] if d.isdigit() else d


def _canonical(v) -> str:
    """One text per id, so 17, 17.0 and "17" (one person in three tables) match."""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_):
        return str(int(v))
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def pseudonymise(values: pd.Series, key: bytes, *, prefix: str = "p_") -> pd.Series:
    """Replace each value by a keyed HMAC-SHA256 pseudonym; missing values stay missing.

    The pseudonym is ``prefix`` + the first 16 hex digits (64 bits) of
    HMAC-SHA256(key, value as UTF-8 text), at least one of them a letter
    (:data:`HEX_PATTERN`). The same value and key always give the same
    pseudonym, so ids still join across tables and exports; without the key (which never
    leaves the project) a pseudonym cannot be traced back, not even by hashing candidate
    fødselsnummer. Values are compared as stripped text, ints and whole floats by their
    digits. With n distinct values two collide with probability about n² / 2**65
    (2.7e-8 for a million); a collision is checked for and raises rather than merging two
    people.

    Examples
    --------
    >>> p = pseudonymise(pd.Series(["F-17", None, "F-17", "F-18"]), b"0123456789abcdef")
    >>> p[0] == p[2], p[0] != p[3], p.isna().tolist(), p[0].startswith("p_"), len(p[0])
    (True, True, [False, True, False, False], True, 18)
    """
    problems = []
    if not isinstance(values, pd.Series):
        problems.append(Problem("values to pseudonymise must be a Series", column="values",
                                expected="pandas Series", found=type(values).__name__))
    if not isinstance(key, bytes | bytearray) or len(key) < _MIN_KEY_BYTES:
        # the key is secret: report its type or length, never its content
        found = f"{len(key)} bytes" if isinstance(key, bytes | bytearray) else type(key).__name__
        problems.append(Problem("the pseudonym key must be bytes and long enough", column="key",
                                expected=f"at least {_MIN_KEY_BYTES} bytes", found=found))
    if not isinstance(prefix, str):
        problems.append(Problem("prefix must be text", column="prefix", expected="str",
                                found=type(prefix).__name__))
    if problems:
        raise ValidationError(problems)
    obj = values.astype(object)
    codes, uniq = pd.factorize(obj, use_na_sentinel=True)
    canon = [_canonical(v) for v in uniq]
    key = bytes(key)
    digests = {c: _digest(key, c) for c in canon}
    if len(set(digests.values())) < len(digests):
        raise ImplementereError(
            "two different ids got the same pseudonym (a 64-bit collision, about once in "
            "10**19 pairs); please report this, and pseudonymise with a new key")
    pseudo = np.array([prefix + digests[c] for c in canon], dtype=object)
    out = obj.to_numpy(copy=True)
    seen = codes >= 0
    out[seen] = pseudo[codes[seen]]
    return pd.Series(out, index=values.index, name=values.name, dtype=object)
