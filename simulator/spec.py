"""What one emitted source is: its file, its owner and how its columns map."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class SourceSpec:
    id: str
    kind: str  # csv | xlsx | json
    organization: str
    organization_name: str
    organization_type: str  # agency | foundation | dinsos
    columns: dict[str, str]  # source header -> canonical field
    date_formats: list[str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    encoding: str = "utf-8"
    delimiter: str | None = None
    header_row: int | None = None
    title: str | None = None  # text in the row(s) above the header
    sheet: str | None = None
    content: str = "persons"  # persons | deciles (a DTSEN decile file)

    @property
    def file_name(self) -> str:
        return f"{self.id}.{self.kind}"


@dataclass(frozen=True)
class Emission:
    """A source's rows under its own headers, and who each row really is."""

    spec: SourceSpec
    frame: pd.DataFrame  # columns are the source's headers
    record_ids: pd.Series  # source_record_id per row
    person: pd.Series  # truth person index per row
    household: pd.Series  # truth household index per row
