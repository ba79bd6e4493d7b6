"""A text column as its distinct values and one code per row, computed once (private).

Every check of text — a required value, an enum, the allow-list's forms, the identifier
scanner, a foreign key, the site — asks a question of each *distinct* value, and looks at
rows only when some value fails. :class:`Text` gives those values for a column however it
arrives: dense (``string``, ``large_string``) or dictionary-encoded (as the Parquet reader
gives it with ``read_dictionary``), in one chunk or several with dictionaries of their own.
A dictionary is never decoded to dense strings, and it is not trusted either:

- only the entries some row references count (an unreferenced entry is no value of the
  table, so a dense and a dictionary copy of one table give the same values);
- two entries of one value are one value (so a key is still a key);
- a row pointing at a null entry is a missing row, as it is in the dense copy;
- the index type (signed or unsigned, 8 to 64 bits) does not matter, nor whether the
  values are ``string`` or ``large_string``.

:func:`text_of` keeps a table's :class:`Text` per column for as long as the table lives,
so the checks of one table — in whichever module they are — share the work.
"""

from __future__ import annotations

import weakref

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Text", "is_text", "text_of", "blank_text", "byte_lengths"]


def is_text(t: pa.DataType) -> bool:
    """Whether ``t`` holds text: string, large_string, or a dictionary of either."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def byte_lengths(values: pa.Array) -> np.ndarray:
    """The length in bytes of each value of a string or large_string array (read from its
    offsets, no kernel call)."""
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    if not pa.types.is_string(values.type) and width is np.int32:
        raise TypeError(f"text expected, not {values.type}")
    offsets = values.buffers()[1]
    if offsets is None:  # an empty array may have none
        return np.zeros(len(values), dtype=np.int64)
    return np.diff(np.frombuffer(offsets, width)[values.offset:values.offset + len(values) + 1])


def blank_text(values: pa.Array) -> np.ndarray:
    """True for the empty and the all-whitespace string (the one rule of a blank text;
    a missing value is left to the caller: it may come out either way)."""
    space = pc.utf8_is_space(values)
    if space.null_count:
        space = pc.fill_null(space, False)
    return (byte_lengths(values) == 0) | space.to_numpy(zero_copy_only=False)


class Text:
    """The distinct values of a text column and, lazily, a code per row.

    Attributes
    ----------
    values : pyarrow.Array
        The distinct non-missing values rows hold (``string`` or ``large_string``, as
        the column's values are; no nulls).
    nulls : int
        Rows whose value is missing.
    """

    def __init__(self, col: pa.ChunkedArray | pa.Array):
        if isinstance(col, pa.Array):
            col = pa.chunked_array([col], col.type)
        self.n = len(col)
        self._codes = self._counts = None
        if pa.types.is_dictionary(col.type):
            self._from_dictionaries(col)
        else:
            arr = col.chunk(0) if col.num_chunks == 1 else pa.concat_arrays(col.chunks) \
                if col.num_chunks else pa.array([], col.type)
            enc = pc.dictionary_encode(arr)  # nulls stay in the indices, not the values
            self.values = enc.dictionary
            self._indices = enc.indices
            self.nulls = arr.null_count

    def _from_dictionaries(self, col: pa.ChunkedArray) -> None:
        chunks = col.chunks
        entries = chunks[0].dictionary if len(chunks) == 1 else pa.concat_arrays(
            [c.dictionary for c in chunks]) if chunks else pa.array([], col.type.value_type)
        sentinel = len(entries)  # a missing index points past every entry
        parts, offset = [], 0
        for c in chunks:
            idx = c.indices
            if idx.null_count:
                idx = pc.fill_null(idx.cast(pa.int64()), sentinel - offset)
            parts.append(idx.to_numpy().astype(np.int64, copy=False) + offset)
            offset += len(c.dictionary)
        rows = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts \
            else np.empty(0, np.int64)
        per_entry = np.bincount(rows, minlength=sentinel + 1)
        self._rows, self._per_entry = rows, per_entry
        clean = not entries.null_count and per_entry[:-1].all()
        enc = pc.dictionary_encode(entries) if sentinel > 1 or not clean else None
        if clean and (enc is None or len(enc.dictionary) == sentinel):
            # the usual dictionary, each value once and used: nothing to fix
            self.values = entries
            self._entry_code = np.append(np.arange(sentinel, dtype=np.int64), -1)
            self.nulls = int(per_entry[-1])
            return
        unique = pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64, copy=False)
        valid = unique >= 0
        used = np.zeros(len(enc.dictionary), dtype=bool)  # only the values rows reference
        used[unique[valid & (per_entry[:-1] > 0)]] = True
        renumber = np.cumsum(used) - 1
        entry_code = np.full(sentinel + 1, -1, dtype=np.int64)
        entry_code[:-1][valid] = np.where(used[unique[valid]], renumber[unique[valid]], -1)
        self.values = enc.dictionary.filter(pa.array(used))
        self._entry_code = entry_code
        self.nulls = int(per_entry[-1] + per_entry[:-1][~valid].sum())

    def codes(self) -> np.ndarray:
        """Per row, the position of its value in :attr:`values` (-1: missing)."""
        if self._codes is None:
            if hasattr(self, "_rows"):
                self._codes = self._entry_code[self._rows]
            else:
                idx = self._indices
                if idx.null_count:
                    idx = pc.fill_null(idx, -1)
                self._codes = idx.to_numpy().astype(np.int64, copy=False)
        return self._codes

    def counts(self) -> np.ndarray:
        """How many rows hold each of :attr:`values`."""
        if self._counts is None:
            if hasattr(self, "_rows"):
                ok = self._entry_code[:-1] >= 0
                self._counts = np.bincount(self._entry_code[:-1][ok],
                                           weights=self._per_entry[:-1][ok],
                                           minlength=len(self.values)).astype(np.int64)
            else:
                codes = self.codes()
                self._counts = np.bincount(codes[codes >= 0], minlength=len(self.values))
        return self._counts

    def rows(self, bad, *, missing: bool = False) -> np.ndarray:
        """True for each row whose value is ``bad`` (a mask over :attr:`values`), and for
        the missing rows when ``missing``."""
        bad = np.asarray(bad.to_numpy(zero_copy_only=False) if hasattr(bad, "to_numpy")
                         and not isinstance(bad, np.ndarray) else bad, dtype=bool)
        return np.append(bad, missing)[self.codes()]

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        """The value of row ``i`` (None when missing), as a problem shows it."""
        code = int(self.codes()[int(i)])
        return None if code < 0 else self.values[code].as_py()


_TABLES: dict[int, tuple[weakref.ref, dict]] = {}


def text_of(table: pa.Table, column: str) -> Text | None:
    """The :class:`Text` of ``table[column]`` (None when it is not text), made once per
    live table: an Arrow table is immutable, so what is known of it stays true."""
    key = id(table)
    entry = _TABLES.get(key)
    if entry is None or entry[0]() is not table:
        entry = (weakref.ref(table, lambda _, key=key: _TABLES.pop(key, None)), {})
        _TABLES[key] = entry
    known = entry[1]
    if column not in known:
        col = table.column(column)
        known[column] = Text(col) if is_text(col.type) else None
    return known[column]
