"""Ratings reshaped for reliability, and reliability per dimension.

:func:`double_rated` and :func:`items_wide` turn long competence ratings into the wide
shapes that :func:`~implementere_kit.measures.reliability.icc`,
:func:`~implementere_kit.measures.reliability.cohen_kappa` and
:func:`~implementere_kit.measures.reliability.cronbach_alpha` take;
:func:`icc_by_dimension` gives one ICC per dimension of a rating form, with the number of
rating occasions behind it.

Why per dimension: the five dimensions of one session are rated by the same two raters at
the same sitting, so a pooled ICC over sessions × dimensions counts each session five
times. Its confidence interval is then too narrow, and a dimension that is rated poorly
hides behind the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import Problem, ValidationError
from ..store.tables import row_problems

__all__ = ["double_rated", "items_wide", "icc_by_dimension"]


def _long_ratings(ratings, columns: Sequence[str], resource: str) -> pd.DataFrame:
    """Check a long ratings table: a DataFrame with the columns and numeric scores."""
    if not isinstance(ratings, pd.DataFrame):
        raise ValidationError([Problem("ratings must be a table", resource=resource,
                                       expected="a pandas DataFrame",
                                       found=type(ratings).__name__)])
    problems = [Problem("column missing", resource=resource, column=c, expected=f"column {c}")
                for c in columns if c not in ratings.columns]
    if problems:
        raise ValidationError(problems)
    return ratings.reset_index(drop=True)


def _numeric_scores(df: pd.DataFrame, score: str, resource: str, problems: list[Problem],
                    only: pd.Series | bool = True) -> pd.Series:
    values = pd.to_numeric(df[score].astype(object), errors="coerce").astype("float64")
    problems += row_problems(values.isna() & df[score].notna() & only, df[score],
                             message="score is not a number", column=score,
                             expected="a number", resource=resource)
    return values


def double_rated(ratings: pd.DataFrame, *,
                 subject: Sequence[str] = ("practitioner_id", "date", "dimension"),
                 rater: str = "rater_id", score: str = "score") -> pd.DataFrame:
    """The subjects rated by two or more raters, one column per rater.

    Parameters
    ----------
    ratings : DataFrame
        Long ratings, e.g. the ``competence_ratings`` table: one row per subject and rater.
    subject : sequence of str
        Columns that identify what was rated (default: a practitioner's dimension on a
        date, so R1 and R2 rating the same session line up).
    rater, score : str
        The rater and score columns.

    Returns
    -------
    DataFrame
        Indexed by ``subject``, one float column per rater (sorted); NaN where a rater did
        not rate a subject that two others did. Ready for
        :func:`~implementere_kit.measures.reliability.icc` or, column by column,
        :func:`~implementere_kit.measures.reliability.cohen_kappa`.

    Raises
    ------
    ValidationError
        Listing every missing column, non-numeric score and second rating of one subject
        by the same rater.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"practitioner_id": ["p1", "p1", "p2"], "date": "2025-01-10",
    ...                   "dimension": "overall", "rater_id": ["R1", "R2", "R1"],
    ...                   "score": [6, 7, 5]})
    >>> double_rated(r).reset_index().values.tolist()
    [['p1', '2025-01-10', 'overall', 6.0, 7.0]]
    """
    keys = list(subject)
    df = _long_ratings(ratings, [*keys, rater, score], "ratings")
    problems: list[Problem] = []
    values = _numeric_scores(df, score, "ratings", problems)
    problems += row_problems(df.duplicated([*keys, rater]), df[rater],
                             message="a second rating of the same subject by the same rater",
                             column=rater, expected="one rating per subject and rater",
                             resource="ratings")
    if problems:
        raise ValidationError(problems)
    wide = df.assign(**{score: values}).pivot(index=keys, columns=rater, values=score)
    wide = wide[wide.notna().sum(axis=1) >= 2]
    wide = wide.reindex(columns=sorted(wide.columns, key=str))
    wide.columns.name = None
    return wide


def items_wide(ratings: pd.DataFrame, rater: str | None = None, *,
               occasion: Sequence[str] = ("practitioner_id", "date"),
               item: str = "dimension", score: str = "score",
               rater_column: str = "rater_id") -> pd.DataFrame:
    """One rater's ratings with one column per item (dimension), one row per occasion.

    The shape :func:`~implementere_kit.measures.reliability.cronbach_alpha` takes: do the
    dimensions of a rating scale hang together?

    Parameters
    ----------
    ratings : DataFrame
        Long ratings, e.g. the ``competence_ratings`` table.
    rater : str, optional
        Keep only this rater's ratings (a double-rated occasion would otherwise count
        twice). By default every row is used.
    occasion : sequence of str
        Columns that identify one completed rating form.
    item, score, rater_column : str
        The item (dimension), score and rater columns.

    Raises
    ------
    ValidationError
        Listing every missing column, non-numeric score and item rated twice on one
        occasion.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"practitioner_id": "p1", "date": ["d1", "d1", "d2", "d2"],
    ...                   "dimension": ["teaching", "overall"] * 2, "rater_id": "R1",
    ...                   "score": [6, 7, 5, 5]})
    >>> items_wide(r, "R1").values.tolist()
    [[7.0, 6.0], [5.0, 5.0]]
    """
    keys = list(occasion)
    needed = [*keys, item, score] + ([rater_column] if rater is not None else [])
    df = _long_ratings(ratings, needed, "ratings")
    # Rows are reported as numbered in the table given, so filter after checking.
    mine = pd.Series(True, index=df.index)
    if rater is not None:
        mine = (df[rater_column] == rater).fillna(False).astype(bool)
    problems: list[Problem] = []
    values = _numeric_scores(df, score, "ratings", problems, only=mine)
    dup = df[mine].duplicated([*keys, item]).reindex(df.index, fill_value=False)
    problems += row_problems(dup, df[item],
                             message="item rated twice on one occasion", column=item,
                             expected="one score per occasion and item"
                             + ("" if rater is not None else "; pass rater= to pick one rater"),
                             resource="ratings")
    if problems:
        raise ValidationError(problems)
    wide = df.assign(**{score: values})[mine].pivot(index=keys, columns=item, values=score)
    wide.columns.name = None
    return wide


def icc_by_dimension(pairs: pd.DataFrame, form: str = "ICC(2,1)", *,
                     dimension: str = "dimension") -> pd.DataFrame:
    """One intraclass correlation per dimension of double-rated scores.

    Parameters
    ----------
    pairs : DataFrame
        The result of :func:`double_rated`: indexed by subject columns that include
        ``dimension``, one column per rater.
    form : str
        The Shrout–Fleiss form (default ICC(2,1): any trained rater, one rating used).
    dimension : str
        The index level that holds the dimension.

    Returns
    -------
    DataFrame
        Indexed by dimension: ``icc``, ``ci_low``, ``ci_high`` (95 %), ``n`` (rating
        occasions rated by every rater), ``criterion``, ``meets_criterion`` (the
        estimate clears it) and ``lower_bound_clears`` (so does the lower end of the
        interval).

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_product([["s1", "s2", "s3", "s4"], ["a", "b"]],
    ...                                  names=["session", "dimension"])
    >>> pairs = pd.DataFrame({"R1": [5, 6, 7, 3, 2, 8, 6, 5], "R2": [5, 7, 7, 2, 3, 8, 6, 4]},
    ...                      index=idx)
    >>> icc_by_dimension(pairs)[["n", "meets_criterion"]]
               n  meets_criterion
    dimension
    a          4             True
    b          4             True
    """
    from ..measures.reliability import icc

    if not isinstance(pairs.index, pd.MultiIndex) or dimension not in pairs.index.names:
        raise ValidationError([Problem("pairs need a dimension level in their index",
                                       resource="pairs", column=dimension,
                                       expected="the result of double_rated()",
                                       found=", ".join(map(str, pairs.index.names)))])
    rows = {}
    for dim, group in pairs.groupby(level=dimension, sort=False):
        table = icc(group.droplevel(dimension))
        r = table.loc[form]
        crit = float(table.attrs["criterion"])
        rows[dim] = {"icc": float(r["icc"]), "ci_low": float(r["ci_low"]),
                     "ci_high": float(r["ci_high"]), "n": int(table.attrs["n"]),
                     "criterion": crit, "meets_criterion": bool(r["icc"] > crit),
                     "lower_bound_clears": bool(r["ci_low"] > crit)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = dimension
    return out
