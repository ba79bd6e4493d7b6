"""Input checks shared by :mod:`implementere_kit.measures.fidelity`,
:mod:`implementere_kit.measures.adherence_competence` and the outcomes (private).

Each helper adds :class:`~implementere_kit.errors.Problem` objects to a list the caller owns,
or raises one :class:`~implementere_kit.errors.ValidationError` holding every problem found,
so a caller can report every bad row of every table at once (row counted from 1, column,
expected, found through :func:`~implementere_kit.errors.safe_value`).

Examples
--------
>>> import pandas as pd
>>> problems = []
>>> _bool(pd.Series([True, "yes", None]), "attendance", "attended", problems,
...       missing_ok=False).tolist()
[True, False, False]
>>> [(p.row, p.message) for p in problems]
[(2, 'wrong type'), (3, 'required value missing')]
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError
from ..store.tables import row_problems, validate_table

if TYPE_CHECKING:
    from ..plans.intervention import DosageRule


def _rows(problems, mask, resource, column, message, expected, values) -> None:
    """One Problem per offending row (1-based), capped like tables.validate_table."""
    problems += row_problems(mask, values, message=message, column=column, expected=expected,
                             resource=resource)


def _checked_frame(df, resource: str,
                   required: Sequence[str]) -> tuple[pd.DataFrame, list[Problem]]:
    if not isinstance(df, pd.DataFrame):
        raise ValidationError([Problem(f"{resource} must be a DataFrame", resource=resource,
                                       found=type(df).__name__)])
    found = ", ".join(map(str, df.columns)) or "no columns"
    return df.reset_index(drop=True), [
        Problem("required column missing", resource=resource, column=c,
                expected="columns " + ", ".join(required), found=found)
        for c in required if c not in df.columns]


def _check_rule(rule) -> None:
    """The dosage rule, the second argument of every function that judges a dose."""
    from ..plans.intervention import DosageRule

    if not isinstance(rule, DosageRule):
        raise ValidationError([Problem("rule must be a DosageRule", column="rule",
                                       expected="a DosageRule, e.g. intervention.dosage",
                                       found=type(rule).__name__)])


def _check_by(by, allowed: Sequence[str], resource: str) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    bad = [b for b in by if b not in allowed]
    if bad:
        raise ValidationError([Problem("cannot group by this", resource=resource, column=b,
                                       expected="one of " + ", ".join(allowed)) for b in bad])
    return by


def _bool(s: pd.Series, resource, column, problems, *, missing_ok: bool) -> np.ndarray:
    """Values of a true/false column as a NumPy bool array; text such as 'yes' is refused."""
    if s.dtype == bool:
        return s.to_numpy()
    na = s.isna().to_numpy()
    if isinstance(s.dtype, pd.BooleanDtype) or (
            s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) == "boolean"):
        is_bool = ~na
    else:  # an unusual dtype: find the rows that hold something other than True/False
        is_bool = s.map(type).isin([bool, np.bool_]).to_numpy()
        _rows(problems, ~is_bool & ~na, resource, column, "wrong type",
              "true or false (parse text with validate_table(df, 'attendance') first)", s)
    if not missing_ok:
        _rows(problems, na, resource, column, "required value missing", "true or false", s)
    return s.where(is_bool, False).astype(bool).to_numpy()


def _session_numbers(s: pd.Series, max_no: int, problems) -> np.ndarray:
    expected = f"a whole number 1–{max_no}"
    if pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans:
        arr = s.to_numpy(dtype=np.int64)
        if len(arr) and (arr.min() < 1 or arr.max() > max_no):  # fast path: one pass each
            _rows(problems, (arr < 1) | (arr > max_no), "attendance", "session_no",
                  "session outside the course", expected, s)
        return arr
    num = s if pd.api.types.is_numeric_dtype(s.dtype) and s.dtype != bool \
        else pd.to_numeric(s.where(~s.map(type).isin([bool, np.bool_])), errors="coerce")
    f = num.to_numpy(dtype="float64", na_value=np.nan)
    na = s.isna().to_numpy()
    _rows(problems, na, "attendance", "session_no", "required value missing", expected, s)
    with np.errstate(invalid="ignore"):
        bad = ~na & (np.isnan(f) | (f != np.round(f)) | (f < 1) | (f > max_no))
    _rows(problems, bad, "attendance", "session_no", "session outside the course", expected, s)
    return np.where(np.isnan(f), 0, f).astype(np.int64)


def _participants(df, *, need_enrolled: bool = False) -> pd.DataFrame:
    """The participants table checked against its schema, typed; ``enrolled`` may be
    absent unless the caller groups by enrolment month."""
    return _table(df, "participants", optional=() if need_enrolled else ("enrolled",))


def _table(df, name: str, *, optional: Sequence[str] = ()) -> pd.DataFrame:
    """A table checked against its schema by the store's one engine, typed."""
    return validate_table(df, name, optional=optional)


