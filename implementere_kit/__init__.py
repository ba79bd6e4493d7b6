"""implementere-kit: plan and evaluate the implementation of interventions in Nordic
municipal services for children and families.

Importing the package is cheap: names are resolved from their modules on first use, so
``import implementere_kit`` does not pull in pandas' heavier companions (DuckDB,
statsmodels, matplotlib, ipywidgets) until a function that needs them is called.

Examples
--------
>>> import implementere_kit as ik
>>> ik.load_framework("implementere").phases[0].label("nb")
'Forberede'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "ImplementereError": "errors",
    "ValidationError": "errors",
    "PrivacyError": "errors",
    "SchemaVersionError": "errors",
    "ProjectError": "errors",
    "UnknownNameError": "errors",
    "Problem": "errors",
    # frameworks
    "Framework": "plans.frameworks",
    "load_framework": "plans.frameworks",
    "list_frameworks": "plans.frameworks",
    "crosswalk": "plans.frameworks",
    "sic_phase_of_stage": "plans.frameworks",
    # intervention
    "Intervention": "plans.intervention",
    "Component": "plans.intervention",
    "DosageRule": "plans.intervention",
    "TheoryOfChange": "plans.intervention",
    "load_intervention": "plans.intervention",
    "list_interventions": "plans.intervention",
    # plan and progress
    "Plan": "plans.plan",
    "phase_progress": "plans.progress",
    "sic_scores": "plans.progress",
    "sic_summary": "plans.progress",
    # project store
    "Project": "store.project",
    # tables
    "validate_table": "store.tables",
    # fidelity
    "attendance_summary": "measures.fidelity",
    "dosage_summary": "measures.fidelity",
    "adherence": "measures.adherence_competence",
    "competence_summary": "measures.adherence_competence",
    "reach": "measures.fidelity",
    "dropout_by_session": "measures.fidelity",
    # control limits for proportions (funnel plots, p-charts)
    "funnel_limits": "measures.control",
    "p_chart": "measures.control",
    # the measures catalogue
    "site_measures": "measures.summary",
    "measure": "measures.catalogue",
    # instruments
    "Instrument": "measures.instruments",
    "load_instrument": "measures.instruments",
    "list_instruments": "measures.instruments",
    "score_instrument": "measures.instruments",
    "responses_from_long": "measures.instruments",
    # reliability
    "cronbach_alpha": "measures.reliability",
    "icc": "measures.reliability",
    "cohen_kappa": "measures.reliability",
    "fleiss_kappa": "measures.reliability",
    "ratings_to_counts": "measures.reliability",
    "krippendorff_alpha": "measures.reliability",
    "percent_agreement": "measures.reliability",
    "ReliabilityResult": "measures.reliability",
    "reliability_table": "measures.reliability",
    # exchange
    "find_personal_ids": "exchange.privacy",
    "find_ids_in_metadata": "exchange.privacy",
    "pseudonymise": "exchange.privacy",
    "check_no_personal_ids": "exchange.privacy",
    "is_valid_cpr": "exchange.privacy",
    "is_valid_fodselsnummer": "exchange.privacy",
    "read_table": "store.readers",
    "column_mapping": "store.readers",
    "UnreadableFileError": "store.readers",
    "export_package": "exchange.package",
    "open_package": "exchange.validate",
    "validate_package": "exchange.validate",
    "NetworkStore": "exchange.network",
    # reports
    "build_report": "report",
    "build_network_report": "report",
    "build_reports": "report",
    "evaluate": "report",
    # outcomes
    "implementation_outcomes": "measures.outcomes",
    "reaim_summary": "measures.outcomes",
    "network_outcomes": "measures.outcomes",
}

# family outcomes, components, barriers, FRAME adaptations, costs, network meetings
_EXPORTS.update({
    "outcome_change": "measures.outcome_change",
    "load_outcome_instrument": "measures.family_outcomes",
    "list_outcome_instruments": "measures.family_outcomes",
    "score_outcome": "measures.family_outcomes",
    "outcome_links": "measures.family_outcomes",
    "paired_effect_size": "measures.change",
    "reliable_change": "measures.change",
    "participant_exposure": "measures.components",
    "component_analysis": "measures.components",
    "implementation_cost": "measures.cost",
    "barrier_summary": "learning.barriers",
    "recommendations": "learning.barriers",
    "frame_profile": "learning.adaptations",
    "migrate_adaptation_log": "learning.adaptations",
    "meeting_pack": "learning.meetings",
    "MeetingLog": "learning.meetings",
})

#: Subpackages and modules reachable as attributes (``ik.examples.make_network``), imported
#: on first use like the names above.
_SUBMODULES = frozenset({"plans", "measures", "store", "exchange", "charts", "report",
                         "widgets", "examples", "errors", "i18n", "teaching", "learning"})

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'implementere_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .errors import (  # noqa: F401
        ImplementereError,
        PrivacyError,
        Problem,
        ProjectError,
        SchemaVersionError,
        UnknownNameError,
        ValidationError,
    )
    from .plans.frameworks import Framework, crosswalk, list_frameworks, load_framework  # noqa: F401
    from .plans.intervention import (  # noqa: F401
        Component,
        DosageRule,
        Intervention,
        TheoryOfChange,
        list_interventions,
        load_intervention,
    )
    from .plans.plan import Plan  # noqa: F401
    from .plans.progress import phase_progress, sic_scores, sic_summary  # noqa: F401
    from .store.project import Project  # noqa: F401
