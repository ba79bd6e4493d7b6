"""Guided screens (ipywidgets) for Jupyter and the Voila app."""
from .guide import PhaseGuide
from .plan_editor import PlanEditor
from .session import PROJECT_ENV, demo_project, notebook_project
from .start import StartScreen

__all__ = ["PhaseGuide", "PlanEditor", "StartScreen", "PROJECT_ENV", "demo_project", "notebook_project"]
