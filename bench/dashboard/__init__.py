"""The dashboard benchmark (``python -m bench --only dashboard``): ``run`` and its figures."""

from bench.dashboard.figures import DashboardFigures, run

__all__ = ["DashboardFigures", "run"]
