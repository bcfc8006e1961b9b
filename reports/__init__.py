"""Reports and analytics, computed in DuckDB from staging, linkage's output and
the journal (what the API recorded). Neo4j is not needed: they work offline.

    queries     the monthly report's tables and sheets, set-based (`_rp_*` temp tables)
    api_facts   what the API recorded, from the journal, as the report's temp tables
    workbook    the .xlsx with charts, and one CSV per sheet (formula-safe cells)
    dashboard   the dashboard's figures and its HTML/SVG pages
    errors      ReportError

hub/ wires them: `hub report monthly` (hub.report_cli) and `/dashboard` (hub.dashboard).
"""

from reports.errors import ReportError
from reports.queries import POVERTY_TARGET, SHEETS, Period, SheetSpec
from reports.workbook import ReportSummary, monthly_report

__all__ = [
    "POVERTY_TARGET",
    "SHEETS",
    "Period",
    "ReportError",
    "ReportSummary",
    "SheetSpec",
    "monthly_report",
]
