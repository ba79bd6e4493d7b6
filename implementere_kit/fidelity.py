"""Fidelity measures: attendance and dose, graduation, drop-out, adherence, competence, reach.

Carroll et al. (2007) make adherence the core of implementation fidelity: whether the
content was delivered as intended (:func:`adherence`), and how much of it reached people —
the dose, i.e. frequency, duration and coverage (:func:`attendance_summary`,
:func:`dosage_summary`). Reach in RE-AIM is the participation rate: participants ÷ the
eligible population (:func:`reach`).

Dose is judged against the intervention's :class:`~implementere_kit.intervention.DosageRule`.
For KEEP as tried in Denmark that is 16 weekly sessions of 1½ hours, up to six foster
families per group and two group leaders; a family graduates at ≥ 80 % attendance with
make-up sessions counting (13 of 16).

The per-participant counts run on integer codes with NumPy (a participant × session
bitmap), never a Python loop over rows, so 10 million attendance rows take seconds.

References
----------
Carroll C, Patterson M, Wood S, Booth A, Rick J, Balain S (2007). A conceptual framework
for implementation fidelity. Implementation Science 2:40.
https://doi.org/10.1186/1748-5908-2-40

Glasgow RE, Vogt TM, Boles SM (1999). Evaluating the public health impact of health
promotion interventions: the RE-AIM framework. Am J Public Health 89:1322–1327. Reach as
participants ÷ eligible: https://re-aim.org/?p=156

Socialstyrelsen, KEEP – om at deltage (16 weeks, 1½ hours a week);
Vidensportal, KEEP (up to six foster families, two course leaders):
https://vidensportal.dk/temaer/plejefamilier/indsatser/keep-2013-keeping-foster-parents-trained-and-supported
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import Problem, ValidationError, safe_value
from .intervention import DosageRule, Intervention
from .tables import MAX_ROWS_LISTED, parse_dates, table_schema, validate_table

__all__ = ["attendance_summary", "dosage_summary", "adherence", "competence_summary", "reach",
           "dropout_by_session", "DURATION_TOLERANCE"]

#: A session "keeps time" when its length is within this share of the planned minutes.
DURATION_TOLERANCE = 0.15
# Above this many participant × session cells the bitmap would cost too much memory, so
# distinct (participant, session) pairs are found by hashing instead.
_BITMAP_CELLS = 50_000_000
_NOT_DROPOUT = ("graduated", "completed")


# -- validation helpers ---------------------------------------------------------------
def _rows(problems, mask, resource, column, message, expected, values) -> None:
    """One Problem per offending row (1-based), capped like tables.validate_table."""
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    for i in idx[:MAX_ROWS_LISTED]:
        problems.append(Problem(message, resource=resource, row=int(i) + 1, column=column,
                                expected=expected, found=safe_value(values.iloc[i])))
    if len(idx) > MAX_ROWS_LISTED:
        problems.append(Problem(f"{message} in {len(idx) - MAX_ROWS_LISTED} more rows",
                                resource=resource, column=column, expected=expected))


def _frame(df, resource: str, required: Sequence[str]) -> tuple[pd.DataFrame, list[Problem]]:
    if not isinstance(df, pd.DataFrame):
        raise ValidationError([Problem(f"{resource} must be a DataFrame", resource=resource,
                                       found=type(df).__name__)])
    found = ", ".join(map(str, df.columns)) or "no columns"
    return df.reset_index(drop=True), [
        Problem("required column missing", resource=resource, column=c,
                expected="columns " + ", ".join(required), found=found)
        for c in required if c not in df.columns]


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
    """Lean check of the participants table (only what fidelity uses), typed copy back."""
    required = ["participant_id", "site"] + (["enrolled"] if need_enrolled else [])
    p, problems = _frame(df, "participants", required)
    if problems:
        raise ValidationError(problems)
    pid = p["participant_id"]
    _rows(problems, pid.isna(), "participants", "participant_id", "required value missing",
          "an id", pid)
    _rows(problems, pid.duplicated() & pid.notna(), "participants", "participant_id",
          "duplicate participant", "unique ids", pid)
    _rows(problems, p["site"].isna(), "participants", "site", "required value missing",
          "a site", p["site"])
    out = pd.DataFrame({"participant_id": pid, "site": p["site"].astype("string"),
                        "group_id": p.get("group_id", pd.Series(pd.NA, index=p.index))
                        .astype("string")})
    for col in ("enrolled", "ended"):
        raw = p.get(col, pd.Series(pd.NaT, index=p.index))
        out[col] = parse_dates(raw)
        _rows(problems, out[col].isna() & raw.notna(), "participants", col, "not a date",
              "YYYY-MM-DD, dd.mm.yyyy or dd-mm-yyyy", raw)
    if need_enrolled:
        _rows(problems, p["enrolled"].isna(), "participants", "enrolled",
              "required value missing", "a date", p["enrolled"])
    reason = p.get("end_reason", pd.Series(pd.NA, index=p.index)).astype("string")
    allowed = table_schema("participants").field("end_reason")["enum"]
    _rows(problems, (reason.notna() & ~reason.isin(allowed)).to_numpy(dtype=bool),
          "participants", "end_reason", "value not allowed", "one of " + ", ".join(allowed),
          reason)
    if problems:
        raise ValidationError(problems)
    out["end_reason"] = reason
    return out


def _month(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m").astype("string")


def _grouped(df: pd.DataFrame, by: list[str]):
    """groupby that keeps missing keys and copes with ``by=()`` (one overall row)."""
    if by:
        return df.groupby(by, dropna=False, sort=True)
    return df.groupby(np.zeros(len(df), dtype=int))


def _finish(agg: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return agg.reset_index() if by else agg.reset_index(drop=True)


# -- attendance and dose -----------------------------------------------------------------
def _distinct_cells(codes, sess, mask, n_cells: int, width: int) -> np.ndarray:
    """Sorted distinct ``code * width + session`` cells among rows in ``mask``."""
    cells = codes[mask] * width + sess[mask]
    if n_cells <= _BITMAP_CELLS:
        seen = np.zeros(n_cells, dtype=bool)
        seen[cells] = True
        return np.flatnonzero(seen)
    return np.sort(pd.unique(cells))


def attendance_summary(attendance: pd.DataFrame, rule: DosageRule,
                       participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """Sessions attended, graduation and drop-out per participant.

    Parameters
    ----------
    attendance : DataFrame
        Table ``attendance``: ``participant_id``, ``session_no``, ``attended`` (bool) and
        optionally ``makeup`` (bool; a make-up row counts for the session it replaces).
    rule : DosageRule
        Planned sessions, minimum attendance and whether make-ups count.
    participants : DataFrame, optional
        Table ``participants``. When given, every participant gets a row (0 sessions if
        they have no attendance rows) and site, group and drop-out columns are added.

    Returns
    -------
    DataFrame
        One row per participant, sorted by id: ``participant_id``, ``n_attended`` (distinct
        sessions attended; make-ups only if ``rule.makeups_count``), ``n_makeup`` (distinct
        sessions made up), ``attendance_rate`` (n_attended ÷ rule.sessions, at most 1),
        ``graduated`` (n_attended ≥ rule.sessions_to_graduate) and ``last_session``
        (highest session attended, regular or make-up: how far the family got; 0 if
        none). With ``participants`` also ``site``, ``group_id``, ``end_reason``,
        ``dropped_out`` (end_reason ``dropped_out``, or ended for another reason than
        graduated/completed without reaching graduation) and ``dropout_session`` (the
        last session attended by a drop-out).

    Raises
    ------
    ValidationError
        Listing every missing column, session number outside 1..rule.sessions (or
        ``max_sessions``), non-boolean ``attended``/``makeup`` value, and attendance row
        whose participant is not in ``participants``.

    Examples
    --------
    >>> import pandas as pd
    >>> from implementere_kit.intervention import DosageRule
    >>> keep = DosageRule(sessions=16, min_attendance=0.8, makeups_count=True)
    >>> att = pd.DataFrame({"participant_id": "f1", "session_no": list(range(1, 14)),
    ...                     "attended": True, "makeup": [False] * 12 + [True]})
    >>> s = attendance_summary(att, keep)
    >>> s.loc[0, ["n_attended", "n_makeup", "attendance_rate", "graduated"]].tolist()
    [13, 1, 0.8125, True]
    """
    max_no = max(rule.sessions, rule.max_sessions or 0)
    att, problems = _frame(attendance, "attendance", ["participant_id", "session_no", "attended"])
    if problems:
        raise ValidationError(problems)
    pid = att["participant_id"]
    blank = pid.isna().to_numpy()
    if pd.api.types.is_string_dtype(pid.dtype):
        blank |= (pid == "").fillna(False).to_numpy(dtype=bool)
    _rows(problems, blank, "attendance", "participant_id", "required value missing", "an id", pid)
    sess = _session_numbers(att["session_no"], max_no, problems)
    attended = _bool(att["attended"], "attendance", "attended", problems, missing_ok=False)
    makeup = (_bool(att["makeup"], "attendance", "makeup", problems, missing_ok=True)
              if "makeup" in att.columns else np.zeros(len(att), dtype=bool))
    parts = _participants(participants) if participants is not None else None
    # Factorise the attendance ids once; with participants only their few distinct values
    # are looked up, not all rows.
    codes, uniq = pd.factorize(pid, sort=parts is None)
    if parts is not None:
        pos = pd.Index(parts["participant_id"]).get_indexer(pd.Index(uniq))
        codes = np.where(codes >= 0, pos[codes], -1)
        _rows(problems, (codes < 0) & ~blank, "attendance", "participant_id",
              "participant not in the participants table", "an id of participants", pid)
        ids = parts["participant_id"].to_numpy()
    else:
        ids = np.asarray(uniq)
    if problems:
        raise ValidationError(problems)
    n, width = len(ids), max_no + 1
    codes = codes.astype(np.int64)
    regular, made_up = attended & ~makeup, attended & makeup
    present = _distinct_cells(codes, sess, attended, n * width, width)
    counted = present if rule.makeups_count else _distinct_cells(codes, sess, regular,
                                                                n * width, width)
    n_attended = np.bincount(counted // width, minlength=n)
    n_makeup = np.bincount(_distinct_cells(codes, sess, made_up, n * width, width) // width,
                           minlength=n)
    # Cells are sorted, so the last cell of each participant holds their highest session.
    last = np.zeros(n, dtype=np.int64)
    owner = present // width
    ends = np.flatnonzero(np.append(owner[1:] != owner[:-1], True)) if len(owner) else owner
    last[owner[ends]] = present[ends] % width
    out = pd.DataFrame({"participant_id": ids, "n_attended": n_attended, "n_makeup": n_makeup,
                        "attendance_rate": np.minimum(n_attended / rule.sessions, 1.0),
                        "graduated": n_attended >= rule.sessions_to_graduate,
                        "last_session": last})
    if parts is None:
        return out
    out.insert(1, "site", parts["site"].to_numpy())
    out.insert(2, "group_id", parts["group_id"].to_numpy())
    reason = parts["end_reason"]
    ended = (parts["ended"].notna() | reason.notna()).to_numpy()
    other = ~reason.isin(_NOT_DROPOUT).fillna(False).to_numpy(dtype=bool)
    dropped = (reason == "dropped_out").fillna(False).to_numpy(dtype=bool) \
        | (ended & other & ~out["graduated"].to_numpy())
    out["end_reason"] = reason.to_numpy()
    out["dropped_out"] = dropped
    out["dropout_session"] = pd.array(np.where(dropped, last, 0), dtype="Int64")
    out.loc[~dropped, "dropout_session"] = pd.NA
    return out.sort_values("participant_id", kind="stable").reset_index(drop=True)
