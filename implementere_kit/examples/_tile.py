"""The example network's family outcomes, barriers, FRAME adaptations, costs and network
meetings (private; called by :func:`implementere_kit.examples.make_network`).

Generated from the site's own delivery tables and a random stream of its own (so adding
these tables leaves the delivery data of every seed unchanged), with patterns an evaluator
should be able to find: outcomes improve with the dose a family received and with the
delivery of the components that carry the programme (KEEP: role play, home practice,
encouragement and limit setting; FFT: relational assessment and behaviour change — never
the flexible ones); barriers cluster in the phases a site has been through; costs are
front-loaded (training and start-up before families arrive). Texts are short, generic and
in the site's language; no person in them exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._dates import AS_OF

__all__ = ["tile_tables", "example_meetings"]

#: component -> weight in the true improvement (flexible components weigh nothing)
_MATTER = {"keep": {"role_play": 6.0, "home_practice": 5.0, "positive_reinforcement": 3.0,
                    "limit_setting": 3.0},
           "fft": {"behaviour_change": 5.0, "relational_assessment": 4.0, "motivation": 2.0}}
_SCORE = {"yes": 1.0, "partly": 0.5, "no": 0.0}


def _dose_and_delivery(tables, intervention, site_adherence):
    """Sessions counted ÷ planned, and a weighted delivery score of the group's checks."""
    parts, att, checks = tables["participants"], tables["attendance"], tables["fidelity_checks"]
    rule = intervention.dosage
    counted = att[att["attended"] & (rule.makeups_count | ~att["makeup"])]
    n = counted.groupby("participant_id")["session_no"].nunique()
    dose = np.minimum(parts["participant_id"].map(n).fillna(0).to_numpy() / rule.sessions, 1)
    weights = _MATTER[intervention.id]
    delivery = np.zeros(len(parts))
    if len(checks):
        c = checks.assign(s=checks["delivered"].map(_SCORE))
        adh = c[c["component"].isin(list(weights))].pivot_table(
            index="group_id", columns="component", values="s", aggfunc="mean")
        for comp, w in weights.items():
            col = adh[comp] if comp in adh else pd.Series(dtype=float)
            a = parts["group_id"].map(col).fillna(site_adherence).to_numpy(float)
            delivery += w * (a - 0.8)
    return dose, delivery


def _outcomes(p, intervention, tables, rng) -> pd.DataFrame:


    parts = tables["participants"]
    if parts.empty:
        return pd.DataFrame()
    dose, delivery = _dose_and_delivery(tables, intervention, p.adherence)
    n = len(parts)
    ended = pd.to_datetime(parts["ended"]).to_numpy()
    reason = parts["end_reason"].astype("object").to_numpy()
    # exit measurements of families who drop out are patchy; completers are nearly all met
    measured = np.where(reason == "dropped_out", rng.random(n) < 0.6,
                        pd.notna(reason) & (rng.random(n) < 0.9))
    enrolled = pd.to_datetime(parts["enrolled"]).to_numpy()
    pre_date = enrolled + rng.integers(0, 10, n) * np.timedelta64(1, "D")
    post_date = ended + rng.integers(3, 21, n) * np.timedelta64(1, "D")
    fu_date = ended + (182 + rng.integers(0, 21, n)) * np.timedelta64(1, "D")
    has_post = measured & (post_date <= AS_OF.to_datetime64())
    has_fu = has_post & (fu_date <= AS_OF.to_datetime64()) & (rng.random(n) < 0.6)
    site_shift = rng.normal(0, 0.2)  # sites differ beyond what dose and delivery explain
    # in SD units of the scale: little change below half the dose, about one SD at full dose
    better = site_shift - 0.45 + 1.5 * dose + 0.08 * delivery
    informant = "foster_carer" if intervention.id == "keep" else "parent"
    frames = []

    def add(instrument, scale, pre, post, fu):
        for wave, when, value, keep in (("pre", pre_date, pre, np.ones(n, bool)),
                                        ("post", post_date, post, has_post),
                                        ("follow_up", fu_date, fu, has_fu)):
            frames.append(pd.DataFrame({
                "participant_id": parts["participant_id"].to_numpy()[keep], "site": p.site,
                "instrument": instrument, "informant": informant, "scale": scale,
                "wave": wave, "date": pd.to_datetime(when[keep]), "score": value[keep]}))

    if intervention.id == "keep":  # carers' parenting stress: lower is better
        pre = np.clip(np.rint(rng.normal(46, 9, n)), 18, 90)
        post = np.clip(np.rint(pre - 9 * better + rng.normal(0, 3.5, n)), 18, 90)
        fu = np.clip(np.rint(post + rng.normal(1.0, 3.5, n)), 18, 90)
        add("pss", "total", pre, post, fu)
    # SDQ: four problem scales sharing a common factor, their total, and prosocial
    common = rng.normal(0, 1, n)
    means = {"emotional": 3.5, "conduct": 3.5, "hyperactivity": 5.0, "peer": 3.0}
    totals = {w: np.zeros(n) for w in ("pre", "post", "fu")}
    for scale, m in means.items():
        pre = np.clip(np.rint(m + 1.6 * common + rng.normal(0, 1.4, n)), 0, 10)
        post = np.clip(np.rint(pre - 6 * better * m / 15 + rng.normal(0, 1.0, n)), 0, 10)
        fu = np.clip(np.rint(post + rng.normal(0.2, 0.8, n)), 0, 10)
        for w, v in (("pre", pre), ("post", post), ("fu", fu)):
            totals[w] += v
        add("sdq", scale, pre, post, fu)
    add("sdq", "total_difficulties", totals["pre"], totals["post"], totals["fu"])
    pro = np.clip(np.rint(rng.normal(6.5, 2, n)), 0, 10)
    pro_post = np.clip(np.rint(pro + 0.8 * better + rng.normal(0, 1.2, n)), 0, 10)
    add("sdq", "prosocial", pro, pro_post, np.clip(pro_post + rng.normal(0, 0.8, n).round(), 0, 10))
    return pd.concat(frames, ignore_index=True)