def _collect(*steps):
    """Run validating steps, raising one error with every problem any of them found."""
    problems, results = [], []
    for step in steps:
        try:
            results.append(step())
        except ValidationError as exc:
            problems += exc.problems
            results.append(None)
    if problems:
        raise ValidationError(list(dict.fromkeys(problems)))  # steps may share a table
    return results


def _month(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m").astype("string")


def _is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and bool(np.isfinite(v))


def _units(df: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Grouping keys for ``by``; ``by=()`` becomes one constant key (one overall row)."""
    return (df, by) if by else (df.assign(_all=0), ["_all"])


# -- attendance input shared by the attendance and dose measures ------------------------------
def _completion_of(rule: DosageRule, completion: str | None) -> str:
    """The completion rule for a bare dosage rule (an intervention's data may say
    otherwise: :func:`~implementere_kit.measures.catalogue.completion_rule`)."""
    from .catalogue import COMPLETION_RULES, completion_rule

    if completion is None:
        return completion_rule(SimpleNamespace(id="dosage", dosage=rule))
    if completion not in COMPLETION_RULES:
        raise ValidationError([Problem("unknown completion rule", column="completion",
                                       expected=" or ".join(COMPLETION_RULES),
                                       found=str(completion)[:40])])
    return completion


def _attendance_input(attendance, rule: DosageRule, participants, *, need_enrolled=False):
    """The attendance (and participants) checked, every problem at once, as engine tables."""
    max_no = max(rule.sessions, rule.max_sessions or 0)
    att, problems = _checked_frame(attendance, "attendance",
                                   ["participant_id", "session_no", "attended"])
    if problems:
        raise ValidationError(problems)
    pid = att["participant_id"]
    blank = pid.isna().to_numpy()
    if pd.api.types.is_string_dtype(pid.dtype):
        blank = blank | (pid == "").fillna(False).to_numpy(dtype=bool)
    _rows(problems, blank, "attendance", "participant_id", "required value missing", "an id", pid)
    sess = _session_numbers(att["session_no"], max_no, problems)
    attended = _bool(att["attended"], "attendance", "attended", problems, missing_ok=False)
    makeup = (_bool(att["makeup"], "attendance", "makeup", problems, missing_ok=True)
              if "makeup" in att.columns else np.zeros(len(att), dtype=bool))
    parts = None
    if participants is not None:
        try:
            parts = _participants(participants, need_enrolled=need_enrolled)
        except ValidationError as exc:  # report the attendance problems too
            problems += exc.problems
    if problems:
        raise ValidationError(problems)
    if parts is not None:
        unknown = ~pid.isin(parts["participant_id"]).to_numpy(dtype=bool)
        if unknown.any():
            _rows(problems, unknown, "attendance", "participant_id",
                  "participant not in the participants table", "an id of participants", pid)
            raise ValidationError(problems)
    ids = pid.astype("string") if isinstance(pid.dtype, pd.CategoricalDtype) else pid
    tables = {"attendance": pd.DataFrame({"participant_id": ids, "session_no": sess,
                                          "attended": attended, "makeup": makeup})}
    if parts is not None:
        tables["participants"] = parts
    return pid, tables, parts
