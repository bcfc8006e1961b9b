"""Write a source's rows as the file its owner would send: CSV, XLSX or JSON.

Files are byte-identical for the same input: XLSX archives get fixed
timestamps, because a spreadsheet otherwise records the moment it was saved.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from openpyxl import Workbook

from simulator.spec import SourceSpec

_FIXED_TIME = (2025, 7, 1, 0, 0, 0)
_STAMP = "2025-07-01T00:00:00Z"


def _as_text(frame: pd.DataFrame) -> pa.Table:
    arrays = [pa.array(frame[c].astype("str").where(frame[c].notna(), None)) for c in frame]
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def write_csv(frame: pd.DataFrame, spec: SourceSpec, path: Path) -> None:
    delimiter = spec.delimiter or ","
    if spec.encoding.replace("-", "").lower() in ("utf8", "utf8sig"):
        buf = io.BytesIO()
        options = pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed")
        pacsv.write_csv(_as_text(frame), buf, write_options=options)
        body = buf.getvalue().replace(b"\r\n", b"\n")
        with path.open("wb") as f:
            if spec.encoding.lower() == "utf-8-sig":
                f.write(b"\xef\xbb\xbf")
            if spec.title:
                f.write(spec.title.encode("utf-8") + b"\n")
            f.write(body)
        return
    text = frame.to_csv(index=False, sep=delimiter, lineterminator="\n")
    with path.open("w", encoding=spec.encoding, errors="replace", newline="") as f:
        if spec.title:
            f.write(spec.title + "\n")
        f.write(text)


def write_xlsx(frame: pd.DataFrame, spec: SourceSpec, path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.sheet or "Sheet1")
    if spec.title:
        ws.append([spec.title])
    ws.append([str(c) for c in frame.columns])
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    _freeze_zip(buf.getvalue(), path)


def _freeze_zip(data: bytes, path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + _STAMP.encode(),
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, content)


def write_json(frame: pd.DataFrame, spec: SourceSpec, path: Path) -> None:
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    with path.open("w", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False, default=str)


def write(frame: pd.DataFrame, spec: SourceSpec, path: Path) -> None:
    {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}[spec.kind](frame, spec, path)