# -- barriers -------------------------------------------------------------------------------
_TOPICS = {  # phase -> topics that get in the way then
    "forberede": ["leadership", "funding", "collaboration"],
    "planlegge": ["recruitment", "referral", "practical_setup", "training_supervision",
                  "materials"],
    "implementere": ["attendance", "staffing", "documentation", "practical_setup",
                     "recruitment", "target_group_fit", "training_supervision"],
    "viderefore": ["funding", "staffing", "leadership"],
}
_DOMAIN = {"leadership": "inner_context", "funding": "outer_context",
           "collaboration": "bridging_factors", "recruitment": "bridging_factors",
           "referral": "bridging_factors", "practical_setup": "inner_context",
           "training_supervision": "bridging_factors", "materials": "innovation",
           "attendance": "innovation", "staffing": "inner_context",
           "documentation": "inner_context", "target_group_fit": "innovation"}
_STRATEGY = {"leadership": ["stakeholder_interrelationships", "evaluative_iterative"],
             "funding": ["financial_strategies", "stakeholder_interrelationships"],
             "collaboration": ["stakeholder_interrelationships"],
             "recruitment": ["stakeholder_interrelationships", "engage_consumers",
                             "train_educate"],
             "referral": ["train_educate", "stakeholder_interrelationships"],
             "practical_setup": ["change_infrastructure", "adapt_tailor"],
             "training_supervision": ["interactive_assistance", "support_clinicians"],
             "materials": ["adapt_tailor"],
             "attendance": ["engage_consumers", "adapt_tailor", "support_clinicians"],
             "staffing": ["train_educate", "support_clinicians"],
             "documentation": ["change_infrastructure", "interactive_assistance"],
             "target_group_fit": ["adapt_tailor", "evaluative_iterative"]}
