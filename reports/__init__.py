"""Reports and analytics, computed in DuckDB from staging, linkage's output and
the journal (what the API recorded). Neo4j is not needed: they work offline.

    queries     the monthly report's tables and sheets, set-based (`_rp_*` temp tables)
    api_facts   what the API recorded, from the journal, as the report's temp tables
    workbook    the .xlsx with charts, and one CSV per sheet (formula-safe cells)
    dashboard   the dashboard's figures and its HTML/SVG pages
    goals       the population, baseline and target the figures are weighed against
    errors      ReportError

hub/ wires them: `hub report monthly` (hub.report_cli) and `/dashboard` (hub.dashboard).
"""

from reports.errors import ReportError
from reports.goals import Goals
from reports.queries import SHEETS, Period, SheetSpec
from reports.workbook import ReportSummary, monthly_report

__all__ = [
    "SHEETS",
    "Goals",
    "Period",
    "ReportError",
    "ReportSummary",
    "SheetSpec",
    "monthly_report",
]
