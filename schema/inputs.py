"""Small rules every mutation applies to its input: the time a write happens, and
free text that must say something."""

from __future__ import annotations

from datetime import UTC, datetime

from schema.errors import InputError


def now() -> datetime:
    """The time a write is recorded, in UTC."""
    return datetime.now(UTC)


def required_text(field: str, value: str) -> str:
    """`value` without surrounding blanks; an empty one is an input error on `field`."""
    if not value.strip():
        raise InputError(field, "must not be empty.")
    return value.strip()


__all__ = ["now", "required_text"]
