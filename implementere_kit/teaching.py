"""Small helpers for the teaching notebooks (``notebooks/teaching/``).

Each helper reshapes or combines what the domain modules return, so that a notebook cell
stays one call and the logic is tested here rather than living only in a notebook:

- :func:`compare_frameworks` and :func:`place_situations` put the phases of the
  implementere.no model next to those of EPIS, NIRN and Socialstyrelsen's drejebog, using
  :func:`~implementere_kit.plans.frameworks.crosswalk`;
- :func:`makeup_effect` shows who graduates only because make-up sessions count
  (KEEP's rule: ≥ 80 % of 16 sessions, make-ups included);
- :func:`double_rated` and :func:`items_wide` turn long competence ratings into the wide
  shapes that :func:`~implementere_kit.measures.reliability.icc`,
  :func:`~implementere_kit.measures.reliability.cohen_kappa` and
  :func:`~implementere_kit.measures.reliability.cronbach_alpha` take.

References
----------
implementere.no, "Hva må du gjøre" (four phases, nine core elements; builds on EPIS).
https://implementere.no/hva-ma-du-gjore/
Aarons GA, Hurlburt M, Horwitz SM (2011). Advancing a conceptual model of evidence-based
practice implementation in public service sectors. Adm Policy Ment Health 38:4–23.
Fixsen DL, Naoom SF, Blase KA, Friedman RM, Wallace F (2005). Implementation Research: A
Synthesis of the Literature. FMHI Publication #231.
Socialstyrelsen (DK), KEEP – om at deltage (16 weekly sessions; graduation at ≥ 80 %
attendance, make-up sessions counting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import pandas as pd

from .errors import Problem, ValidationError, safe_value
from .plans.intervention import DosageRule
from .store.tables import row_problems

__all__ = ["compare_frameworks", "place_situations", "framework_parts", "makeup_effect",
           "double_rated", "items_wide"]

_OTHERS = ("epis", "nirn", "socialstyrelsen")


def compare_frameworks(base: str = "implementere", others: Sequence[str] = _OTHERS, *,
                       lang: str = "en") -> pd.DataFrame:
    """The phases of ``base`` with the matching phases of each framework in ``others``.

    Parameters
    ----------
    base : str
        The framework whose phases make the rows (default the implementere.no model).
    others : sequence of str
        Frameworks to compare with; one column each, named by the framework id.
    lang : {"nb", "da", "en"}
        Language of the labels.

    Returns
    -------
    DataFrame
        ``phase``, ``label`` and one column per framework in ``others`` holding the labels
        of its matching phases (SIC: stages), joined by ``" / "``. A phase that only partly
        matches (``overlaps`` in the crosswalk) is marked ``(partly)``.

    Examples
    --------
    >>> cmp = compare_frameworks(others=["epis", "nirn"])
    >>> cmp.loc[2, ["phase", "epis", "nirn"]].tolist()
    ['implementere', 'Implementation', 'Initial Implementation (partly) / Full Implementation (partly)']
    """
    from .plans.frameworks import crosswalk, load_framework

    fw = load_framework(base)
    units = fw.stages or fw.phases
    out = pd.DataFrame({"phase": [u.id for u in units], "label": [u.label(lang) for u in units]})
    for other in others:
        cw = crosswalk(base, other, lang=lang)
        text = cw["label_b"].where(cw["relation"] == "equivalent", cw["label_b"] + " (partly)")
        joined = text.groupby(cw["id_a"], sort=False).agg(" / ".join)
        out[other] = out["phase"].map(joined).fillna("")
    return out


def place_situations(answers: Mapping[str, str | None], base: str = "implementere",
                     others: Sequence[str] = _OTHERS, *, lang: str = "en") -> pd.DataFrame:
    """Place described local situations in ``base``'s phases and, through it, in the others.

    Parameters
    ----------
    answers : mapping
        ``{situation: phase id of base}``, e.g. ``{"Contract signed": "planlegge"}``. A
        situation not answered yet (``None`` or ``...``) gets a row with empty columns, so
        an exercise shows what is left to do.
    base, others, lang
        As in :func:`compare_frameworks`.

    Returns
    -------
    DataFrame
        One row per situation, in the given order: ``situation`` and the columns of
        :func:`compare_frameworks`.

    Raises
    ------
    ValidationError
        Listing every answer that is not a phase id of ``base``.

    Examples
    --------
    >>> place_situations({"Leaders are being trained": "planlegge", "Next": None},
    ...                  others=["nirn"])
                       situation      phase label          nirn
    0  Leaders are being trained  planlegge  Plan  Installation
    1                       Next       None   NaN           NaN
    """
    table = compare_frameworks(base, others, lang=lang).astype({"phase": str})
    known = table["phase"].tolist()
    given = [None if v is None or v is Ellipsis else str(v) for v in answers.values()]
    problems = [Problem(f"not a phase of {base}", resource="answers", row=i, column="phase",
                        expected=", ".join(known), found=safe_value(phase))
                for i, phase in enumerate(given, start=1)
                if phase is not None and phase not in known]
    if problems:
        raise ValidationError(problems)
    chosen = pd.DataFrame({"situation": list(answers), "phase": given}, dtype=object)
    return chosen.merge(table, on="phase", how="left")


def framework_parts(name: str, part: str, *, lang: str = "en") -> pd.DataFrame:
    """A framework's drivers, driver groups, domains or roles as a table.

    Parameters
    ----------
    name : str
        A shipped framework (``nirn`` has drivers, ``epis`` domains, …).
    part : {"drivers", "driver_groups", "domains", "roles"}
    lang : {"nb", "da", "en"}

    Returns
    -------
    DataFrame
        ``id``, ``label``, ``description`` and, for drivers, ``group`` (competency,
        organisation or leadership). Empty when the framework has no such part.

    Examples
    --------
    >>> framework_parts("nirn", "drivers").query("group == 'competency'").id.tolist()
    ['selection', 'training', 'coaching', 'fidelity_assessment']
    """
    from .plans.frameworks import load_framework

    parts = ("drivers", "driver_groups", "domains", "roles")
    if part not in parts:
        raise ValidationError([Problem("unknown framework part", column="part",
                                       expected=", ".join(parts), found=safe_value(part))])
    items = getattr(load_framework(name), part)
    out = pd.DataFrame({"id": [i.id for i in items], "label": [i.label(lang) for i in items],
                        "description": [i.description(lang) for i in items]})
    if part == "drivers":
        out["group"] = [i.group for i in items]
    return out


def makeup_effect(attendance: pd.DataFrame, rule: DosageRule,
                  participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """Graduation with and without make-up sessions counting, per participant.

    Parameters
    ----------
    attendance, participants : DataFrame
        As for :func:`~implementere_kit.measures.fidelity.attendance_summary`.
    rule : DosageRule
        The dosage rule; its ``makeups_count`` is set both ways.

    Returns
    -------
    DataFrame
        :func:`~implementere_kit.measures.fidelity.attendance_summary` with make-ups counting, plus
        ``n_attended_without_makeups``, ``graduated_without_makeups`` and
        ``graduated_by_makeups`` (graduates only because make-ups count).

    Examples
    --------
    >>> import pandas as pd
    >>> keep = DosageRule(sessions=16, min_attendance=0.8)
    >>> att = pd.DataFrame({"participant_id": "f1", "session_no": list(range(1, 14)),
    ...                     "attended": True, "makeup": [False] * 12 + [True]})
    >>> makeup_effect(att, keep)[["n_attended", "n_attended_without_makeups",
    ...                           "graduated_by_makeups"]]
       n_attended  n_attended_without_makeups  graduated_by_makeups
    0          13                          12                  True
    """
    from .measures.fidelity import attendance_summary

    with_mk = attendance_summary(attendance, replace(rule, makeups_count=True), participants)
    without = attendance_summary(attendance, replace(rule, makeups_count=False), participants)
    out = with_mk.copy()
    # Both summaries are sorted by participant_id over the same participants.
    out["n_attended_without_makeups"] = without["n_attended"].to_numpy()
    out["graduated_without_makeups"] = without["graduated"].to_numpy()
    out["graduated_by_makeups"] = out["graduated"] & ~out["graduated_without_makeups"]
    return out


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
