"""Measures: fidelity, dose, adherence, competence, reach, survey instruments,
reliability and agreement, implementation outcomes. Instrument definitions live as YAML
in ``instrument_data/``."""