_TEXT = {  # topic -> (barrier, solution) in Danish, then Norwegian
    "leadership": (("Ledelsen har ikke afsat tid til gruppelederne",
                    "Aftale med afdelingsleder om fast tid i kalenderen"),
                   ("Ledelsen har ikke satt av tid til terapeutene",
                    "Avtale med enhetsleder om faste timer i turnus")),
    "funding": (("Uvist om midlerne rækker efter projektperioden",
                 "Sag til udvalget med tal for fremmøde og udgifter"),
                ("Usikker finansiering etter prosjektperioden",
                 "Sak til hovedutvalget med tall for gjennomføring og kostnader")),
    "collaboration": (("Samarbejdet med plejefamiliekonsulenterne er uklart",
                       "Fælles møde om roller og henvisninger"),
                      ("Uklart samarbeid med skole og PPT",
                       "Felles møte om roller og henvisningsrutiner")),
    "recruitment": (("For få plejefamilier til at starte en gruppe",
                     "Informationsaften for plejefamilier og opslag i nyhedsbrevet"),
                    ("For få henviste familier første halvår",
                     "Informasjon på teammøter i barnevernet hver måned")),
    "referral": (("Sagsbehandlerne kender ikke målgruppen",
                  "Kort oplæg for sagsbehandlerne om hvem KEEP er for"),
                 ("Saksbehandlerne henviser familier utenfor målgruppen",
                  "Sjekkliste for henvisning laget sammen med barnevernet")),
    "practical_setup": (("Lokalet er optaget om aftenen",
                         "Aftale med medborgerhuset om fast lokale"),
                        ("Vanskelig å finne rom for økter utenfor hjemmet",
                         "Fast rom på familiesenteret to dager i uken")),
    "training_supervision": (("Lang ventetid på supervision af videooptagelser",
                              "Fast tid hos konsulenten hver uge"),
                             ("Lite veiledning mellom konsultasjonene",
                              "Intern veiledningsgruppe annenhver uke")),
    "materials": (("Eksemplerne i materialet passer dårligt til danske forhold",
                   "Eksempler tilpasset i samråd med metodeejeren"),
                  ("Skjemaene passer dårlig med norske begreper",
                   "Skjemaene oversatt og godkjent av tiltakseier")),
    "attendance": (("Familier udebliver i vinterferien",
                    "Ekstra opfølgningsopkald og tilbud om indhentning"),
                   ("Familier avlyser økter med kort varsel",
                    "Påminnelse på SMS dagen før og fleksible tider")),
    "staffing": (("En gruppeleder er stoppet midt i et forløb",
                  "Ny gruppeleder uddannet og parret med en erfaren"),
                 ("En terapeut har sluttet og teamet er for lite",
                  "Ny terapeut rekruttert og lært opp i neste kull")),
    "documentation": (("Registreringen af fremmøde tager for lang tid",
                       "Enkelt skema i fagsystemet til fremmøde"),
                      ("Dobbel registrering i fagsystem og eiers nettløsning",
                       "Avtale om eksport fra fagsystemet")),
    "target_group_fit": (("Netværksplejefamilier har svært ved aftentider",
                          "Gruppe i dagtimer for netværksplejefamilier"),
                         ("Ungdom som ikke vil delta hjemme",
                          "Økter på skolen eller fritidsklubben")),
}


def _barriers(p, rng) -> pd.DataFrame:


    start = pd.Timestamp(p.start)
    reached = ["forberede", "planlegge"] + (["implementere"] if p.stage >= 4 else []) \
        + (["viderefore"] if p.stage >= 7 else [])
    weights = {"forberede": 2, "planlegge": 3, "implementere": 5, "viderefore": 1}
    n = 3 + p.stage + (3 if p.site in ("902", "904") else 0)
    w = np.array([weights[ph] for ph in reached], float)
    phases = rng.choice(reached, n, p=w / w.sum())
    offset = {"forberede": (0, 120), "planlegge": (90, 260), "implementere": (240, 1200),
              "viderefore": (900, 1500)}
    rows, lang = [], 0 if p.country == "DK" else 1
    for i, ph in enumerate(phases):
        topics = _TOPICS[ph]
        if p.site == "904" and ph == "implementere" and rng.random() < 0.6:
            topic = "attendance"  # Mosebjerg loses families
        elif p.site == "902" and ph == "implementere" and rng.random() < 0.5:
            topic = "training_supervision"  # Bøgely's weak core delivery
        else:
            topic = topics[rng.integers(len(topics))]
        lo, hi = offset[ph]
        date = min(start + pd.Timedelta(days=int(rng.integers(lo, hi))), AS_OF)
        age = (AS_OF - date).days
        status = ("resolved" if age > 120 and rng.random() < 0.8
                  else "working_on_it" if rng.random() < 0.5 else "open")
        strategy = rng.choice(_STRATEGY[topic])
        result = (rng.choice(["helped", "partly_helped", "did_not_help"], p=[0.6, 0.28, 0.12])
                  if status == "resolved" else
                  rng.choice(["partly_helped", "did_not_help", "too_early"], p=[0.4, 0.2, 0.4])
                  if status == "working_on_it" else None)
        description, solution = _TEXT[topic][lang]
        rows.append({"barrier_id": f"B{i + 1:03d}", "site": p.site, "date": date,
                     "phase": ph, "core_element": {"forberede": 1, "planlegge": 3,
                                                   "implementere": 7, "viderefore": 9}[ph],
                     "domain": _DOMAIN[topic], "topic": topic, "description": description,
                     "severity": rng.choice(["low", "medium", "high"], p=[0.3, 0.45, 0.25]),
                     "solution": solution if status != "open" else None,
                     "strategy": strategy if status != "open" else None, "result": result,
                     "status": status,
                     "resolved": (date + pd.Timedelta(days=int(rng.integers(14, 110)))
                                  if status == "resolved" else pd.NaT)})
    out = pd.DataFrame(rows)
    out["resolved"] = pd.to_datetime(out["resolved"]).clip(upper=AS_OF)
    return out


