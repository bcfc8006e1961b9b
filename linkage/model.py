"""The person model: Splink comparisons and blocking for Indonesian welfare records.

Trained unsupervised (u by random sampling, m by EM on a few blocking rules) and
saved as versioned JSON under the model directory: `person-model-v{N}.json`.
The newest version is the one used; older versions stay for audit.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
from splink import Linker, SettingsCreator, block_on
from splink.comparison_level_library import And, Or

from linkage.errors import ModelError

__all__ = [
    "DOB_SQL",
    "HOME_KEY_SQL",
    "MODEL_INPUT",
    "NAMES_AGREE_SQL",
    "NAMES_DISAGREE_GAMMA",
    "NIK_SQL",
    "TF_COLUMNS",
    "WRITTEN_DATES_AGREE_GAMMA",
    "SavedModel",
    "latest_model",
    "load_model",
    "names_agree",
    "person_settings",
    "prediction_blocking_rules",
    "save_model",
    "train_person_model",
]

#: One dwelling: street and house number (RT/RW and kelurahan checked where known).
HOME_KEY_SQL = (
    "CASE WHEN street_clean IS NOT NULL AND house_number_clean IS NOT NULL "
    "THEN street_clean || '|' || house_number_clean END"
)

#: The NIK, unless it is someone else's: clerks write the head of family's NIK for
#: every member, so a NIK that disagrees with the record's own birth date while
#: other people (other first names) carry it too is not used; nor a KK written as NIK.
NIK_SQL = (
    "CASE WHEN nik_is_kk OR (nik_date_mismatch AND count(DISTINCT first_name_phonetic) "
    "OVER (PARTITION BY nik_clean) > 1) THEN NULL ELSE nik_clean END"
)

#: A pair may be linked without a clerk only when the names have something in
#: common (any level of the name comparison but "all other"): a NIK and a birth
#: date that agree under names sharing no word, sound or alias are most often a
#: head of family's NIK written for a member whose own birth date is missing.
#: Batch (linkage.pipeline) and real time (linkage.realtime) both apply it
#: (NAMES_AGREE_SQL and names_agree, defined after the birth-date comparison).
#: Except where both records' own written birth dates agree (not a date read from
#: a NIK): then a name with nothing in common is a nickname ("Yana" for Mulyana,
#: "Iis" for Iskandar), and the pair links on its score like any other.
NAMES_DISAGREE_GAMMA = 0

#: Birth years this far apart (and not one digit slip) are two generations:
#: parent and child, who share a household, a phone and often a name and a NIK.
GENERATION_YEARS = 13

#: Birth date, else the date inside the NIK (a record often has only one of them).
DOB_SQL = "coalesce(birth_date_clean, nik_birth_date)"

#: The person model's input: its column name -> SQL over the standardised records
#: (see linkage.standardise.OUTPUT_COLUMNS).
MODEL_INPUT: dict[str, str] = {
    "record_key": "record_key",
    "nik_clean": NIK_SQL,
    "kk_clean": "kk_clean",
    "name_clean": "name_clean",
    "first_name": "first_name",
    "last_name": "last_name",
    "name_phonetic": "name_phonetic",
    "first_name_phonetic": "first_name_phonetic",
    "first_name_alias": "first_name_alias",
    "name_key": "name_key",
    "name_tokens": "name_tokens",
    "birth_date": DOB_SQL,
    "birth_written": "birth_date_clean",
    "birth_year": f"year({DOB_SQL})",
    "birth_month": f"month({DOB_SQL})",
    "birth_day": f"day({DOB_SQL})",
    "nik_birth_date": "nik_birth_date",
    "sex": "coalesce(sex_clean, nik_sex)",
    "kelurahan_code": "kelurahan_code",
    "kecamatan_code": "kecamatan_code",
    "rt": "rt_clean",
    "rw": "rw_clean",
    "street_clean": "street_clean",
    "address_key": "address_key",
    "home_key": HOME_KEY_SQL,
    "phone_clean": "phone_clean",
    # neither NIK nor birth date: a name-only row (its own column, so that the name
    # comparison does not use nik_clean and is still trained by EM on the NIK block)
    "name_only": f"({NIK_SQL}) IS NULL AND ({DOB_SQL}) IS NULL",
}

#: Columns with term-frequency adjustment ("Asep" agreeing says less than "Hermawan"):
#: the full name, the NIK (a shared head-of-family NIK is frequent) and the first
#: name, for the levels where only one word agrees (Asep, Siti, Nur, Muhammad).
TF_COLUMNS: tuple[str, ...] = ("name_clean", "nik_clean", "first_name_alias")

_MODEL_FILE = re.compile(r"^person-model-v(\d+)\.json$")


def _null(*cols: str) -> dict[str, Any]:
    either = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)
    return {"sql_condition": either, "label_for_charts": "missing", "is_null_level": True}


def _eq(col: str, label: str, tf: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": f"{col}_l = {col}_r", "label_for_charts": label}
    if tf:
        level["tf_adjustment_column"] = col
        level["tf_adjustment_weight"] = 1.0
    return level


def _sql(condition: str, label: str) -> dict[str, Any]:
    return {"sql_condition": condition, "label_for_charts": label}


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "all other"}


#: SQL that reads the same in DuckDB and Spark (the spark engine runs the same model).
def _count(words: str) -> str:
    return f"cardinality({words})"


def _within(inner: str, outer: str) -> str:
    """Every word of `inner` is a word of `outer`."""
    return f"cardinality(array_intersect({outer}, {inner})) = cardinality(array_distinct({inner}))"


#: One name's words all among the other's (order ignored), the shorter side non-empty.
_WORDS_WITHIN = (
    f"{_count('name_tokens_l')} >= 1 AND {_count('name_tokens_r')} >= 1 AND "
    f"{_count('name_tokens_l')} <> {_count('name_tokens_r')} AND "
    f"({_within('name_tokens_r', 'name_tokens_l')} OR {_within('name_tokens_l', 'name_tokens_r')})"
)


def _nik() -> dict[str, Any]:
    return {
        "output_column_name": "nik",
        "comparison_description": "NIK, with one-typo tolerance (not when it is shared)",
        "comparison_levels": [
            _null("nik_clean"),
            _eq("nik_clean", "exact", tf=True),
            {
                # Twins, and two people born the same day in one kecamatan, get
                # consecutive serials (...0001, ...0002): as often that as a slip
                # of the last digit, so neither for nor against (m = u).
                "sql_condition": "left(nik_clean_l, 15) = left(nik_clean_r, 15) "
                "AND abs(CAST(right(nik_clean_l, 1) AS INTEGER) "
                "- CAST(right(nik_clean_r, 1) AS INTEGER)) = 1",
                "label_for_charts": "consecutive serials (twins, or born the same day nearby)",
                "m_probability": 0.001,
                "u_probability": 0.001,
                "fix_m_probability": True,
                "fix_u_probability": True,
            },
            # cheap equality first: DuckDB only computes the distance where it holds
            And(
                cll.CustomLevel("left(nik_clean_l, 12) = left(nik_clean_r, 12)"),
                cll.DamerauLevenshteinLevel("nik_clean", 1),
            ).configure(label_for_charts="one typo in the serial digits"),
            # A one-digit difference in the date digits: weak evidence, fixed
            # rather than learned from random pairs. One in the region digits
            # (date and serial equal) is no level of its own: serials start at
            # 0001 in every kecamatan, so it is most often two people born the
            # same day in neighbouring kecamatan, and counts as another NIK.
            And(
                cll.CustomLevel(
                    "left(nik_clean_l, 6) = left(nik_clean_r, 6) "
                    "AND right(nik_clean_l, 4) = right(nik_clean_r, 4)"
                ),
                cll.DamerauLevenshteinLevel("nik_clean", 1),
            ).configure(
                label_for_charts="one typo in the date digits",
                m_probability=0.02,
                u_probability=0.01,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            _ELSE,
        ],
    }


#: Two names that are one name of two words or more: equal, the same words in
#: another order, or every word of a two-word name within the other.
_SAME_NAME_2 = (
    "last_name_l IS NOT NULL AND last_name_r IS NOT NULL AND (name_key_l = name_key_r "
    f"OR ({_count('name_tokens_l')} >= 2 AND {_count('name_tokens_r')} >= 2 AND ("
    f"{_within('name_tokens_r', 'name_tokens_l')} OR {_within('name_tokens_l', 'name_tokens_r')})))"
)
_NAME_ONLY = "name_only_l OR name_only_r"
_SAME_HOME_OR_PHONE = (
    "(home_key_l = home_key_r AND coalesce(kelurahan_code_l = kelurahan_code_r, true)) "
    "OR phone_clean_l = phone_clean_r"
)


def _name() -> dict[str, Any]:
    first_agrees = Or(
        cll.ExactMatchLevel("first_name_alias"), cll.ExactMatchLevel("first_name_phonetic")
    )
    return {
        "output_column_name": "name",
        "comparison_description": "full name after standardisation (titles, Muhammad, ejaan lama)",
        "comparison_levels": [
            _null("name_clean"),
            {
                # A foundation's "Hermawan Gumilar" with no NIK and no birth date, at
                # the registry's Hermawan Gumilar's house or phone: the household
                # comparison alone scores it as any family member, but a family
                # seldom holds two people with one full name. Fixed u: random pairs
                # (the u sample) almost never agree on both.
                # Only where one side has neither NIK nor birth date, so the level
                # takes nothing from the pairs EM learns on (and never occurs in
                # them): m and u are fixed.
                "sql_condition": f"({_SAME_NAME_2}) AND ({_SAME_HOME_OR_PHONE}) AND ({_NAME_ONLY})",
                "label_for_charts": "no NIK or birth date on one side: same name "
                "(two words or more) at the same house or phone",
                "m_probability": 0.3,
                "u_probability": 1e-6,
                "fix_m_probability": True,
                "fix_u_probability": True,
            },
            _eq("name_clean", "exact", tf=True),
            _eq("name_key", "same name tokens"),
            _eq("name_phonetic", "same phonetic key"),
            And(
                cll.CustomLevel("abs(length(name_clean_l) - length(name_clean_r)) <= 2"),
                cll.DamerauLevenshteinLevel("name_clean", 2),
            ).configure(label_for_charts="typo (damerau-levenshtein <= 2)"),
            {
                # "Engkos" on a foundation's list, "Engkos Gunawan" in the registry
                "sql_condition": "first_name_alias_l = first_name_alias_r "
                "AND (last_name_l IS NULL OR last_name_r IS NULL)",
                "label_for_charts": "single name, agrees with the first name",
                # Where one side has only one name, agreeing on it is what a match
                # looks like: m as for a name that agrees, not the share of all true
                # pairs that happen to have a mononym (which EM would learn).
                "m_probability": 0.5,
                "fix_m_probability": True,
                # one "Asep" agreeing with "Asep Sunandar" says less than one "Engkos"
                "tf_adjustment_column": "first_name_alias",
                "tf_adjustment_weight": 1.0,
            },
            {
                # token level: "Fajar Suryana" for "Muhammad Fajar Suryana", "Nurjanah"
                # for "Neneng Nurjanah": every word of one name is a word of the other
                "sql_condition": f"{_WORDS_WITHIN}",
                "label_for_charts": "every word of one name is in the other (words missing)",
            },
            And(
                first_agrees,
                Or(
                    cll.NullLevel("last_name"),
                    cll.JaroWinklerLevel("last_name", 0.85),
                ),
            ).configure(label_for_charts="first name agrees, surname similar or absent"),
            cll.JaroWinklerLevel("name_clean", 0.85).configure(
                label_for_charts="jaro-winkler >= 0.85"
            ),
            # Asep, Siti, Nur, Muhammad agreeing alone say little: term frequency
            _eq("first_name_alias", "first name only", tf=True),
            _eq("first_name_phonetic", "first name only, by sound"),
            _ELSE,
        ],
    }


def _placeholder(side: str) -> str:
    """An unknown birthday written as 1 January, 1 July or 31 December of the year."""
    d, m = f"birth_day_{side}", f"birth_month_{side}"
    return f"(({d} = 1 AND {m} IN (1, 7)) OR ({d} = 31 AND {m} = 12))"


def _birth_date() -> dict[str, Any]:
    return {
        "output_column_name": "birth_date",
        "comparison_description": "birth date, else the date inside the NIK",
        "comparison_levels": [
            {
                "sql_condition": "birth_date_l IS NULL OR birth_date_r IS NULL",
                "label_for_charts": "missing",
                "is_null_level": True,
            },
            # 1 July 1989 on both sides is only "born in 1989" twice: the
            # placeholder level below, not an exact date
            _sql(
                f"birth_written_l = birth_written_r AND NOT {_placeholder('l')}",
                "exact, as written on both records",
            ),
            _sql(
                f"birth_date_l = birth_date_r AND NOT {_placeholder('l')}",
                "exact (one side read from the NIK)",
            ),
            _sql(
                "birth_year_l = birth_year_r AND birth_day_l = birth_month_r "
                "AND birth_month_l = birth_day_r",
                "day and month swapped",
            ),
            _sql(
                "damerau_levenshtein(CAST(birth_date_l AS VARCHAR), "
                "CAST(birth_date_r AS VARCHAR)) <= 1",
                "one digit slip (17/27, 1975/1957)",
            ),
            _sql(
                f"birth_year_l = birth_year_r AND ({_placeholder('l')} OR {_placeholder('r')})",
                "same year, one side a placeholder date (1 Jan, 1 Jul, 31 Dec)",
            ),
            _sql(
                "birth_year_l = birth_year_r AND (birth_month_l = birth_month_r "
                "OR birth_day_l = birth_day_r)",
                "same year, day or month differs",
            ),
            _sql(
                "birth_month_l = birth_month_r AND birth_day_l = birth_day_r "
                "AND abs(birth_year_l - birth_year_r) <= 10",
                "same day and month, year differs",
            ),
            {
                # Father and son both "Iwan", the head's NIK written for the son:
                # NIK, name and household all agree, only the dates tell a
                # generation apart. A true pair this far apart and not one digit
                # slip (the level above) is rare enough to settle it: m fixed tiny, u learned.
                "sql_condition": f"abs(birth_year_l - birth_year_r) >= {GENERATION_YEARS}",
                "label_for_charts": f"born {GENERATION_YEARS} or more years apart "
                "(another generation)",
                "m_probability": 1e-7,
                "fix_m_probability": True,
            },
            _ELSE,
        ],
    }


def _birth_levels() -> int:
    return sum(1 for level in _birth_date()["comparison_levels"] if not level.get("is_null_level"))


#: gamma_birth_date of "exact, as written on both records" (the top level)
WRITTEN_DATES_AGREE_GAMMA = _birth_levels() - 1
NAMES_AGREE_SQL = (
    f"(gamma_name <> {NAMES_DISAGREE_GAMMA} OR gamma_birth_date = {WRITTEN_DATES_AGREE_GAMMA})"
)


def names_agree(pair: dict[str, Any]) -> bool:
    """NAMES_AGREE_SQL for one scored pair (real time)."""
    return (
        pair.get("gamma_name") != NAMES_DISAGREE_GAMMA
        or pair.get("gamma_birth_date") == WRITTEN_DATES_AGREE_GAMMA
    )


def _sex() -> dict[str, Any]:
    return {
        "output_column_name": "sex",
        "comparison_levels": [_null("sex"), _eq("sex", "exact"), _ELSE],
    }


def _household() -> dict[str, Any]:
    """KK, dwelling and phone as one comparison.

    They all say "same household", not "same person": scored separately they
    would add up and link every member of a family into one person.
    """
    same_kk = "kk_clean_l = kk_clean_r"
    same_home = (
        "home_key_l = home_key_r "
        "AND coalesce(kelurahan_code_l = kelurahan_code_r, true) "
        "AND coalesce(rt_l = rt_r, true) AND coalesce(rw_l = rw_r, true)"
    )
    same_phone = "phone_clean_l = phone_clean_r"
    missing = " OR ".join(
        f"(kk_clean_{s} IS NULL AND address_key_{s} IS NULL AND home_key_{s} IS NULL "
        f"AND kelurahan_code_{s} IS NULL AND rt_{s} IS NULL AND phone_clean_{s} IS NULL)"
        for s in "lr"
    )
    return {
        "output_column_name": "household",
        "comparison_description": "KK number, dwelling (kelurahan, RT/RW, street, number), phone",
        "comparison_levels": [
            {"sql_condition": missing, "label_for_charts": "missing", "is_null_level": True},
            _sql(f"{same_kk} AND ({same_home} OR {same_phone})", "same KK and house or phone"),
            _sql(same_kk, "same KK"),
            _sql(f"{same_home} AND {same_phone}", "same house and phone"),
            _sql(same_home, "same house"),
            _sql(same_phone, "same phone"),
            And(
                cll.CustomLevel("left(kk_clean_l, 6) = left(kk_clean_r, 6)"),
                cll.DamerauLevenshteinLevel("kk_clean", 1),
            ).configure(label_for_charts="KK one typo"),
            And(
                cll.CustomLevel("address_key_l = address_key_r"),
                cll.JaroWinklerLevel("street_clean", 0.88),
            ).configure(label_for_charts="same RT/RW and kelurahan, similar street"),
            _eq("address_key", "same RT/RW and kelurahan"),
            _sql(
                "rt_l = rt_r AND rw_l = rw_r AND "
                "(kelurahan_code_l IS NULL OR kelurahan_code_r IS NULL)",
                "same RT/RW, kelurahan unknown",
            ),
            _sql(
                "kelurahan_code_l = kelurahan_code_r AND rw_l = rw_r",
                "same RW and kelurahan",
            ),
            _eq("kelurahan_code", "same kelurahan"),
            _eq("kecamatan_code", "same kecamatan"),
            _ELSE,
        ],
    }


def _either_side_unknown(
    keys: tuple[str, ...], alternatives: tuple[str, ...], unknown: str
) -> list[Any]:
    """Rules finding the pairs of "`keys` agree AND (one of `alternatives` agrees
    OR `unknown` is NULL on either side)" as equi-joins a database runs in time
    proportional to its blocks: one rule per alternative, and one per side whose
    `unknown` is NULL (a filter on one side, applied before the join). A single
    rule with the OR joins on `keys` alone, whose blocks grow with the population."""
    same = " AND ".join(f"l.{k} = r.{k}" for k in keys)
    return [
        *(block_on(*keys, alternative) for alternative in alternatives),
        f"{same} AND l.{unknown} IS NULL",
        f"{same} AND r.{unknown} IS NULL",
    ]


def prediction_blocking_rules() -> list[Any]:
    return [
        block_on("nik_clean"),
        # a KK groups a whole family across every source: pair its records only
        # where something personal agrees too
        block_on("kk_clean", "birth_year"),
        block_on("kk_clean", "first_name_phonetic"),
        # same name and birth year: common names ("Enung Rahmawati") make these
        # blocks huge in a big city, so the month, the day or the kecamatan must
        # agree too (or the kecamatan be unknown). One equi-join per alternative:
        # with the OR inside one rule, the join was on name and year alone and
        # grew as N^1.8 (12.5M candidate rows at 1M records; bench/province.md)
        *_either_side_unknown(
            ("name_phonetic", "birth_year"),
            ("birth_month", "birth_day", "kecamatan_code"),
            "kecamatan_code",
        ),
        block_on("first_name_phonetic", "birth_date"),
        block_on("phone_clean"),
        block_on("address_key", "first_name_phonetic"),
        block_on("kelurahan_code", "birth_date"),
        # addresses whose kelurahan could not be read: same name, same RT/RW
        # (RT/RW numbers repeat in every kelurahan: one rule per unknown side, so
        # the join starts from the few records with no kelurahan)
        *_either_side_unknown(("name_phonetic", "rt", "rw"), (), "kelurahan_code"),
        block_on("name_phonetic", "address_key"),
        # a foundation's row with no NIK and no birth date: a word of the name in
        # common at the same RT/RW and kelurahan ("Nurjanah" for "Neneng Nurjanah"),
        # joined word by word (an RT/RW holds hundreds of records in a big city)
        block_on("address_key", "name_tokens", arrays_to_explode=["name_tokens"]),
        # (the same name in the same kelurahan with a birth date missing, and the
        # same name at the same street and number, found no pair scoring 0.5 or
        # more on the tuning city that the other rules missed: dropped, they were
        # 200,000 useless pairs at 700k records)
        # a foundation's mononym or nickname at the family's house: "Wawan" for
        # "Hermawan Gumilar", often with no birth date and no NIK (the street and
        # number recur across kelurahan: the kelurahan agrees where both know it)
        # (as equi-joins: on alias and house alone the join grew as N^1.25)
        *_either_side_unknown(
            ("first_name_alias", "home_key"), ("kelurahan_code",), "kelurahan_code"
        ),
        block_on("kk_clean", "first_name_alias"),
        block_on("kk_clean", "last_name"),
        # a NIK with a slip in the serial digits, the birth date also damaged
        "left(l.nik_clean, 12) = left(r.nik_clean, 12) "
        "AND l.first_name_phonetic = r.first_name_phonetic",
    ]


def person_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        comparisons=[
            _nik(),
            _name(),
            _birth_date(),
            _sex(),
            _household(),
        ],
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
    )


@dataclass(frozen=True)
class SavedModel:
    """A trained model on disk. `version` is what identity_map.model_version records."""

    path: Path
    version: str
    settings: dict[str, Any]


def train_person_model(
    linker_factory: Callable[[Any], Linker],
    *,
    seed: int = 42,
    max_pairs: float = 1e6,
) -> Linker:
    """Train a fresh model on the registered records; return the trained linker."""
    linker = linker_factory(person_settings())
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [
            "l.nik_clean = r.nik_clean AND l.name_phonetic = r.name_phonetic",
            "l.name_clean = r.name_clean AND l.birth_date = r.birth_date "
            "AND l.kelurahan_code = r.kelurahan_code",
        ],
        # a third of true pairs lack a shared valid NIK and an exact name and date
        recall=0.5,
    )
    training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in (
        block_on("nik_clean"),
        block_on("name_phonetic", "birth_date"),
    ):
        training.estimate_parameters_using_expectation_maximisation(
            rule, fix_probability_two_random_records_match=True
        )
    return linker


def save_model(linker: Linker, model_dir: Path) -> SavedModel:
    model_dir.mkdir(parents=True, exist_ok=True)
    current = latest_model(model_dir)
    number = int(_MODEL_FILE.match(current.name).group(1)) + 1 if current else 1  # type: ignore[union-attr]
    path = model_dir / f"person-model-v{number}.json"
    settings: dict[str, Any] = linker.misc.save_model_to_json(str(path), overwrite=True)
    return SavedModel(path, _version(path, number), settings)


def latest_model(model_dir: Path) -> Path | None:
    if not model_dir.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in model_dir.iterdir() if (m := _MODEL_FILE.match(p.name))]
    return max(found)[1] if found else None


def load_model(model_dir: Path) -> SavedModel:
    path = latest_model(model_dir)
    if path is None:
        raise ModelError(f"no trained person model in {model_dir}: run `hub link --train` first")
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the person model {path}: {err}; retrain it") from err
    match = _MODEL_FILE.match(path.name)
    assert match is not None
    return SavedModel(path, _version(path, int(match.group(1))), settings)


def _version(path: Path, number: int) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    return f"person-v{number}-{digest}"
