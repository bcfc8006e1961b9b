"""Errors the reports show to people: the CLI prints them as one line (it
catches `ReportError` with the other packages' errors, see hub.cli.USER_ERRORS)."""

from __future__ import annotations


class ReportError(Exception):
    """A report cannot be made from what it was given (a bad month, no linked
    data, a file that cannot be written); the message says what to do."""


__all__ = ["ReportError"]
