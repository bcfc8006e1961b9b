"""Errors raised by the linkage package, caught by meaning.

LinkageError                 anything linkage cannot do with what it was given
├── NoStagedRecordsError     `current_records` is missing or empty: run `hub ingest`
├── NotLinkedError           no linkage output yet: run `hub ingest` and `hub link`
├── ModelError               the saved person model is missing, unreadable or stale
├── EngineError              the chosen engine (duckdb | spark) cannot run here
├── ReviewError              a review decision names an unknown pair or decision
└── TruthFileError           an evaluation truth file is missing or malformed
"""

from __future__ import annotations

__all__ = [
    "EngineError",
    "LinkageError",
    "ModelError",
    "NoStagedRecordsError",
    "NotLinkedError",
    "ReviewError",
    "TruthFileError",
]


class LinkageError(Exception):
    """An error with a message fit for the person at the terminal."""


class NoStagedRecordsError(LinkageError):
    def __init__(self, detail: str = "") -> None:
        message = "no staged records: run `hub ingest` first"
        super().__init__(f"{message} ({detail})" if detail else message)


class NotLinkedError(LinkageError):
    """What the linkage output is computed from is missing."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"nothing linked yet: {', '.join(missing)} missing; "
            "run `hub ingest` and `hub link` first."
        )
        self.missing = missing


class ModelError(LinkageError):
    pass


class EngineError(LinkageError):
    pass


class ReviewError(LinkageError):
    pass


class TruthFileError(LinkageError):
    pass
