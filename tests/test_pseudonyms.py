"""Keyed pseudonyms (HMAC-SHA256, RFC 2104)."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from implementere_kit.errors import ImplementereError, ValidationError
from implementere_kit.exchange import pseudonyms
from implementere_kit.exchange.privacy import pseudonymise

KEY = bytes(range(32))

def test_pseudonyms_are_keyed_hmac():
    s = pd.Series(["F-1", "F-2", "F-1", None, np.nan], index=[5, 5, 6, 7, 8], name="pid")
    p = pseudonymise(s, KEY)
    want = "p_" + hmac.new(KEY, b"F-1", hashlib.sha256).hexdigest()[:16]
    assert p[6] == want and p.iloc[0] == want
    assert p.iloc[1] != want
    assert p.isna().tolist() == [False, False, False, True, True]
    assert p.index.tolist() == s.index.tolist() and p.name == "pid"
    assert pseudonymise(s, KEY).equals(p)  # deterministic
    other = pseudonymise(s, KEY[::-1])
    assert not set(other.dropna()) & set(p.dropna())  # another key, other pseudonyms
    assert pseudonymise(s, KEY, prefix="x")[6] == "x" + want[2:]


def test_pseudonyms_join_across_dtypes():
    a = pseudonymise(pd.Series([17, 18]), KEY)
    b = pseudonymise(pd.Series(["17", " 18"]), KEY)
    c = pseudonymise(pd.Series([17.0, np.nan, 18.0]), KEY)
    d = pseudonymise(pd.Series([17, None], dtype="Int64"), KEY)
    assert a.tolist() == b.tolist() == c.dropna().tolist()
    assert d[0] == a[0] and pd.isna(d[1])


def test_pseudonymise_checks_key_and_collisions(monkeypatch):
    s = pd.Series([f"id{i}" for i in range(40)])
    with pytest.raises(ValidationError) as err:
        pseudonymise(["a"], "secret")
    assert len(err.value.problems) == 2 and "secret" not in str(err.value)
    with pytest.raises(ValidationError, match="5 bytes"):
        pseudonymise(s, b"short")
    # with one hex digit, 40 ids must share pseudonyms: the check must refuse
    monkeypatch.setattr(pseudonyms, "_HEX_CHARS", 1)
    with pytest.raises(ImplementereError, match="same pseudonym"):
        pseudonymise(s, KEY)
