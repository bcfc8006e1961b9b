from __future__ import annotations

from pathlib import Path

import pytest

from connectors import SourceConfigError, load_configs

BASE = 'id = "s1"\nkind = "csv"\nlocation = "a.csv"\norganization = "ORG"\n'


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_one_source_and_resolves_location_against_the_toml(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + '[columns]\n"Nama" = "full_name"\n[values.sex]\n"Pria" = "L"\n')
    [config] = load_configs(path)
    assert config.id == "s1"
    assert config.path == tmp_path / "a.csv"
    assert dict(config.columns) == {"Nama": "full_name"}
    assert config.values["sex"] == {"Pria": "L"}


def test_reads_a_directory_recursively_and_source_arrays(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", BASE + '[columns]\n"N" = "full_name"\n', "one.toml")
    many = "".join(
        f'[[source]]\nid = "m{i}"\nkind = "json"\nlocation = "m.json"\norganization = "O"\n'
        '[source.columns]\n"n" = "full_name"\n'
        for i in range(2)
    )
    write(tmp_path, many, "many.toml")
    assert sorted(c.id for c in load_configs(tmp_path)) == ["m0", "m1", "s1"]


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (BASE.replace('"csv"', '"ftp"') + '[columns]\n"N" = "full_name"\n', "kind", "unknown kind"),
        (BASE + '[columns]\n"N" = "nama"\n', "columns.N", "not a canonical field"),
        (
            BASE.replace('location = "a.csv"\n', "") + '[columns]\n"N" = "full_name"\n',
            "location",
            "missing",
        ),
        (BASE + 'colums = 1\n[columns]\n"N" = "full_name"\n', "colums", "unknown key"),
        (BASE + '[columns]\n"N" = "full_name"\n"M" = "full_name"\n', "columns.M", "already mapped"),
        (BASE.replace('"csv"', '"sql"') + '[columns]\n"N" = "full_name"\n', "query", "needs"),
    ],
)
def test_config_errors_name_the_file_and_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourceConfigError) as err:
        load_configs(path)
    assert str(path) in str(err.value)
    assert f"'{key}'" in str(err.value)
    assert words in str(err.value)


def test_duplicate_source_ids_are_refused(tmp_path: Path) -> None:
    write(tmp_path, BASE + '[columns]\n"N" = "full_name"\n', "a.toml")
    write(tmp_path, BASE + '[columns]\n"N" = "full_name"\n', "b.toml")
    with pytest.raises(SourceConfigError, match="already used"):
        load_configs(tmp_path)
