"""A seeded synthetic network of municipalities, for demos, teaching, tests and benchmarks.

KEEP in five Danish municipalities and FFT in four Norwegian kommuner — all fictional: their
names are invented and their codes (DK 901-905, NO 9901-9904) lie outside the ranges real
municipalities use, so no invented result is ever attached to a real place. Each site is a
project folder with a plan at
its own stage, SIC completion dates, staff, groups or cases, sessions, attendance with
make-ups and drop-outs, fidelity checklists, competence ratings (part of them double-rated
with a known reliability), AIM/IAM/FIM survey answers and eligible-population counts.

Everything is generated from the seed: no person in it exists. Variation is built in so
the measures have something to find: Bøgely follows the curriculum but delivers most
other core components poorly (make-up sessions worst),
Mosebjerg loses many families, Kildeby is still preparing, Polarvik has just started.

Examples
--------
>>> import tempfile
>>> from implementere_kit.examples import make_network
>>> with tempfile.TemporaryDirectory() as tmp:
...     sites = make_network(tmp, seed=1, scale=0.2)
>>> sites[["site", "name", "country", "intervention"]].head(3)
  site       name country intervention
0  901      Ålund      DK         keep
1  902     Bøgely      DK         keep
2  903  Havnstrup      DK         keep
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SITES", "EXAMPLE_SITES", "make_network", "make_site_tables", "AS_OF"]

from ._dates import AS_OF


@dataclass(frozen=True)
class SiteProfile:
    site: str
    name: str
    country: str
    intervention: str
    start: str  # project start
    stage: int  # SIC stage reached by AS_OF
    n_units: int  # groups (KEEP) or cases (FFT) at scale 1
    attend: float  # mean attendance probability
    dropout: float  # share of participants who drop out
    adherence: float  # probability a fidelity item is delivered fully
    max_group: int = 6
    eligible: int = 60
    # (component, probability delivered fully) where a site differs from its `adherence`
    component_quality: tuple[tuple[str, float], ...] = ()


SITES: tuple[SiteProfile, ...] = (
    SiteProfile("901", "Ålund", "DK", "keep", "2022-09-01", 8, 10, 0.90, 0.08, 0.92),
    SiteProfile("902", "Bøgely", "DK", "keep", "2023-01-15", 7, 6, 0.85, 0.12, 0.62,
                component_quality=(("curriculum", 0.95), ("makeup_sessions", 0.4))),
    SiteProfile("903", "Havnstrup", "DK", "keep", "2022-06-01", 8, 14, 0.88, 0.10, 0.88,
                max_group=7, eligible=140),
    SiteProfile("904", "Mosebjerg", "DK", "keep", "2023-03-01", 7, 7, 0.80, 0.35, 0.85),
    SiteProfile("905", "Kildeby", "DK", "keep", "2025-09-01", 3, 0, 0.88, 0.10, 0.85),
    SiteProfile("9901", "Fjordheim", "NO", "fft", "2022-02-01", 8, 60, 0.88, 0.15, 0.86,
                eligible=400),
    SiteProfile("9902", "Nordvika", "NO", "fft", "2022-10-01", 7, 40, 0.86, 0.18, 0.84,
                eligible=260),
    SiteProfile("9903", "Skogheim", "NO", "fft", "2023-04-01", 6, 25, 0.85, 0.20, 0.80,
                eligible=180),
    SiteProfile("9904", "Polarvik", "NO", "fft", "2024-11-01", 5, 8, 0.84, 0.22, 0.78,
                eligible=90),
)

#: Codes of the example sites: outside every real municipality's range, so a package or a
#: network store holding one of them holds example data (packages carry no flag of their own).
EXAMPLE_SITES = frozenset(p.site for p in SITES)


def _sic_events(p: SiteProfile, rng: np.random.Generator) -> pd.DataFrame:
    """SIC dates: stages up to the one reached are done in order, the next partly."""
    from ..plans.frameworks import load_framework

    rows, t = [], pd.Timestamp(p.start)
    for stage in load_framework("sic").stages:
        for act in stage.activities:
            date = pd.NaT
            if stage.id < p.stage or (stage.id == p.stage and rng.random() < 0.7):
                t = t + pd.Timedelta(days=int(rng.integers(5, 45)))
                date = min(t, AS_OF)
            rows.append((p.site, stage.id, act.id, date))
        if stage.id == p.stage and not any(r[3] is not pd.NaT and r[1] == p.stage for r in rows):
            rows[-1] = (*rows[-1][:3], min(t + pd.Timedelta(days=10), AS_OF))
    return pd.DataFrame(rows, columns=["site", "stage", "activity", "date"])


def _plan(p: SiteProfile, intervention, rng: np.random.Generator):
    """A plan from the template, done up to the site's stage, a few items late."""
    from ..plans.plan import Plan

    plan = Plan.from_template(intervention, start=p.start, lang="da" if p.country == "DK" else "nb")
    a = plan.activities.copy()
    finished_by = AS_OF - pd.Timedelta(days=int(60 - 5 * p.stage))
    due = a["due"]
    done = (due < finished_by) & (rng.random(len(a)) < 0.93)
    late = rng.integers(-14, 30, len(a))
    a.loc[done, "status"] = "done"
    a.loc[done, "completed"] = (due[done] + pd.to_timedelta(late[done], unit="D")).clip(upper=AS_OF)
    going = ~done & (a["start"] <= AS_OF)
    a.loc[going, "status"] = "in_progress"
    return Plan(a)


