"""Plans: implementation frameworks (implementere.no, EPIS, NIRN, drejebog, SIC) and their
crosswalks, interventions with their owners' support, implementation plans, progress and
SIC scores. Definitions live as YAML next to the code (``framework_data/``,
``interventions/``)."""
