"""The domain's rules, each written once: every package of the hub may import this one,
and it imports nothing of ours (only the standard library, and `cel` for the
eligibility rules).

- `domain.identity`: NIK and KK structure (district of issue, birth date with day + 40
  for women, serial), Python;
- `domain.sql`: the same identity rules, and the sex words, as DuckDB SQL;
- `domain.regions`: Kemendagri's province, regency and district codes (idn-area-data,
  ODbL; see `domain/regions/NOTICE.md`), and the population per kecamatan and
  kelurahan (`domain.regions.population`, the poverty rate's denominator);
- `domain.sex`: the words sources write for a sex, read as 'L' or 'P';
- `domain.city`: the city served (code 3273, name, data versions);
- `domain.thresholds`: "active" (183 days), "poor" (decile <= 4 or P3KE, also as SQL),
  the baseline and target poverty rates (defaults of the settings);
- `domain.roles`: the role names;
- `domain.shapes`: the shapes every read crosses packages with (`Row`, `Scope`, `Page`).
- `domain.eligibility`: eligibility rules as data (CEL), a household's facts, and
  each result with the words for every condition that held or failed;
- `domain.targeting`: duplicated aid, exclusion and inclusion errors, and their words.
- `domain.rows`: the typed rows the API writes (a household's fields among them),
  journals and replays.
"""
