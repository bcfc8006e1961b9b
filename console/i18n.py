"""Every label of the console, Bahasa Indonesia first, English second. Pages
ask `Labels(lang)[key]`; a key missing from the catalogue is a bug (KeyError)."""

from __future__ import annotations

from typing import Final

from console.upload_labels import UPLOAD_LABELS

LANGUAGES: Final[tuple[str, ...]] = ("id", "en")

CATALOGUE: Final[dict[str, tuple[str, str]]] = {
    # key: (Bahasa Indonesia, English)
    "app_name": ("Konsol Satupintu", "Satupintu console"),
    "skip": ("Lewati ke isi", "Skip to content"),
    "nav": ("Menu utama", "Main menu"),
    "nav_search": ("Cari", "Search"),
    "nav_household": ("Keluarga", "Household"),
    "nav_caseload": ("Beban kasus", "Caseload"),
    "nav_dashboard": ("Dasbor", "Dashboard"),
    "signed_in_as": ("Masuk sebagai", "Signed in as"),
    "sign_out": ("Keluar", "Sign out"),
    "sign_in": ("Masuk", "Sign in"),
    "sign_in_title": ("Masuk ke Konsol Satupintu", "Sign in to the Satupintu console"),
    "api_key": ("API key", "API key"),
    "api_key_hint": (
        "Atau buka tautan sekali pakai dari `hub dashboard-link`.",
        "Or open a one-time link from `hub dashboard-link`.",
    ),
    "bad_key": ("API key tidak dikenal atau sudah dicabut.", "Unknown or revoked API key."),
    "bad_link": (
        "Tautan tidak berlaku (kedaluwarsa atau sudah dipakai).",
        "The link is not valid (expired or already used).",
    ),
    "too_many": (
        "Terlalu banyak percobaan; coba lagi sebentar lagi.",
        "Too many attempts; try again shortly.",
    ),
    "csrf": (
        "Formulir kedaluwarsa atau tidak sah; muat ulang halaman dan coba lagi.",
        "The form expired or is not valid; reload the page and try again.",
    ),
    "purpose_title": ("Tujuan tugas ini", "Purpose of this task"),
    "purpose_intro": (
        "Akses data pribadi dicatat dengan tujuannya (UU PDP). Tujuan ditanyakan sekali "
        "per tugas dan disimpan selama sesi.",
        "Access to personal data is recorded with its purpose (PDP law). It is asked once "
        "per task and kept for the session.",
    ),
    "purpose": ("Tujuan", "Purpose"),
    "purpose_note": ("Keterangan (opsional)", "Note (optional)"),
    "purpose_now": ("Tujuan saat ini", "Current purpose"),
    "change": ("Ubah", "Change"),
    "continue": ("Lanjutkan", "Continue"),
    "search_title": ("Cari warga atau keluarga", "Find a person or household"),
    "search_name": ("Nama", "Name"),
    "search_name_hint": (
        "Nama panggilan, ejaan lama dan salah ketik tetap ditemukan.",
        "Nicknames, old spellings and typos are found too.",
    ),
    "search_nik": ("NIK (16 angka)", "NIK (16 digits)"),
    "search_kk": ("Nomor KK (16 angka)", "Family card number (16 digits)"),
    "search_button": ("Cari", "Search"),
    "results": ("Hasil", "Results"),
    "no_results": ("Tidak ada hasil.", "No results."),
    "household": ("Keluarga", "Household"),
    "open_household": ("Buka keluarga", "Open household"),
    "name": ("Nama", "Name"),
    "nik": ("NIK", "NIK"),
    "kk": ("No. KK", "Family card"),
    "address": ("Alamat", "Address"),
    "kelurahan": ("Kelurahan", "Kelurahan"),
    "kecamatan": ("Kecamatan", "Kecamatan"),
    "decile": ("Desil", "Decile"),
    "members": ("Anggota keluarga", "Members"),
    "member_count": ("anggota", "members"),
    "birth_date": ("Tanggal lahir", "Birth date"),
    "sex": ("Jenis kelamin", "Sex"),
    "relationship": ("Hubungan", "Relationship"),
    "status": ("Status", "Status"),
    "problems": ("Masalah (PPKS)", "Problems (PPKS)"),
    "programs": ("Program berjalan", "Current programs"),
    "timeline": ("Riwayat layanan", "Service timeline"),
    "date": ("Tanggal", "Date"),
    "program": ("Program", "Program"),
    "funder": ("Penyandang dana", "Funder"),
    "amount": ("Nilai (Rp)", "Amount (Rp)"),
    "organization": ("Lembaga", "Organization"),
    "source": ("Sumber", "Source"),
    "assessments": ("Asesmen", "Assessments"),
    "referrals": ("Rujukan", "Referrals"),
    "change_requests": ("Usulan dan perbaikan", "Change requests"),
    "lineage": ("Asal data", "Lineage"),
    "lineage_intro": (
        "Sumber yang mengenal setiap anggota, dan mengapa catatannya ditautkan.",
        "Which sources know each member, and why their records were linked.",
    ),
    "match_probability": ("Peluang cocok", "Match probability"),
    "why_linked": ("Alasan ditautkan", "Why linked"),
    "other_orgs": (
        "Lembaga lain yang memegang data atau melayani keluarga ini",
        "Other organizations holding data on or serving this household",
    ),
    "none": ("Tidak ada.", "None."),
    "unknown": ("—", "—"),
    "caseload_title": ("Beban kasus", "Caseload"),
    "caseload_filed": ("Usulan menunggu verifikasi", "Change requests awaiting verification"),
    "caseload_verified": ("Usulan menunggu persetujuan", "Change requests awaiting approval"),
    "caseload_gaps": (
        "Keluarga bermasalah tanpa program (perlu tindak lanjut)",
        "Households with a problem and no program (to follow up)",
    ),
    "caseload_limits": (
        "Skema belum memuat daftar keluarga dan rujukan per petugas; yang tampil adalah "
        "antrean yang dapat dibaca peran Anda.",
        "The schema has no per-worker household or referral list yet; shown are the queues "
        "your role can read.",
    ),
    "dashboard_title": ("Dasbor", "Dashboard"),
    "poverty_rate": ("Angka kemiskinan kota", "City poverty rate"),
    "target": ("Target", "Target"),
    "by_kecamatan": ("Per kecamatan", "By kecamatan"),
    "poor_people": ("Warga miskin", "Poor people"),
    "population": ("Penduduk", "Population"),
    "above_target": ("Di atas target", "Above target"),
    "full_dashboard": (
        "Dasbor lengkap (cakupan dan pendanaan)",
        "Full dashboard (coverage and funding)",
    ),
    "error": ("Terjadi kesalahan", "Something went wrong"),
    "forbidden": ("Tidak diizinkan", "Not allowed"),
    "language": ("Bahasa", "Language"),
    "suppressed": ("disembunyikan (sel kecil)", "withheld (small cell)"),
    # -- polish (session 8): staff JWT sign-in, language control, duplicated aid --
    "sign_in_key": ("Masuk dengan API key", "Sign in with an API key"),
    "sign_in_token": ("Masuk dengan token staf", "Sign in with a staff token"),
    "staff_token": ("Token staf (JWT)", "Staff token (JWT)"),
    "staff_token_hint": (
        "Tempel token dari layanan masuk tunggal (SSO) Dinsos.",
        "Paste the token from the Dinsos single sign-on (SSO).",
    ),
    "login_missing": ("Isi API key atau token staf.", "Enter an API key or a staff token."),
    "login_invalid": (
        "Token tidak sah (tanda tangan, klaim, atau bentuknya salah); minta token baru.",
        "The token is not valid (signature, claims or shape); ask for a new one.",
    ),
    "login_expired": (
        "Token sudah kedaluwarsa; minta token baru dari SSO lalu coba lagi.",
        "The token has expired; get a new one from the SSO and try again.",
    ),
    "login_wrong_issuer": (
        "Token diterbitkan oleh penerbit yang tidak diterima hub ini; pakai token dari SSO Dinsos.",
        "The token comes from an issuer this hub does not accept; use one from the Dinsos SSO.",
    ),
    "login_no_issuer": (
        "Hub ini belum menerima token staf (HUB_JWT_ISSUER belum diatur); masuk dengan API key.",
        "This hub does not take staff tokens yet (HUB_JWT_ISSUER is not set); use an API key.",
    ),
    "language_switch": ("Ganti bahasa", "Change language"),
    "lang_id": ("Bahasa Indonesia", "Bahasa Indonesia"),
    "lang_en": ("English", "English"),
    "duplicated_aid": ("Peringatan bantuan ganda", "Duplicated aid warnings"),
    "duplicated_aid_intro": (
        "Temuan aturan bantuan ganda untuk keluarga ini; periksa sebelum menyalurkan bantuan.",
        "Duplicated-aid findings for this household; check them before giving aid.",
    ),
    "need": ("Kebutuhan", "Need"),
    "period_from": ("Dari tanggal", "From"),
    "period_to": ("Sampai tanggal", "To"),
    "period_show": ("Tampilkan", "Show"),
}
CATALOGUE.update(UPLOAD_LABELS)  # the upload pages' labels (console/upload_labels.py)


class Labels:
    """The catalogue in one language; `labels["key"]` in templates."""

    def __init__(self, lang: str = "id") -> None:
        self.lang = lang if lang in LANGUAGES else LANGUAGES[0]
        self._column = LANGUAGES.index(self.lang)

    def __getitem__(self, key: str) -> str:
        return CATALOGUE[key][self._column]

    def get(self, key: str) -> str | None:
        """The label of `key`, or None for a key the catalogue lacks (a code from
        elsewhere, e.g. a refusal's, that may not have words yet)."""
        return self[key] if key in CATALOGUE else None


__all__ = ["CATALOGUE", "LANGUAGES", "Labels"]
