"""The content of an evaluation report: one project's tables cut to a period, the measures
computed from them, and "what to look at next" derived from the numbers.

Everything here returns DataFrames, figures and text; the evaluator notebook only
displays them (``display(*ev.section("fidelity"))``), so the same numbers go to HTML and
to Excel.

References
----------
Shrout PE, Fleiss JL (1979). Intraclass correlations: uses in assessing rater
reliability. Psychological Bulletin 86:420–428. Koo TK, Li MY (2016). A guideline of
selecting and reporting intraclass correlation coefficients for reliability research.
J Chiropr Med 15:155–163 (two-way random, absolute agreement, single rater — ICC(2,1) —
for raters drawn from a larger pool).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import Problem, ValidationError, safe_value
from ..i18n import check_lang, t
from ._inputs import cut_tables, has_data, parse_period, read_share_back

__all__ = ["Evaluation", "evaluate", "parse_period", "project_summary", "what_to_look_at_next"]


@dataclass
class Evaluation:
    """One project's evaluation for a period. Build it with :func:`evaluate`.

    ``tables`` holds the project's tables cut to the period; the measures are computed on
    first use and kept. :meth:`section` gives what the report shows under one heading.
    """

    project: object
    lang: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    as_of: pd.Timestamp
    tables: dict[str, pd.DataFrame]
    share_back: pd.DataFrame | None = None
    period: str | None = None

    # -- plan and progress -------------------------------------------------------------
    @cached_property
    def intervention(self):
        return self.project.intervention

    @cached_property
    def phase_progress(self) -> pd.DataFrame:
        from ..plans.progress import phase_progress

        return phase_progress(self.project.plan.activities, as_of=self.as_of, by=("phase",))

    @cached_property
    def activities(self) -> pd.DataFrame:
        """The plan's activities with their titles in the report's language."""
        from ..store.overview import activity_titles

        acts = self.project.plan.activities
        return acts.assign(title=activity_titles(acts, self.lang, self.project.intervention))

    @cached_property
    def overdue(self) -> pd.DataFrame:
        from ..plans.progress import overdue_activities

        od = overdue_activities(self.activities, as_of=self.as_of)
        return od[["title", "phase", "core_element", "owner", "due", "days_overdue"]]

    @cached_property
    def sic_scores(self) -> pd.DataFrame | None:
        from ..plans.progress import sic_scores
        from ..store.tables import parse_dates

        ev = self.project.sic_events().copy()
        if ev.empty:
            return None
        ev["date"] = parse_dates(ev["date"]).where(lambda d: d <= self.as_of)
        return sic_scores(ev)

    # -- fidelity ------------------------------------------------------------------------
    @cached_property
    def measures(self) -> pd.DataFrame:
        """Every catalogue measure the report shows, once, as of :attr:`as_of`
        (:func:`~implementere_kit.measures.summary.site_measures` on the period's tables)."""
        from ..measures.catalogue import measure_ids
        from ..measures.summary import site_measures

        return site_measures(self.project, self.as_of, lang=self.lang, tables=self.tables,
                             ids=measure_ids(report_only=True))

    def measure_value(self, measure_id: str):
        """The report's value of one measure (NaN when it has none)."""
        m = self.measures.set_index("measure")
        return m.loc[measure_id, "value"] if measure_id in m.index else float("nan")

    @cached_property
    def attendance(self) -> pd.DataFrame | None:
        from ..measures.catalogue import completion_rule
        from ..measures.fidelity import attendance_summary

        parts, att = self.tables["participants"], self.tables["attendance"]
        if parts.empty or att.empty or self.intervention.dosage is None:
            return None
        return attendance_summary(att, self.intervention.dosage, parts,
                                  completion=completion_rule(self.intervention))

    @cached_property
    def dropout(self) -> pd.DataFrame | None:
        from ..measures.fidelity import dropout_by_session

        return None if self.attendance is None else dropout_by_session(self.attendance)

    @cached_property
    def adherence(self) -> pd.DataFrame | None:
        from ..measures.fidelity import adherence

        checks = self.tables["fidelity_checks"]
        if checks.empty:
            return None
        iv = self.intervention
        out = adherence(checks, iv.fidelity_threshold, by=("component",), intervention=iv)
        names = {c.id: c.label(self.lang) for c in iv.components}
        out.insert(1, "name", out["component"].map(names))
        return out.sort_values(["core", "adherence"], ascending=[False, True],
                               kind="stable").reset_index(drop=True)

    @cached_property
    def adherence_by_month(self) -> pd.DataFrame | None:
        from ..measures.fidelity import adherence

        checks = self.tables["fidelity_checks"]
        if checks.empty:
            return None
        return adherence(checks, self.intervention.fidelity_threshold, by=("site", "month"))

    # -- instruments ---------------------------------------------------------------------
    @cached_property
    def scores(self) -> dict[str, pd.DataFrame]:
        """Scale scores of each AIM/IAM/FIM-style survey answered in the period."""
        from ..measures.instruments import list_instruments, responses_from_long, score_instrument

        surveys = self.tables["survey_responses"]
        out = {}
        for name in sorted(set(surveys["instrument"].dropna()) & set(list_instruments())):
            out[name] = score_instrument(responses_from_long(surveys, name), name)
        return out

    @cached_property
    def reliability(self) -> pd.DataFrame | None:
        """ICC(2,1) of double-rated competence ratings and Cronbach's alpha per survey
        scale (latest wave); estimates that cannot be computed are left out."""
        from ..measures.instruments import load_instrument, responses_from_long
        from ..measures.reliability import ReliabilityResult, cronbach_alpha, icc, reliability_table

        results = {}
        r = self.tables["competence_ratings"]
        if not r.empty and r["rater_id"].notna().any():
            key = ["practitioner_id", "date", "dimension"]
            r = r[r["rater_id"].notna()]
            n_raters = r.groupby(key)["rater_id"].transform("nunique")
            double = r[n_raters >= 2]
            raters = double["rater_id"].value_counts().index[:2]
            wide = (double[double["rater_id"].isin(raters)]
                    .pivot_table(index=key, columns="rater_id", values="score", aggfunc="mean"))
            # Fewer than two targets rated by both raters: nothing to report.
            with contextlib.suppress(ValidationError):
                results[t("report_icc_competence", self.lang)] = ReliabilityResult.from_icc(
                    icc(wide), "ICC(2,1)")
        surveys = self.tables["survey_responses"]
        for name in self.scores:
            inst = load_instrument(name)
            wide = responses_from_long(surveys, name)
            wave = wide["wave"].max()
            wide = wide[wide["wave"] == wave]
            # Subscales, or the total of a one-scale instrument (AIM, IAM, FIM); reverse-
            # keyed items are flipped first, as the scoring does.
            scales = inst.subscales or {inst.total_name: inst.items}
            for scale, items in scales.items():
                flip = [i for i in items if i in inst.reverse | inst.total_reverse]
                values = wide[items].copy()
                values[flip] = inst.min + inst.max - values[flip]
                if len(items) < 2:
                    continue
                try:
                    res = cronbach_alpha(values)
                except ValidationError:
                    continue
                results[t("report_alpha_scale", self.lang, instrument=inst.name,
                          scale=inst.scale_label(scale, self.lang), wave=int(wave))] = res
        return reliability_table(results) if results else None

    @cached_property
    def adaptations(self) -> pd.DataFrame:
        """The project's adaptations (table ``adaptations``) made in the period, with
        ``kind``: ``core`` or ``flexible`` for a component of the intervention, empty for
        adaptations of anything else."""
        from ._tile_sections import _cut

        a = _cut(self, "adaptations").sort_values("date", kind="stable")
        kinds = {c.id: c.kind for c in self.intervention.components}
        return a.assign(kind=a["component"].map(kinds).astype("string")).reset_index(
            drop=True)

    def _adaptations_shown(self) -> pd.DataFrame:
        """The adaptations as the workbook shows them: components by name, FRAME codes
        and kinds as labels in the report's language."""
        from ..learning.vocabulary import label_values

        names = {c.id: c.label(self.lang) for c in self.intervention.components}
        a = self.adaptations.drop(columns="site")
        a = a.assign(component=a["component"].map(lambda c: names.get(c, c)),
                     kind=[t(f"kind_{k}", self.lang) if isinstance(k, str) else pd.NA
                           for k in a["kind"]])
        return label_values(a, "adaptations", self.lang)

    @cached_property
    def comparison(self) -> pd.DataFrame | None:
        """The network's figures for this site's measures (whole period), from the
        share-back package: the network value, the 95 % limits at this report's own
        denominator and where this report's value lies; the site's own values are the
        report's (:attr:`measures`), never a second copy."""
        if self.share_back is None:
            return None
        from ..exchange.indicators import Z95, Z998, _flags, funnel_limits

        b = self.share_back
        mine = b[b["site"].astype(str) == str(self.project.site)]
        if "period" in mine:
            mine = mine[mine["period"].isna() | (mine["period"].astype(str) == "all")]
        own = self.measures.set_index("measure")
        rows = []
        for _, r in mine.iterrows():
            m = r["indicator"]
            if m not in own.index:
                continue
            o = own.loc[m]
            p0 = r.get("network_value", float("nan"))
            lo = hi = lo998 = hi998 = float("nan")
            flag = None
            den = o["denominator"]
            if o["unit"] == "share" and pd.notna(p0) and pd.notna(den) and den > 0:
                (lo,), (hi,) = funnel_limits(p0, [den], Z95)
                (lo998,), (hi998,) = funnel_limits(p0, [den], Z998)
                if pd.notna(o["value"]):
                    flag = str(_flags(pd.Series([o["value"]]).to_numpy(), lo, hi, lo998,
                                      hi998)[0])
            rows.append({"indicator": m, "label": o["label"], "unit": o["unit"],
                         "value": o["value"], "denominator": den, "network_value": p0,
                         "lower95": lo, "upper95": hi, "flag": flag,
                         "n_sites": r.get("n_sites"),
                         "network_reason": r.get("network_reason")})
        return pd.DataFrame(rows, columns=["indicator", "label", "unit", "value", "denominator",
                                           "network_value", "lower95", "upper95", "flag",
                                           "n_sites", "network_reason"])

    @property
    def network_as_of(self) -> str | None:
        """The day the share-back package's network figures describe."""
        b = self.share_back
        if b is None or "as_of" not in b or b["as_of"].isna().all():
            return None
        return pd.Timestamp(b["as_of"].dropna().iloc[0]).date().isoformat()

    # -- summary and advice -------------------------------------------------------------
    @cached_property
    def summary(self) -> pd.DataFrame:
        """Facts about the report (site, intervention, period, as-of date, phase), labelled
        in the report's language; the measures are in :attr:`measures`, each once."""
        L = self.lang
        rows = [("report_field_data", t("report_synthetic_short", L))] if self.project.meta.get(
            "synthetic") else []
        rows += [("report_field_site", f"{self.project.site} {self.project.site_name}".strip()),
                ("report_field_intervention", self.intervention.label(L)),
                ("report_field_period", self.period_text),
                ("report_field_as_of", self.as_of.date().isoformat()),
                ("report_field_phase", t(self.project.plan.current_phase(), L))]
        return pd.DataFrame([(t(k, L), v) for k, v in rows], columns=["item", "value"])

    @property
    def period_text(self) -> str:
        return self.period if self.period else t("report_period_all", self.lang)

    @cached_property
    def next_steps(self) -> list[str]:
        return what_to_look_at_next(self)

    def export_tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report, keyed by a sheet name (for Excel).

        Each table carries ``attrs["as_of"]`` (the report's as-of date, ISO) and
        ``attrs["title"]``, for a writer to state on every sheet; the ``measures`` sheet
        holds each measure once, with the value the HTML report shows.
        """
        from ..measures.summary import note_text

        cols = ["measure", "label", "value", "unit", "n", "numerator", "denominator",
                "target", "meets", "note", "definition", "source"]
        # the catalogue id beside the measure's name, under a heading of its own
        measures = self.measures[cols].rename(columns={"measure": "measure_id"})
        # a duration's "numerator" and "denominator" are its last and first day as numbers:
        # the value says it all, the workbook shows no day counts since 1970
        days = (measures["unit"] == "days").to_numpy()
        measures.loc[days, ["numerator", "denominator"]] = np.nan
        net = None
        if self.comparison is not None:  # own values and denominators are on `measures`
            c = self.comparison
            net = c.drop(columns=["value", "denominator", "network_reason"]).rename(
                columns={"indicator": "measure_id"}).assign(
                note=[note_text(r, self.lang, network=True) for r in c["network_reason"]])
        tables = {"summary": self.summary, "measures": measures,
                  "phase_progress": self.phase_progress, "overdue": self.overdue,
                  # SIC counts the stage's activities, not families: its own heading
                  "sic": (None if self.sic_scores is None else self.sic_scores.rename(
                      columns={"n_completed": "sic_activities_done"})),
                  # components by name (the sheet is for people; ids are in the library)
                  "adherence": (None if self.adherence is None
                                else self.adherence.drop(columns=["component"])),
                  "adherence_by_month": self.adherence_by_month, "dropout": self.dropout,
                  "reliability": (None if self.reliability is None
                                  else self.reliability.reset_index()),
                  "adaptations": self._adaptations_shown(), "network": net,
                  "next_steps": pd.DataFrame({"what_to_look_at_next": self.next_steps})}
        out = {}
        for k, v in tables.items():
            if v is None:
                continue
            v = v.copy()
            v.attrs.update(as_of=self.as_of.date().isoformat(), title=t(
                "report_title", self.lang, intervention=self.intervention.label(self.lang),
                site=f"{self.project.site} {self.project.site_name}".strip()))
            out[k] = v
        return out

    def section(self, name: str) -> list:
        """What the report shows under one heading: Markdown, tables and figures."""
        from ._sections import SECTIONS

        return SECTIONS[name](self)


def evaluate(project, *, period: str | None = None, lang: str | None = None,
             share_back=None, as_of=None) -> Evaluation:
    """Evaluate a project for a period.

    Parameters
    ----------
    project : Project or path
    period : str, optional
        ``"2025"``, ``"2025-03"``, ``"2025-01:2025-06"`` …; default the whole project.
        Sessions, checklists, ratings and surveys count by their date; participants
        enrolled by the period's end and not ended before its start count, with all
        their attendance.
    lang : {"nb", "da", "en"}, optional
        Default the project's language.
    share_back : path or DataFrame, optional
        A share-back package from the network (or its ``benchmarks`` table).
    as_of : date, optional
        The day the report describes (default the period's end or today, if earlier).

    Raises
    ------
    ImplementereError
        Missing project, unknown language, a period not understood or without data, a
        share-back package that is invalid or belongs to another site.

    Examples
    --------
    >>> from implementere_kit.report import demo_project_folder
    >>> ev = evaluate(demo_project_folder(), period="2024", lang="en")
    >>> ev.summary.set_index("item").loc[["Municipality/organisation", "Period",
    ...                                   "Figures as of"], "value"].tolist()
    ['903 Havnstrup', '2024', '2024-12-31']
    >>> ev.measures.set_index("measure").loc["completion", "label"]
    'Completion (of those who ended)'
    >>> ev.section("fidelity")[0]
    '## Fidelity and dosage'
    """
    from ..store.project import Project
    from ..store.tables import table_names

    project = project if isinstance(project, Project) else Project.open(project)
    lang = check_lang(lang if lang is not None else project.language)
    start, end = parse_period(period)
    today = pd.Timestamp(dt.date.today())
    when = (pd.Timestamp(as_of).normalize() if as_of is not None
            else min(end, today) if end is not None else today)
    tables = {n: project.table(n) for n in table_names()
              if n not in ("activities", "checklist_answers")}
    if start is not None:
        tables = cut_tables(tables, start, end)
        if not has_data(project, tables, start, end):
            raise ValidationError([Problem("no data in the period", column="period",
                                           expected="a period with sessions, checklists, "
                                           "ratings, surveys or plan activities",
                                           found=safe_value(period))])
    bench = read_share_back(share_back, project.site) if share_back is not None else None
    return Evaluation(project, lang, start, end, when, tables, bench, period)


def project_summary(project, period: str | None = None, lang: str | None = None,
                    as_of=None) -> pd.DataFrame:
    """Key facts of a project (site, phase, SIC stage, overdue, participants, …)."""
    return evaluate(project, period=period, lang=lang, as_of=as_of).summary


def what_to_look_at_next(project_or_evaluation, **kwargs) -> list[str]:
    """Points to look at, derived from the numbers.

    Parameters
    ----------
    project_or_evaluation : Evaluation, Project or path
        An evaluation, or a project to evaluate with ``**kwargs`` (see :func:`evaluate`).

    Returns
    -------
    list of str
        In the report's language: core components below the fidelity threshold, network
        figures outside the 95 % limit in the unfavourable direction, overdue activities,
        instruments below their reliability criterion, groups over the planned size,
        sessions short of leaders, adapted core components, outcomes below target; or one
        line saying nothing stands out.
    """
    from ._advice import advice

    ev = project_or_evaluation
    if not isinstance(ev, Evaluation):
        ev = evaluate(ev, **kwargs)
    return advice(ev)
