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
    "Framework": "frameworks",
    "load_framework": "frameworks",
    "list_frameworks": "frameworks",
    "crosswalk": "frameworks",
    "sic_phase_of_stage": "frameworks",
    # intervention
    "Intervention": "intervention",
    "Component": "intervention",
    "DosageRule": "intervention",
    "TheoryOfChange": "intervention",
    "Adaptation": "intervention",
    "load_intervention": "intervention",
    "list_interventions": "intervention",
    # plan and progress
    "Plan": "plan",
    "phase_progress": "progress",
    "sic_scores": "progress",
    "sic_summary": "progress",
    # project store
    "Project": "project",
    # tables
    "validate_table": "tables",
    # fidelity
    "attendance_summary": "fidelity",
    "dosage_summary": "fidelity",
    "adherence": "adherence_competence",
    "competence_summary": "adherence_competence",
    "reach": "fidelity",
    "dropout_by_session": "fidelity",
    # instruments
    "Instrument": "instruments",
    "load_instrument": "instruments",
    "list_instruments": "instruments",
    "score_instrument": "instruments",
    "responses_from_long": "instruments",
    # reliability
    "cronbach_alpha": "reliability",
    "icc": "reliability",
    "cohen_kappa": "reliability",
    "fleiss_kappa": "reliability",
    "ratings_to_counts": "reliability",
    "krippendorff_alpha": "reliability",
    "percent_agreement": "reliability",
    "ReliabilityResult": "reliability",
    "reliability_table": "reliability",
    # exchange
    "find_personal_ids": "exchange.privacy",
    "pseudonymise": "exchange.privacy",
    "check_no_personal_ids": "exchange.privacy",
    "is_valid_cpr": "exchange.privacy",
    "is_valid_fodselsnummer": "exchange.privacy",
    "read_table": "readers",
    "column_mapping": "readers",
    "UnreadableFileError": "readers",
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
    "implementation_outcomes": "outcomes",
    "reaim_summary": "outcomes",
    "network_outcomes": "outcomes",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'implementere_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    from .frameworks import Framework, crosswalk, list_frameworks, load_framework  # noqa: F401
    from .intervention import (  # noqa: F401
        Adaptation,
        Component,
        DosageRule,
        Intervention,
        TheoryOfChange,
        list_interventions,
        load_intervention,
    )
    from .plan import Plan  # noqa: F401
    from .progress import phase_progress, sic_scores, sic_summary  # noqa: F401
    from .project import Project  # noqa: F401
