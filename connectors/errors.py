"""Errors raised by connectors, for people who onboard sources.

    ConnectorError                  anything connectors/ raises on purpose
    ├── SourceConfigError           a source TOML is wrong (names the file and key)
    ├── SourceReadError             a source cannot be read (names file, row, column)
    │   ├── SourceEncodingError     bytes that are not in the declared encoding
    │   ├── MissingColumnError      a mapped column is not in the header
    │   ├── EmptySourceError        no data rows at all
    │   └── SourceHTTPError         an HTTP source answered with an error or bad JSON
    └── StagingError                DuckDB staging failed; earlier data is intact

Every message says what is wrong, where, and what to do next.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error connectors/ raises on purpose."""


class SourceConfigError(ConnectorError):
    def __init__(self, file: str, key: str | None, problem: str) -> None:
        self.file, self.key = file, key
        where = f"{file}: key '{key}'" if key else file
        super().__init__(f"{where}: {problem}")


class SourceReadError(ConnectorError):
    def __init__(
        self,
        file: str,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        source: str | None = None,
    ) -> None:
        self.file, self.row, self.column, self.source = file, row, column, source
        where = [file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = f"source {source}: " if source else ""
        super().__init__(f"{prefix}{', '.join(where)}: {problem}")


class SourceEncodingError(SourceReadError):
    pass


class MissingColumnError(SourceReadError):
    pass


class EmptySourceError(SourceReadError):
    pass


class SourceHTTPError(SourceReadError):
    pass


class StagingError(ConnectorError):
    pass


__all__ = [
    "ConnectorError",
    "EmptySourceError",
    "MissingColumnError",
    "SourceConfigError",
    "SourceEncodingError",
    "SourceHTTPError",
    "SourceReadError",
    "StagingError",
]
