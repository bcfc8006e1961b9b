"""The monthly report to Kemensos (`hub report monthly`).

    queries    the report's tables, set-based in DuckDB (also read by the dashboard)
    workbook   the .xlsx with charts, and one CSV per sheet
    cli        the `hub report` commands, with Rich progress
"""

from hub.report.queries import POVERTY_TARGET, SHEETS, Period, SheetSpec
from hub.report.workbook import ReportSummary, monthly_report

__all__ = ["POVERTY_TARGET", "SHEETS", "Period", "ReportSummary", "SheetSpec", "monthly_report"]
