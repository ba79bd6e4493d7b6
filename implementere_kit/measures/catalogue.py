"""The measures catalogue: every measure the toolkit shows, defined once, as data.

``measures.yaml`` (next to this module) lists each measure with its id, label and
definition in nb/da/en, numerator and denominator (ids of *sums*), unit, the tables it
reads, the intervention rule parameters it uses, which direction is better and its
threshold with the threshold's source. This module reads and checks that file and answers
questions about it; :mod:`implementere_kit.measures.engine` computes the measures.

Reports, spreadsheets, the dashboard, network indicators and share-back packages take a
measure's label, unit, direction and threshold from here by id, so the words and the
numbers cannot drift apart.

Examples
--------
>>> m = measure("completion")
>>> m.label("en"), m.numerator, m.denominator, m.unit
('Completion (of those who ended)', 'n_completed_ended', 'n_ended', 'share')
>>> measure("dropout").direction, measure("dropout").sensitive
('lower', ('numerator', 'complement'))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from .._data import LANGS, load_yaml, package_file
from ..errors import Problem, UnknownNameError, ValidationError

__all__ = ["Measure", "Sum", "Rules", "measure", "measures", "measure_ids", "sums", "families",
           "parameters", "share_ids", "completion_rule", "COMPLETION_RULES", "KINDS", "UNITS", "LEVELS"]

KINDS = ("ratio", "count", "max", "span")
UNITS = ("share", "count", "score", "days", "stage")
DIRECTIONS = ("higher", "lower", "none")
POOLS = ("ratio", "mean", "none")
LEVELS = ("all", "year", "month")
SECTIONS = ("status", "fidelity", "outcomes")
COMBINE = ("sum", "min", "max")
RULE_PARAMETERS = ("completion", "dosage.sessions", "dosage.min_attendance",
                   "dosage.makeups_count", "dosage.session_minutes", "dosage.leaders_per_group",
                   "dosage.max_group_size", "fidelity_threshold", "components")
#: How an intervention says a participant has completed: ``attendance`` (attended at least
#: the dosage rule's share of sessions, e.g. KEEP) or ``recorded`` (the practitioner records
#: the end as completed, e.g. FFT, where no owner rule counts sessions).
COMPLETION_RULES = ("attendance", "recorded")
_FILE = "measures.yaml"


@dataclass(frozen=True)
class Sum:
    """A count or total over one family's unit view (the SQL is an aggregate expression)."""

    id: str
    family: str
    sql: str
    combine: str
    labels: Mapping[str, str] = field(repr=False)

    def label(self, lang: str) -> str:
        return self.labels[lang]


@dataclass(frozen=True)
class Measure:
    """One measure of the catalogue (see the field list at the top of ``measures.yaml``)."""

    id: str
    family: str
    kind: str
    numerator: str
    denominator: str | None
    population: str | None
    sensitive: tuple[str, ...]
    unit: str
    labels: Mapping[str, str] = field(repr=False)
    definitions: Mapping[str, str] = field(repr=False)
    tables: tuple[str, ...] = ()
    rule: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    direction: str = "none"
    threshold: Mapping | None = None
    pool: str = "none"
    levels: tuple[str, ...] = ("all",)
    section: str = "fidelity"
    report: bool = True
    network: bool = True
    empty: str | None = None
    source: str = ""
    #: ``source`` in nb, da and en where it says more than a citation (empty: as published)
    sources: Mapping[str, str] = field(default_factory=dict, repr=False)

    def label(self, lang: str) -> str:
        """The measure's name in ``lang`` (nb, da or en)."""
        return self.labels[lang]

    def definition(self, lang: str) -> str:
        """How the measure is computed, in ``lang``."""
        return self.definitions[lang]

    def source_text(self, lang: str) -> str:
        """Where the measure comes from, in ``lang``: a citation reads as published."""
        return self.sources.get(lang) or self.source

    @property
    def sums(self) -> tuple[str, ...]:
        """The sums the measure reads (numerator, denominator, population)."""
        return tuple(dict.fromkeys(s for s in (self.numerator, self.denominator,
                                               self.population) if s))

    @property
    def is_share(self) -> bool:
        """A proportion: funnel plots and percentages apply."""
        return self.unit == "share"

    def missing(self, intervention) -> str | None:
        """Why ``intervention`` gives this measure no value (a rule parameter it lacks).

        Examples
        --------
        >>> from implementere_kit.plans.intervention import load_intervention
        >>> measure("sessions_on_time").missing(load_intervention("fft"))
        "intervention 'fft' sets no dosage.session_minutes"
        """
        for name in self.requires:
            if _rule_value(intervention, name) is None:
                return f"intervention {intervention.id!r} sets no {name}"
        return None

    def target(self, intervention=None) -> float | None:
        """The threshold a value must reach (or, for ``direction: lower``, stay under).

        A threshold given by a rule (``fidelity_threshold``, ``dosage.min_attendance``) is
        read from ``intervention``; None when there is none.

        Examples
        --------
        >>> from implementere_kit.plans.intervention import load_intervention
        >>> measure("adherence").target(load_intervention("keep"))
        0.8
        >>> measure("acceptability").target()
        4.0
        """
        t = self.threshold
        if not t:
            return None
        if "value" in t:
            return float(t["value"])
        if intervention is None:
            return None
        value = _rule_value(intervention, t["rule"])
        return None if value is None else float(value)


