"""Error profiles: how much worse than usual the generated sources are, and how.

The standard profile adds nothing: the city is byte-for-byte what it always
was. Another profile widens every agency source and foundation (the civil
registry, the reference, stays clean) by extra rates on top of each source's
own, renames headers, and turns some foundations into lists that know only a
name, a free-text address and a household phone. A profile is a TOML file::

    name = "heldout"
    seed = 90210                 # optional: the seed used when none is given
    kk_missing = 0.04            # extra share of rows with a blank KK
    family_kk_missing = 0.10     # households where members (not the head) lose the KK
    head_nik = 0.03              # households where the head's NIK is written for all
    nik_missing = 0.02
    mononym = 0.04               # single names (only the first word kept)
    nickname = 0.05              # Wawan for Hermawan
    old_spelling = 0.04          # oe/u, dj/j, tj/c
    kh_ch = 0.3                  # Chairul for Khairul (where the name has Kh)
    muhammad = 0.2               # Moh., Muh., Mochamad ...
    typo = 0.02
    drop_first = 0.02
    swap_day_month = 0.02
    partial_date = 0.03          # unknown day and month written as 1 Jul / 31 Dec
    birth_missing = 0.02
    free_address = 0.5          # foundations with split address columns writing one line
    foundation_bare = 0.3        # foundations with only name, free address, household phone
    foundation_header_case = "upper"   # "upper" | "lower" | "" (as written)

    [headers.dtks]               # source id -> {header as written: header to use}
    NAMA = "NAMA_ART"

`PROFILES` holds the built-in ones by name (`standard`, `wide`); the held-out
profile lives in `bench/heldout-profile.toml` and is only ever measured.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from simulator.observe import SourceNoise
from simulator.spec import Emission

_NAME_RATES: Final = ("mononym", "nickname", "old_spelling", "kh_ch", "muhammad", "typo",
                      "drop_first")  # fmt: skip
_ROW_RATES: Final = ("kk_missing", "family_kk_missing", "head_nik", "nik_missing",
                     "swap_day_month", "birth_missing")  # fmt: skip


class ProfileError(ValueError):
    """A profile file or name that cannot be used; the message says why."""


@dataclass(frozen=True)
class Profile:
    name: str = "standard"
    seed: int | None = None
    kk_missing: float = 0.0
    family_kk_missing: float = 0.0
    head_nik: float = 0.0
    nik_missing: float = 0.0
    mononym: float = 0.0
    nickname: float = 0.0
    old_spelling: float = 0.0
    kh_ch: float = 0.0
    muhammad: float = 0.0
    typo: float = 0.0
    drop_first: float = 0.0
    swap_day_month: float = 0.0
    partial_date: float = 0.0
    birth_missing: float = 0.0
    free_address: float = 0.0
    foundation_bare: float = 0.0
    foundation_header_case: str = ""
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def standard(self) -> bool:
        return self == Profile(name=self.name, seed=self.seed)

    def widen(self, base: SourceNoise) -> SourceNoise:
        """`base` with this profile's extra rates added (each capped at 1)."""
        if self.standard:
            return base
        name = dataclasses.replace(
            base.name,
            **{r: min(1.0, getattr(base.name, r) + getattr(self, r)) for r in _NAME_RATES},
        )
        rows = {r: min(1.0, getattr(base, r) + getattr(self, r)) for r in _ROW_RATES}
        rows["default_date"] = min(1.0, base.default_date + self.partial_date)
        return dataclasses.replace(base, name=name, **rows)

    def rename(self, emission: Emission) -> Emission:
        """The emission under this profile's headers for its source."""
        spec = emission.spec
        mapping = dict(self.headers.get(spec.id, {}))
        if spec.organization_type == "foundation" and self.foundation_header_case:
            case = str.upper if self.foundation_header_case == "upper" else str.lower
            mapping = {h: mapping.get(h, case(h)) for h in emission.frame.columns}
        if not mapping:
            return emission
        unknown = sorted(set(mapping) - set(emission.frame.columns))
        if unknown and spec.id in self.headers:
            raise ProfileError(
                f"profile {self.name!r} renames headers {unknown} that {spec.id} does not have"
            )
        new = dataclasses.replace(
            spec,
            columns={mapping.get(h, h): f for h, f in spec.columns.items()},
            services={f: mapping.get(h, h) for f, h in spec.services.items()},
        )
        return dataclasses.replace(emission, spec=new, frame=emission.frame.rename(columns=mapping))


#: Built-in profiles; `wide` is the one linkage is tuned on.
PROFILES: Final[dict[str, Profile]] = {
    "standard": Profile(),
    "wide": Profile(
        name="wide",
        kk_missing=0.04,
        family_kk_missing=0.08,
        head_nik=0.02,
        nik_missing=0.03,
        mononym=0.03,
        nickname=0.04,
        old_spelling=0.03,
        kh_ch=0.5,
        muhammad=0.2,
        typo=0.01,
        drop_first=0.01,
        swap_day_month=0.01,
        partial_date=0.02,
        birth_missing=0.01,
        free_address=0.5,
        foundation_bare=0.25,
        foundation_header_case="lower",
        headers={"dtsen": {"NO_HP": "NOMOR_HP"}, "dinkes": {"nama": "nama_pasien"}},
    ),
}


def load_profile(spec: str | Path | None) -> Profile:
    """A built-in profile by name, or a TOML profile file; None is `standard`."""
    if spec is None:
        return PROFILES["standard"]
    if str(spec) in PROFILES:
        return PROFILES[str(spec)]
    path = Path(spec)
    if not path.is_file():
        raise ProfileError(
            f"no profile {str(spec)!r}: name one of {', '.join(PROFILES)} or a TOML file"
        )
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc})") from exc
    return profile_from_dict(data, default_name=path.stem)


def profile_from_dict(data: dict[str, Any], default_name: str = "custom") -> Profile:
    known = {f.name: f for f in dataclasses.fields(Profile)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ProfileError(f"unknown profile keys {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {"name": default_name, **data}
    for key, value in values.items():
        if key in ("name", "foundation_header_case"):
            if not isinstance(value, str):
                raise ProfileError(f"profile key {key} must be text, not {value!r}")
        elif key == "seed":
            if value is not None and not isinstance(value, int):
                raise ProfileError(f"profile seed must be an integer, not {value!r}")
        elif key == "headers":
            if not isinstance(value, dict) or not all(
                isinstance(m, dict) and all(isinstance(v, str) for v in m.values())
                for m in value.values()
            ):
                raise ProfileError("profile [headers.<source>] tables map header -> header")
        elif not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            raise ProfileError(f"profile rate {key} must be between 0 and 1, not {value!r}")
        else:
            values[key] = float(value)
    if values.get("foundation_header_case", "") not in ("", "upper", "lower"):
        raise ProfileError("foundation_header_case must be 'upper', 'lower' or ''")
    return Profile(**values)


__all__ = ["PROFILES", "Profile", "ProfileError", "load_profile", "profile_from_dict"]
