"""Source configurations written by `write_config` read back to the same values,
whatever text they hold; what the reader would refuse is never written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors import SourceConfigError, write_config
from connectors.config import parse_config, read_config_file

#: Text a TOML writer built from f-strings gets wrong.
TRICKY = [
    'Yayasan "Harapan" Bandung',
    "C:\\data\\sumber\\yayasan.csv",
    "two\nlines\r\nand a tab\there",
    "a bell \x07, an escape \x1b and a delete \x7f",
    "ꦧꦤ꧀ꦢꦸꦁ (Javanese), 万隆, Bandung 🌋",
    "ends with a backslash \\",
    "''' and \"\"\" and ' and \\\" together",
    'key = "value" # not a comment',
    "[values.sex]",
    "",
]


def declaration(text: str) -> dict[str, Any]:
    return {
        "id": "yayasan-tricky",
        "kind": "csv",
        "location": "../sources/yayasan tricky.csv",
        "organization": "ORG-TRICKY",
        "organization_name": text,
        "organization_type": "foundation",
        "delimiter": ";",
        "header_row": 2,
        "date_formats": ["%d-%m-%Y", "%B %Y"],
        "personal": ["nik", "full_name"],
        "columns": {f"Nama {text}": "full_name", "N.I.K = no": "nik"},
        "values": {"sex": {text: "L", "Perempuan": "P"}},
        "services": {"program": f"Jenis {text}"},
    }


@pytest.mark.parametrize("text", TRICKY)
def test_a_written_config_reads_back_to_the_same_values(tmp_path: Path, text: str) -> None:
    file = tmp_path / "config" / "yayasan-tricky.toml"
    data = declaration(text)
    write_config(file, data)
    [read] = read_config_file(file)
    assert read == parse_config(data, file)
    assert read.organization_name == text
    assert read.columns == {f"Nama {text}": "full_name", "N.I.K = no": "nik"}
    assert read.values == {"sex": {text: "L", "Perempuan": "P"}}
    assert read.services == {"program": f"Jenis {text}"}
    assert list(file.parent.iterdir()) == [file]  # no temporary file left behind


def test_a_config_the_reader_would_refuse_is_not_written(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    data = declaration("Yayasan") | {"kind": "fax"}
    with pytest.raises(SourceConfigError, match="unknown kind 'fax'"):
        write_config(file, data)
    assert list(tmp_path.iterdir()) == []


def test_text_that_is_not_unicode_is_refused_with_the_file_named(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    with pytest.raises(SourceConfigError, match="not valid Unicode") as caught:
        write_config(file, declaration("half a pair \ud800"))
    assert str(file) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_value_toml_cannot_hold_is_refused_with_the_file_named(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    with pytest.raises(SourceConfigError, match="cannot be written as TOML") as caught:
        write_config(file, declaration("Yayasan") | {"sheet": None})
    assert str(file) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_config_is_replaced_whole(tmp_path: Path) -> None:
    file = tmp_path / "yayasan-tricky.toml"
    write_config(file, declaration("first"))
    write_config(file, declaration("second"))
    assert read_config_file(file)[0].organization_name == "second"
