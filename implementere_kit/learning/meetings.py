"""Network meetings: the record of meetings, and the pack a meeting is run from.

The TILE evaluations passed knowledge on *during* the project, through network meetings
and exchange of experience across municipalities. A meeting needs each site's position per
intervention, the barriers and the solutions the sites have logged, the adaptations they
made, and themes to discuss — :func:`meeting_pack` builds these tables from a network
store (or a list of projects) — and afterwards a record of what was agreed.

Where the record lives: meetings belong to the network, not to a municipality, so they are
neither in a project nor in a package. :class:`MeetingLog` keeps them in one Parquet file
beside the network store (``network.duckdb`` → ``network.meetings.parquet``): the
coordinator who keeps the store keeps the meetings; the file is backed up and moved with
the store; it is never replaced by a site's package, which is how the store itself is
updated, and never travels in a share-back package unless someone puts it there.

Examples
--------
>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> log = MeetingLog(tmp.name + "/network.duckdb")
>>> log.add("m1", "2024-05-02", intervention="keep", sites=["901", "903"],
...         themes="recruitment", agreed_actions="share referral leaflet")
>>> log.table()[["meeting_id", "sites"]].values.tolist()
[['m1', '901;903']]
>>> tmp.cleanup()
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .._io import atomic_write_parquet
from ..errors import Problem, ValidationError, safe_value
from ..i18n import check_lang, t
from ..store.tables import empty_table, parse_dates, validate_table
from .adaptations import core_adaptations, frame_profile
from .barriers import barrier_summary, recommendations

__all__ = ["MeetingLog", "meetings_path", "meeting_pack", "site_positions",
           "discussion_themes", "PACK_TABLES", "CURRENT_PHASE_DONE"]

#: A phase counts as behind the site until this share of its activities is done.
CURRENT_PHASE_DONE = 0.8
#: The tables of a meeting pack, in the order the report shows them.
PACK_TABLES = ("sites", "barriers", "solutions", "adaptations", "core_adaptations", "themes",
               "previous_actions")


def meetings_path(store_path) -> Path:
    """Where the meetings of the network store at ``store_path`` are kept."""
    p = Path(store_path)
    return p.with_name(f"{p.stem}.meetings.parquet")


class MeetingLog:
    """The meetings of one network, kept beside its store (see the module docstring)."""

    def __init__(self, store_path):
        self.path = meetings_path(store_path)

    def table(self) -> pd.DataFrame:
        """All meetings, oldest first (empty with the right columns if none yet)."""
        if not self.path.is_file():
            return empty_table("network_meetings")
        import pyarrow.parquet as pq

        try:
            df = pq.read_table(self.path).to_pandas()
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise ValidationError([Problem("meetings file is damaged", file=str(self.path),
                                           found=type(exc).__name__)]) from None
        return validate_table(df, "network_meetings", file=str(self.path)).sort_values(
            "date", kind="stable").reset_index(drop=True)

    def add(self, meeting_id: str, date, *, intervention: str | None = None, sites=(),
            themes: str = "", agreed_actions: str = "", follow_up=None) -> None:
        """Record a meeting (validated; the file is replaced atomically)."""
        sites = [sites] if isinstance(sites, str) else list(sites)
        bad = [s for s in sites if not re.fullmatch(r"\d{3,4}", str(s))]
        if bad:
            raise ValidationError([Problem("not a municipality code", column="sites",
                                           expected="3–4 digits", found=safe_value(s))
                                   for s in bad])
        row = pd.DataFrame([{"meeting_id": meeting_id, "date": date, "intervention": intervention,
                             "sites": ";".join(map(str, sites)) or None,
                             "themes": themes or None, "agreed_actions": agreed_actions or None,
                             "follow_up": follow_up}])
        now = self.table()
        both = pd.concat([now, row], ignore_index=True) if len(now) else row
        atomic_write_parquet(self.path, validate_table(both, "network_meetings",
                                                       file=str(self.path)))


def _site_list(source):
    from ..measures._site_data import site_data

    return site_data(source, ["sic_events", "activities", "participants", "barriers",
                              "adaptations"])


def site_positions(sites, as_of=None) -> pd.DataFrame:
    """Each site's position: SIC stage reached, current implementere.no phase (the first
    phase with less than :data:`CURRENT_PHASE_DONE` of its activities done — a toolkit
    convention, so one forgotten early task does not hold a site back), share of the plan
    done, families enrolled (empty when the site shares no participant rows), open
    barriers and adaptations."""
    from ..plans.progress import PHASE_ORDER, phase_progress, sic_summary

    when = None if as_of is None else pd.Timestamp(as_of)

    def by_then(df, col):  # rows dated by the as-of date (all of them without one)
        return df if when is None else df[parse_dates(df[col]) <= when]

    rows = []
    for s in sites:
        ev = s.table("sic_events")
        if when is not None and len(ev):  # an activity completed later was not done yet
            ev = ev.assign(date=parse_dates(ev["date"]).where(lambda d: d <= when))
        stage = int(sic_summary(ev)["stage_reached"].iloc[0]) if len(ev) else pd.NA
        acts = s.table("activities")
        phase, share = pd.NA, float("nan")
        if len(acts):
            # done as the catalogue's activities_done counts it on that day
            prog = phase_progress(acts, as_of=when, by=("phase",)).set_index("phase")
            done = prog["n_done"] / prog["n_activities"]
            behind = [ph for ph in PHASE_ORDER if done.get(ph, 1.0) < CURRENT_PHASE_DONE]
            phase = behind[0] if behind else PHASE_ORDER[-1]
            total = prog["n_activities"].sum()
            share = float(prog["n_done"].sum() / total) if total else float("nan")
        parts, b = s.table("participants"), by_then(s.table("barriers"), "date")
        still_open = b["status"] != "resolved"
        if when is not None:
            still_open |= parse_dates(b["resolved"]) > when
        rows.append((s.site, s.site_name, s.intervention_id, stage, phase, share,
                     len(by_then(parts, "enrolled")) if len(parts) else pd.NA,
                     int(still_open.sum()), len(by_then(s.table("adaptations"), "date"))))
    return pd.DataFrame(rows, columns=["site", "site_name", "intervention", "stage_reached",
                                       "current_phase", "share_plan_done", "n_participants",
                                       "n_open_barriers", "n_adaptations"])


def discussion_themes(positions, barriers, core, lang: str = "nb", min_sites: int = 2,
                      names=None) -> pd.DataFrame:
    """Themes for the meeting, derived from the pack: barrier topics open at several sites;
    topics still open somewhere for which a strategy helped at another site; core
    components changed against fidelity; sites two or more SIC stages behind the median of
    their intervention. ``names`` maps component ids to names."""
    from .vocabulary import value_label

    names = dict(names or {})
    rows = []
    open_ = barriers[barriers["status"] != "resolved"]
    topic = open_["topic"].fillna("other")
    for top, part in open_.groupby(topic):
        sites = sorted(part["site"].astype(str).unique())
        label = value_label("barriers", "topic", top, lang)
        if len(sites) >= min_sites:
            rows.append(("shared_barrier", top, ";".join(sites),
                         t("meeting_theme_shared", lang, topic=label, n=len(sites))))
        good = barriers[(barriers["topic"].fillna("other") == top)
                        & barriers["result"].isin(["helped", "partly_helped"])
                        & barriers["strategy"].notna()
                        & ~barriers["site"].astype(str).isin(sites)]
        if len(good):
            best = good.groupby("strategy")["site"].nunique().sort_values(
                ascending=False, kind="stable")
            rows.append(("solution_elsewhere", top, ";".join(sites),
                         t("meeting_theme_solution", lang, topic=label,
                           strategy=value_label("barriers", "strategy", best.index[0], lang),
                           n=int(best.iloc[0]))))
    incon = core[core["fidelity"] == "inconsistent"] if len(core) else core
    for comp, part in (incon.groupby("component") if len(incon) else []):
        rows.append(("core_adapted", comp, ";".join(sorted(part["site"].astype(str).unique())),
                     t("meeting_theme_core", lang, component=names.get(comp, comp),
                       n=part["site"].nunique())))
    for iv, part in positions.groupby("intervention"):
        stage = pd.to_numeric(part["stage_reached"], errors="coerce")
        if stage.notna().sum() >= 3:
            for _, r in part[stage <= stage.median() - 2].iterrows():
                rows.append(("behind", iv, str(r["site"]),
                             t("meeting_theme_behind", lang, site=f"{r['site']} "
                               f"{r['site_name']}".strip(), stage=int(r["stage_reached"]),
                               median=float(stage.median()))))
    return pd.DataFrame(rows, columns=["kind", "subject", "sites", "theme"])


def meeting_pack(source, *, meetings=None, intervention: str | None = None, as_of=None,
                 lang: str = "nb") -> dict[str, pd.DataFrame]:
    """The tables a network meeting is run from.

    Parameters
    ----------
    source : NetworkStore, ``*.duckdb`` path, Project, folder or a list of them
    meetings : MeetingLog, DataFrame or path, optional
        Earlier meetings; default the log beside the store (if ``source`` is one).
    intervention : str, optional
        Only the sites implementing this intervention.
    as_of : date, optional
        The day the pack describes: barriers and adaptations recorded later are left out,
        and a barrier resolved later counts as still being worked on (default today for the
        plan's progress, everything recorded for the rest).
    lang : {"nb", "da", "en"}
        Language of the themes.

    Returns
    -------
    dict of DataFrame
        ``sites`` (:func:`site_positions`), ``barriers`` (counts by intervention, phase,
        EPIS domain and topic, with ``n_sites``), ``solutions`` (strategies that helped,
        with cases: :func:`~.barriers.recommendations`), ``adaptations`` (FRAME profile per
        site), ``core_adaptations`` (adaptations of core components across sites),
        ``themes`` (:func:`discussion_themes`) and ``previous_actions`` (the last
        meeting's agreed actions and follow-up date).
    """
    from ..measures._site_data import _is_store

    check_lang(lang)
    sites = _site_list(source)
    if intervention is not None:
        present = sorted({s.intervention_id for s in sites})
        sites = [s for s in sites if s.intervention_id == intervention]
        if not sites:  # a typo would otherwise give an empty pack that looks like news
            raise ValidationError([Problem("no site in the network implements this "
                                           "intervention", column="intervention",
                                           expected=" or ".join(present) or "a site",
                                           found=safe_value(intervention))])
    positions = site_positions(sites, as_of=as_of)

    def stack(name):
        parts = [s.table(name).assign(site_name=s.site_name, intervention=s.intervention_id)
                 for s in sites if len(s.table(name))]
        return (pd.concat(parts, ignore_index=True) if parts
                else empty_table(name).assign(site_name=pd.Series(dtype="string"),
                                              intervention=pd.Series(dtype="string")))

    barriers, adaptations = stack("barriers"), stack("adaptations")
    if as_of is not None:  # the network as it stood that day
        when = pd.Timestamp(as_of)
        barriers = barriers[parse_dates(barriers["date"]) <= when].copy()
        later = parse_dates(barriers["resolved"]) > when
        barriers.loc[later, ["status", "result"]] = ["working_on_it", pd.NA]
        barriers.loc[later, "resolved"] = pd.NaT
        adaptations = adaptations[parse_dates(adaptations["date"]) <= when]
    if len(barriers):
        counts = barrier_summary(barriers, by=("phase", "domain", "topic"))
        n_sites = (barriers.groupby(["phase", "domain", "topic"], dropna=False)["site"]
                   .nunique().rename("n_sites").reset_index())
        counts = counts.merge(n_sites, on=["phase", "domain", "topic"], how="left")
    else:
        counts = pd.DataFrame(columns=["phase", "domain", "topic", "n", "n_open", "n_sites"])
    solutions = recommendations(barriers)
    profile = (frame_profile(adaptations, dimensions=("what", "planning", "fidelity",
                                                      "reason_level"), by=("site",))
               if len(adaptations) else pd.DataFrame(columns=["site", "dimension", "value",
                                                              "n", "share"]))
    core = pd.concat([core_adaptations(adaptations[adaptations["intervention"] == s.intervention_id
                                                   ].drop(columns=["site_name", "intervention"]),
                                       s.intervention)
                      for s in {s.intervention_id: s for s in sites}.values()
                      if s.intervention is not None and len(adaptations)],
                     ignore_index=True) if len(adaptations) else adaptations
    log = meetings
    if log is None and _is_store(source):
        log = MeetingLog(getattr(source, "path", source))
    if isinstance(log, MeetingLog):
        log = log.table()
    elif isinstance(log, str | Path):
        log = MeetingLog(log).table() if Path(log).suffix == ".duckdb" else validate_table(
            pd.read_parquet(log), "network_meetings", file=str(log))
    cols = ["meeting_id", "date", "intervention", "agreed_actions", "follow_up"]
    previous = pd.DataFrame(columns=cols)
    if log is not None and len(log):
        if intervention is not None:  # that intervention's meetings and the joint ones
            log = log[log["intervention"].isna() | (log["intervention"] == intervention)]
        if as_of is not None:
            log = log[parse_dates(log["date"]) <= pd.Timestamp(as_of)]
        previous = log.tail(1)[cols].reset_index(drop=True)
    names = {c.id: c.label(lang) for s in sites if s.intervention is not None
             for c in s.intervention.components}
    themes = discussion_themes(positions, barriers, core, lang=lang, names=names)
    return {"sites": positions, "barriers": counts, "solutions": solutions,
            "adaptations": profile, "core_adaptations": core, "themes": themes,
            "previous_actions": previous}