def _rule_value(intervention, name: str):
    if name == "fidelity_threshold":
        return intervention.fidelity_threshold
    if name.startswith("dosage.") and intervention.dosage is not None:
        return getattr(intervention.dosage, name.split(".", 1)[1], None)
    return None


@dataclass(frozen=True)
class Rules:
    """The intervention rule parameters the measures use, for one project or package.

    Examples
    --------
    >>> from implementere_kit.plans.intervention import load_intervention
    >>> r = Rules.of(load_intervention("keep"))
    >>> r.sessions, r.to_graduate, r.makeups_count, r.completion
    (16, 13, True, 'attendance')
    """

    intervention: str
    sessions: int | None = None
    to_graduate: int | None = None
    makeups_count: bool = True
    completion: str = "recorded"
    session_minutes: int | None = None
    leaders_per_group: int | None = None
    max_group_size: int | None = None
    fidelity_threshold: float | None = None
    core_components: tuple[str, ...] = ()
    components: tuple[str, ...] = ()

    @classmethod
    def of(cls, intervention, dosage: Mapping | None = None) -> Rules:
        """Rules from an :class:`~implementere_kit.plans.intervention.Intervention`;
        ``dosage`` (a package's recorded dosage rule) takes precedence over its own."""
        from ..plans.intervention import DosageRule

        rule = intervention.dosage
        if dosage and dosage.get("sessions"):
            known = {k: v for k, v in dosage.items()
                     if k in DosageRule.__dataclass_fields__ and v is not None}
            rule = DosageRule(**{**({} if rule is None else _fields(rule)), **known})
        return cls(intervention=intervention.id,
                   sessions=None if rule is None else rule.sessions,
                   to_graduate=None if rule is None else rule.sessions_to_graduate,
                   makeups_count=True if rule is None else bool(rule.makeups_count),
                   completion=completion_rule(intervention),
                   session_minutes=None if rule is None else rule.session_minutes,
                   leaders_per_group=None if rule is None else rule.leaders_per_group,
                   max_group_size=None if rule is None else rule.max_group_size,
                   fidelity_threshold=intervention.fidelity_threshold,
                   core_components=tuple(c.id for c in intervention.components
                                         if c.kind == "core"),
                   components=tuple(c.id for c in intervention.components))


def _fields(rule) -> dict:
    from dataclasses import asdict

    return asdict(rule)


_RECORDED = {"recorded", "practitioner", "therapist", "clinician", "end_reason", "clinical"}
_ATTENDANCE = {"attendance", "dosage", "sessions"}