# -- FRAME adaptations ----------------------------------------------------------------------
_ADAPT = {  # (component, description da/nb, what, nature, context_change, timing, planning,
    # decided_by, level, fidelity, goal, reason_level, national_transfer)
    "keep": [
        ("curriculum", "Materialet oversat og eksemplerne tilpasset danske plejefamilier",
         "content", "tailoring", None, "pre_implementation", "planned_proactive",
         "developer_purveyor", "target_group", "consistent", "fit_recipients",
         "sociopolitical", True),
        ("group_support", "Gruppe i dagtimer for netværksplejefamilier", "context", None,
         "format", "implementation", "planned_reactive", "intervention_team", "cohort",
         "consistent", "retention", "recipient", False),
        ("weekly_phone_call", "Ugentligt opkald erstattet af sms i ferieuger", "content",
         "substituting", None, "implementation", "unplanned_reactive", "practitioner",
         "individual_recipient", "inconsistent", "feasibility", "organisation", False),
        ("childcare", "Børnepasning hos kommunens dagpleje", "context", None, "setting",
         "pre_implementation", "planned_proactive", "programme_manager", "organisation",
         "consistent", "reach_engagement", "organisation", False),
        ("role_play", "Rollespil skåret ned når tiden var knap", "content", "shortening",
         None, "implementation", "unplanned_reactive", "practitioner", "target_group",
         "inconsistent", "feasibility", "provider", False),
        ("curriculum", "Supervision via video i stedet for fremmøde hos konsulenten",
         "training", "substituting", None, "implementation", "planned_proactive",
         "developer_purveyor", "organisation", "consistent", "reduce_cost", "organisation",
         True),
    ],
    "fft": [
        ("relational_assessment", "Skjema og begreper tilpasset barnevernloven",
         "content", "tailoring", None, "pre_implementation", "planned_proactive",
         "developer_purveyor", "network_community", "consistent", "fit_recipients",
         "sociopolitical", True),
        ("setting", "Økter på skolen for ungdom som ikke vil møte hjemme", "context", None,
         "setting", "implementation", "planned_reactive", "intervention_team",
         "individual_recipient", "consistent", "retention", "recipient", False),
        ("engagement", "Tolk i økter med familier som ikke snakker norsk", "context", None,
         "personnel", "implementation", "planned_reactive", "practitioner", "cohort",
         "consistent", "cultural_factors", "recipient", False),
        ("behaviour_change", "Atferdsendringsfasen forlenget ved mye konflikt", "content",
         "lengthening", None, "implementation", "planned_reactive", "intervention_team",
         "cohort", "consistent", "effectiveness", "recipient", False),
        ("relational_assessment", "Relasjonell kartlegging hoppet over ved akutt krise",
         "content", "removing", None, "implementation", "unplanned_reactive",
         "practitioner", "individual_recipient", "inconsistent", "feasibility", "recipient",
         False),
        ("engagement", "Dokumentasjon i kommunens fagsystem en periode", "evaluation",
         "substituting", None, "implementation", "unplanned_reactive", "administrator",
         "organisation", "unknown", "feasibility", "organisation", True),
    ],
}
_ADAPT_COLS = ["component", "description", "what", "nature", "context_change", "timing",
               "planning", "decided_by", "level", "fidelity", "goal", "reason_level",
               "national_transfer"]


