"""JSON files: an array of objects, or an object holding one (`{"data": [...]}`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from connectors.base import Reader, arrow_from_rows
from connectors.config import SourceConfig
from connectors.errors import EmptySourceError, SourceReadError

_CONTAINER_KEYS = ("data", "records", "items", "results", "rows")


class JsonReader(Reader):
    kind = "json"

    def read(self, config: SourceConfig) -> pa.Table:
        path = config.path
        if not path.is_file():
            raise SourceReadError(str(path), "file not found; check 'location'.", source=config.id)
        raw = path.read_bytes()
        if not raw.strip():
            raise EmptySourceError(str(path), "the file is empty.", source=config.id)
        try:
            text = raw.decode(config.encoding)
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise SourceReadError(
                str(path), f"bytes are not valid {config.encoding}; set 'encoding'.",
                row=line, source=config.id,
            ) from exc  # fmt: skip
        records = parse_records(text, str(path), config, records_path=None)
        return records_to_arrow(records, first_row=1)


def parse_records(
    text: str, where: str, config: SourceConfig, records_path: str | None
) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceReadError(
            where,
            f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
            row=exc.lineno,
            source=config.id,
        ) from exc
    return find_records(doc, where, config, records_path)


def find_records(
    doc: Any, where: str, config: SourceConfig, records_path: str | None
) -> list[dict[str, Any]]:
    if records_path:
        for part in records_path.split("."):
            if not isinstance(doc, dict) or part not in doc:
                raise SourceReadError(
                    where, f"no '{records_path}' in the response; check http.records_path.",
                    source=config.id,
                )  # fmt: skip
            doc = doc[part]
    elif isinstance(doc, dict):
        key = next((k for k in _CONTAINER_KEYS if isinstance(doc.get(k), list)), None)
        if key is None:
            raise SourceReadError(
                where, f"expected an array of objects or an object with one of {_CONTAINER_KEYS}.",
                source=config.id,
            )  # fmt: skip
        doc = doc[key]
    if not isinstance(doc, list):
        raise SourceReadError(where, "expected an array of objects.", source=config.id)
    for i, item in enumerate(doc, start=1):
        if not isinstance(item, dict):
            raise SourceReadError(
                where, f"record {i} is {type(item).__name__}, not an object.", row=i,
                source=config.id,
            )  # fmt: skip
    return doc


def records_to_arrow(records: Sequence[dict[str, Any]], first_row: int) -> pa.Table:
    columns: dict[str, None] = {}
    for rec in records:
        for key in rec:
            columns.setdefault(str(key), None)
    names = list(columns)
    rows = [[rec.get(k) for k in names] for rec in records]
    return arrow_from_rows(names, rows, range(first_row, first_row + len(rows)))


__all__ = ["JsonReader"]