def completion_rule(intervention) -> str:
    """How ``intervention`` says a participant has completed: ``"attendance"`` or
    ``"recorded"`` (see :data:`COMPLETION_RULES`).

    Read from the intervention's data: a ``completion`` entry on the intervention or on
    its dosage rule (a word, or a mapping with ``rule``). Without one, an intervention with
    a dosage rule completes by attendance (its ``min_attendance`` share of ``sessions``) and
    one without completes when the practitioner records it.

    Examples
    --------
    >>> from implementere_kit.plans.intervention import load_intervention
    >>> completion_rule(load_intervention("keep"))
    'attendance'
    """
    raw = getattr(intervention, "completion", None)
    if raw is None and intervention.dosage is not None:
        raw = getattr(intervention.dosage, "completion", None)
    if isinstance(raw, Mapping):
        raw = next((raw[k] for k in ("rule", "by", "kind") if raw.get(k)), None)
    if raw is None:
        return "attendance" if intervention.dosage is not None else "recorded"
    word = str(getattr(raw, "value", raw)).strip().lower()
    if word in _ATTENDANCE:
        return "attendance"
    if word in _RECORDED:
        return "recorded"
    raise ValidationError([Problem("unknown completion rule", resource=intervention.id,
                                   column="completion", expected=" or ".join(COMPLETION_RULES),
                                   found=word[:40])])


# -- reading and checking measures.yaml ------------------------------------------------------
def _text(raw, where: str, problems: list[Problem]) -> dict[str, str]:
    if isinstance(raw, Mapping) and all(isinstance(raw.get(lang), str) and raw[lang].strip()
                                        for lang in LANGS):
        return {lang: " ".join(raw[lang].split()) for lang in LANGS}
    problems.append(Problem("text missing in a language", file=_FILE, column=where,
                            expected="nb, da and en", found=type(raw).__name__))
    return dict.fromkeys(LANGS, "")


def _source(raw, where: str, problems: list[Problem]) -> dict:
    """A citation as published (one text), or a source with words of ours in nb/da/en."""
    if isinstance(raw, Mapping):
        tr = _text(raw, where, problems)
        return {"source": tr["en"], "sources": tr}
    return {"source": " ".join(str(raw or "").split()), "sources": {}}


def _one_of(value, allowed, where, problems) -> None:
    if value not in allowed:
        problems.append(Problem("value not allowed", file=_FILE, column=where,
                                expected="one of " + ", ".join(map(str, allowed)),
                                found=str(value)[:40]))


@lru_cache(maxsize=1)
def _load() -> tuple[dict, dict, dict, dict]:
    raw = load_yaml(package_file("measures", _FILE))
    problems: list[Problem] = []
    fams = dict(raw.get("families") or {})
    params = {k: v["value"] for k, v in (raw.get("parameters") or {}).items()}
    sums_out: dict[str, Sum] = {}
    for sid, s in (raw.get("sums") or {}).items():
        where = f"sums.{sid}"
        _one_of(s.get("family"), fams, where + ".family", problems)
        _one_of(s.get("combine", "sum"), COMBINE, where + ".combine", problems)
        if not isinstance(s.get("sql"), str) or not s["sql"].strip():
            problems.append(Problem("sql missing", file=_FILE, column=where + ".sql"))
        sums_out[sid] = Sum(sid, s.get("family"), " ".join(str(s.get("sql", "")).split()),
                            s.get("combine", "sum"), _text(s.get("label"), where + ".label",
                                                           problems))
    out: dict[str, Measure] = {}
    for m in raw.get("measures") or []:
        mid = m.get("id")
        where = f"measures.{mid}"
        if mid in out:
            problems.append(Problem("measure listed twice", file=_FILE, column=where))
        for key, allowed in (("kind", KINDS), ("unit", UNITS), ("direction", DIRECTIONS),
                             ("pool", POOLS), ("section", SECTIONS), ("family", fams)):
            _one_of(m.get(key), allowed, f"{where}.{key}", problems)
        for key in ("numerator", "denominator", "population"):
            sid = m.get(key)
            if sid is None and key != "numerator" and not (key == "denominator"
                                                          and m.get("kind") in ("ratio", "span")):
                continue
            _one_of(sid, sums_out, f"{where}.{key}", problems)
            if sid in sums_out and sums_out[sid].family != m.get("family"):
                problems.append(Problem("sum of another family", file=_FILE,
                                        column=f"{where}.{key}", expected=m.get("family"),
                                        found=sums_out[sid].family))
        for key, allowed in (("levels", LEVELS), ("rule", RULE_PARAMETERS),
                             ("requires", RULE_PARAMETERS),
                             ("parameters", params), ("sensitive", ("numerator", "complement"))):
            for v in m.get(key) or []:
                _one_of(v, allowed, f"{where}.{key}", problems)
        thr = m.get("threshold")
        if thr is not None and not (isinstance(thr, Mapping) and thr.get("source")
                                    and (isinstance(thr.get("value"), int | float)
                                         or thr.get("rule") in RULE_PARAMETERS)):
            problems.append(Problem("threshold needs a value or a rule, and a source",
                                    file=_FILE, column=f"{where}.threshold"))
        out[mid] = Measure(
            id=mid, family=m.get("family"), kind=m.get("kind"), numerator=m.get("numerator"),
            denominator=m.get("denominator"), population=m.get("population"),
            sensitive=tuple(m.get("sensitive") or ()), unit=m.get("unit"),
            labels=_text(m.get("label"), where + ".label", problems),
            definitions=_text(m.get("definition"), where + ".definition", problems),
            tables=tuple(m.get("tables") or ()), rule=tuple(m.get("rule") or ()),
            requires=tuple(m.get("requires") or ()),
            parameters=tuple(m.get("parameters") or ()), direction=m.get("direction"),
            threshold=thr, pool=m.get("pool"), levels=tuple(m.get("levels") or ("all",)),
            section=m.get("section"), report=bool(m.get("report", True)),
            network=bool(m.get("network", True)), empty=m.get("empty"),
            **_source(m.get("source"), where + ".source", problems))
    if problems:
        raise ValidationError(problems)
    return out, sums_out, fams, params


