"""Kemendagri's region codes, as shipped (idn-area-data 4.0.1, ODbL)."""

from __future__ import annotations

from connectors import reference
from domain import regions


def test_the_official_lists_are_complete_and_consistent() -> None:
    provinces, regencies, districts = regions.provinces(), regions.regencies(), regions.districts()
    assert (len(provinces), len(regencies), len(districts)) == (38, 514, 7285)
    assert provinces[0].code == "11" and provinces[-1] == regions.Area("96", "", "Papua Barat Daya")
    assert "97" not in regions.province_codes()
    assert all(r.parent in regions.province_codes() for r in regencies)
    assert all(d.parent in regions.regency_codes() for d in districts)
    assert all(len(d.code) == 6 and d.code.isdigit() for d in districts)


def test_the_citys_districts_are_the_reference_kecamatan() -> None:
    official = {(a.code, a.name) for a in regions.districts_of("3273")}
    assert official == {(k.code, k.name) for k in reference.kecamatan()}


def test_the_licence_and_attribution_ship_with_the_data() -> None:
    notice = (regions.REGION_DIR / "NOTICE.md").read_text()
    assert "Open Database License" in notice and "idn-area-data 4.0.1" in notice
    assert (
        (regions.REGION_DIR / "LICENSE-ODbL.md").read_text().startswith("# Open Database License")
    )
    assert regions.REGION_DATA_VERSION == "idn-area-data 4.0.1"