def _adaptations(p, intervention, rng) -> pd.DataFrame:


    bank = pd.DataFrame(_ADAPT[p.intervention], columns=_ADAPT_COLS)
    n = min(len(bank), 1 + p.stage // 2 + (1 if p.site == "902" else 0))
    pick = bank.iloc[np.sort(rng.choice(len(bank), n, replace=False))].copy()
    if p.site == "902":  # Bøgely cut role play: its weak core delivery has a history
        pick = pd.concat([pick, bank[bank["component"] == "role_play"]]).drop_duplicates()
    start = pd.Timestamp(p.start)
    days = np.where(pick["timing"] == "pre_implementation", rng.integers(30, 200, len(pick)),
                    rng.integers(260, 1300, len(pick)))
    pick["date"] = [min(start + pd.Timedelta(days=int(d)), AS_OF) for d in days]
    pick["reason"] = None
    pick = pick.sort_values("date", kind="stable").reset_index(drop=True)
    pick.insert(0, "site", p.site)
    pick.insert(0, "adaptation_id", [f"A{i + 1:03d}" for i in range(len(pick))])
    return pick


# -- costs ------------------------------------------------------------------------------------
def _costs(p, intervention, tables, rng) -> pd.DataFrame:


    keep = p.intervention == "keep"
    cur, rate = ("DKK", 480.0) if p.country == "DK" else ("NOK", 720.0)
    staff, sessions = tables["staff"], tables["sessions"]
    n_staff = len(staff)
    quarters = pd.period_range(pd.Timestamp(p.start), AS_OF, freq="Q")
    first = (pd.to_datetime(staff["first_delivery"]).min() if staff["first_delivery"].notna()
             .any() else pd.NaT)
    rows = []
    ses_q = (pd.to_datetime(sessions["date"]).dt.to_period("Q").value_counts()
             if len(sessions) else pd.Series(dtype=int))
    minutes = (intervention.dosage.session_minutes or 60) / 60
    for k, q in enumerate(quarters):
        label = f"{q.year}-Q{q.quarter}"
        entries = []
        if k < 3:  # training, licences and the owner's start-up package come first
            entries.append(("training", n_staff * 37.5 / 3 * rng.uniform(0.8, 1.2),
                            (40000 if keep else 60000) * n_staff / 3
                            + (50000 if keep else 80000)))
        if k == 0:
            entries.append(("materials", None, 8000.0 if keep else 12000.0))
        if pd.notna(first) and q.end_time >= first:
            years_in = max((q.start_time - first).days, 0) / 365
            entries.append(("supervision", 1.5 * 13 * n_staff * (1 if years_in < 2 else 0.5),
                            (15000 if keep else 20000) * (1 if years_in < 2 else 0.4)))
            held = int(ses_q.get(q, 0))
            per = minutes + 1 + (1.2 if keep else 0)  # prep; KEEP: weekly calls to families
            entries.append(("delivery", held * per * (intervention.dosage.leaders_per_group or 1),
                            held * (500.0 if keep else 0.0)))
        entries.append(("coordination", 40.0 if k < 4 else 20.0, 0.0))
        if k % 4 == 3:
            entries.append(("evaluation", 12.0, 0.0))
        rows += [(label, *e) for e in entries]
    out = pd.DataFrame(rows, columns=["period", "activity_type", "hours", "other_costs"])
    out["hours"] = (out["hours"].astype(float).fillna(0) * 2).round() / 2
    out.insert(0, "cost_id", [f"K{i + 1:04d}" for i in range(len(out))])
    out.insert(1, "site", p.site)
    out["unit_cost"] = rate
    out["other_costs"] = out["other_costs"].astype(float).round()
    out["currency"] = cur
    return out


def tile_tables(p, intervention, tables, rng) -> dict[str, pd.DataFrame]:
    """The outcome, barrier, adaptation and cost tables of one example site."""
    return {"outcome_scores": _outcomes(p, intervention, tables, rng),
            "barriers": _barriers(p, rng), "adaptations": _adaptations(p, intervention, rng),
            "costs": _costs(p, intervention, tables, rng)}


_THEMES = {"keep": ("Rekruttering af plejefamilier; fremmøde og indhentning",
                    "Supervision og certificering; rollespil i praksis",
                    "Fastholdelse af netværksplejefamilier; forankring efter projektet"),
           "fft": ("Henvisning fra barnevernet; engasjement tidlig i forløpet",
                   "Dokumentasjon i eiers system; veiledning mellom konsultasjonene",
                   "Familier i krise; videreføring etter prosjektperioden")}
_ACTIONS = {"keep": "Hver kommune deler sin henvisningsfolder; næste møde følger op på fremmøde",
            "fft": "Teamene deler sjekkliste for henvisning; neste møte følger opp dokumentasjon"}


def example_meetings(profiles) -> pd.DataFrame:
    """Network meetings every four months per intervention, with the sites started by then."""


    rows = []
    for iv in sorted({p.intervention for p in profiles}):
        mine = [p for p in profiles if p.intervention == iv]
        first = min(pd.Timestamp(p.start) for p in mine) + pd.DateOffset(months=6)
        dates = pd.date_range(first, AS_OF, freq="4MS")
        for k, d in enumerate(dates):
            sites = [p.site for p in mine if pd.Timestamp(p.start) <= d]
            rows.append({"meeting_id": f"{iv}-{d:%Y-%m}", "date": d, "intervention": iv,
                         "sites": ";".join(sites), "themes": _THEMES[iv][k % 3],
                         "agreed_actions": _ACTIONS[iv],
                         "follow_up": d + pd.DateOffset(months=4)})
    return pd.DataFrame(rows)