def measures() -> dict[str, Measure]:
    """Every measure of the catalogue, in catalogue order, by id."""
    return dict(_load()[0])


def measure_ids(*, section: str | None = None, report_only: bool = False,
                network_only: bool = False) -> list[str]:
    """Ids of the measures, optionally of one report section, shown in reports or
    computed for the network."""
    return [k for k, m in _load()[0].items()
            if (section is None or m.section == section) and (m.report or not report_only)
            and (m.network or not network_only)]


def share_ids() -> frozenset[str]:
    """Ids of the measures that are proportions (shown as percentages, funnel limits apply).

    Examples
    --------
    >>> "completion" in share_ids(), "participants" in share_ids()
    (True, False)
    """
    return frozenset(k for k, m in _load()[0].items() if m.is_share)


def measure(measure_id: str) -> Measure:
    """One measure by id; :class:`UnknownNameError` lists the known ones."""
    found = _load()[0].get(measure_id)
    if found is None:
        raise UnknownNameError("measure", measure_id, _load()[0])
    return found


def sums() -> dict[str, Sum]:
    """Every sum the measures are computed from, by id."""
    return dict(_load()[1])


def families() -> dict[str, dict]:
    """The unit views (families) with the tables they read."""
    return dict(_load()[2])


def parameters(**overrides) -> dict[str, float]:
    """The catalogue's constants (e.g. ``sustain_months``), with ``overrides`` applied.

    Examples
    --------
    >>> parameters(sustain_months=12)["sustain_months"], parameters()["partly_credit"]
    (12, 0.5)
    """
    out = dict(_load()[3])
    unknown = [k for k in overrides if k not in out]
    if unknown:
        raise UnknownNameError("measure parameter", unknown[0], out)
    out.update(overrides)
    return out


def format_value(value, unit: str, lang: str = "en") -> str:
    """A value as people read it: shares as whole percentages, scores with two decimals,
    days, stages and counts as whole numbers; ``–`` when missing.

    Examples
    --------
    >>> format_value(0.8125, "share", "da"), format_value(3.9583, "score", "nb")
    ('81 %', '3,96')
    >>> format_value(0.8125, "share"), format_value(3.9583, "score"), format_value(None, "count")
    ('81%', '3.96', '–')
    """
    from ..i18n import MISSING, fmt_number, fmt_percent

    try:
        v = float(value)
    except (TypeError, ValueError):
        return MISSING
    if math.isnan(v):
        return MISSING
    if unit == "share":
        return fmt_percent(v, lang)
    return fmt_number(v, lang, 2 if unit == "score" else 0)
