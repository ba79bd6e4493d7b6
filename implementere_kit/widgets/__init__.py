"""Guided screens for Jupyter and the Voila app (ipywidgets).

Each screen is a small class that builds its widgets, calls the library and shows the
result; all work and all checks happen in the library, and every change is saved to the
project folder at once. ``import implementere_kit`` does not import this package (nor
ipywidgets); import it where widgets are wanted:

>>> from implementere_kit.widgets import App, demo_project
>>> app = App(demo_project(tmp, scale=0.05), workspace=tmp)
>>> app.tab_ids
['start', 'guide', 'plan', 'intervention', 'data', 'exchange', 'dashboard', 'report']
"""

from .dashboard import Dashboard
from .exchange import ExchangeScreen
from .feedback import Feedback
from .fidelity_data import FidelityData
from .guide import PhaseGuide
from .intervention_editor import InterventionEditor
from .plan_editor import PlanEditor
from .report import ReportScreen
from .session import PROJECT_ENV, WORKSPACE_ENV, demo_project, notebook_project, open_workspace
from .shell import App
from .start import StartScreen

__all__ = ["App", "StartScreen", "PhaseGuide", "InterventionEditor", "PlanEditor",
           "FidelityData", "ExchangeScreen", "Dashboard", "ReportScreen", "Feedback",
           "PROJECT_ENV", "WORKSPACE_ENV", "demo_project", "notebook_project", "open_workspace"]