def make_site_tables(p: SiteProfile, intervention, rng: np.random.Generator,
                     scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """Generate the delivery tables of one site (vectorised, so large scales are fast)."""
    keep = p.intervention == "keep"
    rule = intervention.dosage
    n_units = max(int(round(p.n_units * scale)), 0 if p.n_units == 0 else 1)
    first = pd.Timestamp(p.start) + pd.Timedelta(days=240 if keep else 150)
    # staff: leaders (KEEP) or therapists (FFT)
    n_staff = max(4 if keep else 3, int(np.ceil(n_units / (5 if keep else 12))) * 2)
    staff_ids = np.array([f"{p.site}-P{i + 1:02d}" for i in range(n_staff)])
    trained = first - pd.to_timedelta(rng.integers(30, 120, n_staff), unit="D")
    staff = pd.DataFrame({"practitioner_id": staff_ids, "site": p.site,
                          "role": "gruppeleder" if keep else "terapeut", "trained": trained,
                          "certified": pd.NaT, "first_delivery": pd.NaT, "last_delivery": pd.NaT})
    if n_units == 0:
        empty = {k: pd.DataFrame() for k in ("participants", "sessions", "attendance")}
        return {"staff": staff, **empty}
    # units (groups or cases), their start dates spread from the first until before AS_OF
    span = max((AS_OF - first).days - 30, 30)
    unit_start = first + pd.to_timedelta(np.sort(rng.integers(0, span, n_units)), unit="D")
    size = (rng.integers(4, min(p.max_group, 6) + 1, n_units) if keep else np.ones(n_units, int))
    if keep and p.max_group > 6:
        size[0] = p.max_group  # this site once ran a group over the rule's maximum
    n_sess = (np.full(n_units, rule.sessions) if keep
              else rng.integers(rule.min_sessions or 12, (rule.max_sessions or 20) + 1, n_units))
    unit_ids = np.array([f"{p.site}-{'G' if keep else 'C'}{i + 1:04d}" for i in range(n_units)])
    leaders_per = rule.leaders_per_group or 1
    lead_idx = rng.integers(0, n_staff, (n_units, leaders_per))
    # participants
    pu = np.repeat(np.arange(n_units), size)
    n_p = len(pu)
    seq = np.arange(n_p) - np.repeat(np.cumsum(size) - size, size)
    pid = np.char.add(np.char.add(unit_ids[pu], "-F"), (seq + 1).astype(str))
    p_att = np.clip(rng.beta(p.attend * 12, (1 - p.attend) * 12, n_p), 0.05, 1)
    drops = rng.random(n_p) < p.dropout
    drop_at = np.where(drops, rng.integers(2, 12, n_p), 10_000)
    # session grid: participant × session number
    max_s = int(n_sess.max())
    s_no = np.arange(1, max_s + 1)
    interval = rule.interval_days or 7
    s_date = (unit_start.values[:, None]
              + (s_no[None, :] - 1) * np.timedelta64(interval, "D")
              + rng.integers(0, 3 if keep else 4, (n_units, max_s)) * np.timedelta64(1, "D"))
    held = (s_no[None, :] <= n_sess[:, None]) & (s_date <= AS_OF.to_datetime64())
    on_roll = held[pu] & (s_no[None, :] < drop_at[:, None])
    attended = on_roll & (rng.random((n_p, max_s)) < p_att[:, None])
    makeup = on_roll & ~attended & keep & (rng.random((n_p, max_s)) < 0.35)
    pi, si = np.nonzero(on_roll)
    att = pd.DataFrame({"participant_id": pid[pi], "session_no": s_no[si],
                        "attended": attended[pi, si], "makeup": False})
    mi, ms = np.nonzero(makeup)
    att = pd.concat([att, pd.DataFrame({"participant_id": pid[mi], "session_no": s_no[ms],
                                        "attended": True, "makeup": True})], ignore_index=True)
    # sessions held
    ui, us = np.nonzero(held)
    dur_plan = rule.session_minutes or 60
    leaders = np.array([";".join(staff_ids[row]) for row in lead_idx])
    sessions = pd.DataFrame({"site": p.site, "group_id": unit_ids[ui], "session_no": s_no[us],
                             "date": pd.to_datetime(s_date[ui, us]),
                             "duration_min": np.round(rng.normal(dur_plan, dur_plan * 0.08, len(ui))),
                             "leaders": leaders[ui]})
    # participants and how they ended
    n_counted = (attended | (makeup if rule.makeups_count else False))[:, :].sum(axis=1)
    finished = held[pu].sum(axis=1) == n_sess[pu]
    last_date = pd.to_datetime(s_date[pu, np.minimum(n_sess[pu], max_s) - 1])
    dropped = drops & (drop_at <= held[pu].sum(axis=1))
    if rule.completion == "attendance":
        graduated = n_counted >= np.ceil(n_sess[pu] * rule.min_attendance - 1e-9)
        done = np.where(graduated, "graduated", "completed")
    else:  # the therapist ends a finished course as completed (FFT: no session rule)
        done = "completed"
    end_reason = np.where(dropped, "dropped_out", np.where(finished, done, None))
    drop_date = pd.to_datetime(s_date[pu, np.clip(drop_at - 2, 0, max_s - 1)])
    ended = np.where(dropped, drop_date, np.where(finished, last_date, pd.NaT))
    referral = rng.choice(["barnevern", "familieafdeling", "skole", "sundhedspleje"], n_p)
    participants = pd.DataFrame({
        "participant_id": pid, "site": p.site, "group_id": unit_ids[pu],
        "enrolled": unit_start[pu] - pd.to_timedelta(rng.integers(7, 40, n_p), unit="D"),
        "referral_source": referral, "ended": pd.to_datetime(ended), "end_reason": end_reason})
    # staff delivery dates follow the sessions they led
    led = pd.DataFrame({"practitioner_id": staff_ids[lead_idx[ui].ravel()],
                        "date": np.repeat(sessions["date"].values, leaders_per)})
    span_led = led.groupby("practitioner_id")["date"].agg(["min", "max"])
    staff["first_delivery"] = staff["practitioner_id"].map(span_led["min"])
    staff["last_delivery"] = staff["practitioner_id"].map(span_led["max"])
    n_units_led = pd.Series(lead_idx.ravel()).value_counts()
    cert = staff.index.isin(n_units_led[n_units_led >= 3].index) & staff["first_delivery"].notna()
    staff.loc[cert, "certified"] = staff.loc[cert, "first_delivery"] + pd.Timedelta(days=300)
    staff.loc[staff["certified"] > AS_OF, "certified"] = pd.NaT
    return {"staff": staff, "participants": participants, "sessions": sessions, "attendance": att}


def _fidelity_checks(p, intervention, sessions, rng) -> pd.DataFrame:
    """Video-reviewed sessions scored item by item; the site's adherence drives 'yes'."""
    if sessions.empty:
        return pd.DataFrame()
    comps = [c for c in intervention.components]
    items = [(f"{c.id}", c.id, c.kind) for c in comps]
    pick = sessions.sample(frac=0.12 if p.intervention == "keep" else 0.05,
                           random_state=int(rng.integers(1 << 31)))
    n_c, n_i = len(pick), len(items)
    quality = np.where([k == "core" for _, _, k in items], p.adherence,
                       min(p.adherence + 0.05, 0.98))
    override = dict(p.component_quality)
    quality = np.array([override.get(c, q) for (_, c, _), q in zip(items, quality, strict=True)])
    r = rng.random((n_c, n_i))
    delivered = np.where(r < quality, "yes", np.where(r < quality + (1 - quality) * 0.5,
                                                      "partly", "no"))
    delivered[rng.random((n_c, n_i)) < 0.04] = "na"
    return pd.DataFrame({
        "check_id": np.repeat([f"{p.site}-K{i + 1:04d}" for i in range(n_c)], n_i),
        "site": p.site, "group_id": np.repeat(pick["group_id"].values, n_i),
        "session_no": np.repeat(pick["session_no"].values, n_i),
        "practitioner_id": np.repeat(pick["leaders"].str.split(";").str[0].values, n_i),
        "date": np.repeat(pick["date"].values, n_i),
        "item": np.tile([i for i, _, _ in items], n_c),
        "component": np.tile([c for _, c, _ in items], n_c),
        "delivered": delivered.ravel()})


def _competence(p, staff, rng) -> pd.DataFrame:
    """FIMP-like ratings on a 1–9 scale; a third of them double-rated, true ICC ≈ 0.8."""
    dims = ["knowledge", "structure", "teaching", "clinical_skill", "overall"]
    active = staff[staff["first_delivery"].notna()]
    rows = []
    for _, s in active.iterrows():
        level = rng.normal(6.2 + (p.adherence - 0.85) * 6, 0.9)
        for k, date in enumerate(pd.date_range(s["first_delivery"], AS_OF, freq="182D")):
            true = level + 0.3 * k + rng.normal(0, 0.6, len(dims))
            raters = ["R1", "R2"] if rng.random() < 0.35 else ["R1"]
            for rater in raters:
                obs = np.clip(np.rint(true + rng.normal(0, 0.45, len(dims))), 1, 9)
                rows += [(s["practitioner_id"], p.site, date, rater, "fimp_like", d, v)
                         for d, v in zip(dims, obs, strict=True)]
    return pd.DataFrame(rows, columns=["practitioner_id", "site", "date", "rater_id", "instrument",
                                       "dimension", "score"])


def _surveys(p, staff, rng) -> pd.DataFrame:
    """AIM, IAM and FIM from staff at two waves (a year apart), with a few items skipped."""
    from ..measures.instruments import load_instrument

    rows = []
    base = 3.4 + (p.adherence - 0.8) * 3
    for wave, date in ((1, pd.Timestamp(p.start) + pd.Timedelta(days=200)),
                       (2, pd.Timestamp(p.start) + pd.Timedelta(days=565))):
        if date > AS_OF:
            continue
        for pid in staff["practitioner_id"]:
            person = rng.normal(base + 0.2 * (wave - 1), 0.5)
            for name in ("aim", "iam", "fim"):
                for item in load_instrument(name).items:
                    if rng.random() < 0.03:
                        continue
                    v = int(np.clip(np.rint(person + rng.normal(0, 0.45)), 1, 5))
                    rows.append((pid, p.site, name, wave, date, item, v))
    return pd.DataFrame(rows, columns=["respondent_id", "site", "instrument", "wave", "date",
                                       "item", "value"])


def make_network(path, seed: int = 2024, scale: float = 1.0, sites=None) -> pd.DataFrame:
    """Write the example network's project folders under ``path``.

    Parameters
    ----------
    path : path-like
        Folder to create; each site becomes ``path/<country>-<site>-<intervention>``.
    seed : int
        Everything follows from it: the same seed gives the same data.
    scale : float
        Multiplies the number of groups and cases (1 ≈ 15,000 attendance rows; 700 ≈
        10 million).
    sites : list of str, optional
        Site codes to generate (default all nine).

    Returns
    -------
    DataFrame
        One row per site: ``site``, ``name``, ``country``, ``intervention``, ``path``.
    """
    from ..plans.intervention import load_intervention
    from ..store.project import Project
    from ._tile import tile_tables

    root = Path(path)
    out = []
    for k, p in enumerate(SITES):
        if sites is not None and p.site not in sites:
            continue
        # One stream per site, so generating a subset gives the same data for each site.
        rng = np.random.default_rng([seed, k])
        intervention = load_intervention(p.intervention)
        folder = root / f"{p.country.lower()}-{p.site}-{p.intervention}"
        project = Project.create(folder, site=p.site, site_name=p.name, country=p.country,
                                 intervention=intervention, start=p.start,
                                 language="da" if p.country == "DK" else "nb",
                                 plan=_plan(p, intervention, rng), overwrite=True)
        tables = make_site_tables(p, intervention, rng, scale)
        tables["sic_events"] = _sic_events(p, rng)
        tables["fidelity_checks"] = _fidelity_checks(p, intervention, tables["sessions"], rng)
        tables["competence_ratings"] = _competence(p, tables["staff"], rng)
        tables["survey_responses"] = _surveys(p, tables["staff"], rng)
        # Outcomes, barriers, FRAME adaptations and costs: a stream of their own, so the
        # delivery data above stay as they were for every seed.
        tables.update(tile_tables(p, intervention, tables, np.random.default_rng([seed, k, 14])))
        if p.site == "902":  # an adaptation written down but not yet coded after FRAME
            tables["adaptations"] = pd.concat([tables["adaptations"], pd.DataFrame([{
                "adaptation_id": "log-001", "site": p.site, "date": "2024-02-01",
                "component": "refreshments", "description": "Ingen aftensmad, kun kaffe og frugt",
                "reason": "Budget", "decided_by_note": "Familieafdelingen",
                "fidelity": "unknown"}])], ignore_index=True)
        years = range(pd.Timestamp(p.start).year, AS_OF.year + 1)
        tables["eligible"] = pd.DataFrame({"site": p.site, "period": [str(y) for y in years],
                                           "n_eligible": int(p.eligible * max(scale, 0.05))})
        for name, df in tables.items():
            if len(df):
                project.set_table(name, df)
        project.meta["synthetic"] = True  # every report made from it says so on page one
        project.save()
        out.append((p.site, p.name, p.country, p.intervention, str(folder)))
    chosen = [p for p in SITES if sites is None or p.site in sites]
    _write_meetings(root, chosen)
    return pd.DataFrame(out, columns=["site", "name", "country", "intervention", "path"])


def _write_meetings(root: Path, profiles) -> None:
    """The network's meeting record, kept where a store of this network would be made
    (``root/network.duckdb`` → ``root/network.meetings.parquet``)."""
    from .._io import atomic_write_parquet
    from ..learning.meetings import MeetingLog
    from ..store.tables import validate_table
    from ._tile import example_meetings

    if profiles:
        log = MeetingLog(root / "network.duckdb")
        atomic_write_parquet(log.path, validate_table(example_meetings(profiles),
                                                      "network_meetings"))
