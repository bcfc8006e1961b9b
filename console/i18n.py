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
    # --- casework: Asesmen, Rujukan, Kotak masuk (console/casework.py) ---
    "nav_inbox": ("Kotak masuk", "Inbox"),
    "case_timeline": (
        "Riwayat layanan, asesmen dan rujukan",
        "Services, assessments and referrals",
    ),
    "kind": ("Jenis", "Kind"),
    "what": ("Keterangan", "Details"),
    "kind_service": ("Layanan", "Service"),
    "kind_assessment": ("Asesmen", "Assessment"),
    "kind_referral": ("Rujukan", "Referral"),
    "new_assessment": ("Buat asesmen", "New assessment"),
    "new_referral": ("Rujuk keluarga ini", "Refer this household"),
    "household_not_open": (
        "Keluarga ini tidak ditemukan atau tidak terbuka untuk organisasi Anda.",
        "This household is not found or not open to your organization.",
    ),
    "assessment_title": ("Asesmen", "Assessment"),
    "assessment_editing": (
        "Anda mengubah asesmen; versi lama tetap tersimpan. Versi",
        "You are editing an assessment; the old version is kept. Version",
    ),
    "assessed_on": ("Tanggal asesmen", "Assessed on"),
    "ppks_found": ("PPKS yang ditemukan", "PPKS found"),
    "plan": ("Rencana intervensi", "Intervention plan"),
    "goals": ("Tujuan", "Goals"),
    "goals_hint": ("Satu tujuan per baris.", "One goal per line."),
    "plan_programs": (
        "Program yang sesuai dengan masalah keluarga",
        "Programs matched to the household's problems",
    ),
    "follow_up_on": ("Tanggal tindak lanjut", "Follow-up date"),
    "notes": ("Catatan", "Notes"),
    "signed_by": ("Ditandatangani oleh", "Signed by"),
    "save_assessment": ("Simpan asesmen", "Save assessment"),
    "edit_assessment": ("Ubah asesmen ini", "Edit this assessment"),
    "assessment_history": ("Versi sebelumnya", "Earlier versions"),
    "version": ("Versi", "Version"),
    "back_to_household": ("Kembali ke keluarga", "Back to the household"),
    "bad_assessed_on": (
        "Tanggal asesmen tidak valid: isi dengan format TTTT-BB-HH.",
        "The assessment date is not valid: use YYYY-MM-DD.",
    ),
    "bad_follow_up": (
        "Tanggal tindak lanjut tidak valid: isi dengan format TTTT-BB-HH atau kosongkan.",
        "The follow-up date is not valid: use YYYY-MM-DD or leave it empty.",
    ),
    "follow_up_before": (
        "Tanggal tindak lanjut tidak boleh sebelum tanggal asesmen.",
        "The follow-up date cannot be before the assessment date.",
    ),
    "need_ppks": (
        "Pilih minimal satu PPKS yang ditemukan.",
        "Pick at least one PPKS found.",
    ),
    "need_plan": ("Rencana intervensi wajib diisi.", "Write the intervention plan."),
    "api_refused": ("Isian tidak diterima:", "Not accepted:"),
    "referral_title": ("Rujukan", "Referral"),
    "filter_ppks": ("Masalah (PPKS)", "Problem (PPKS)"),
    "filter_area": ("Wilayah (kelurahan)", "Area (kelurahan)"),
    "any": ("Semua", "Any"),
    "filter": ("Saring", "Filter"),
    "receiver": (
        "Organisasi penerima dan programnya",
        "Receiving organization and its program",
    ),
    "directory_empty": (
        "Tidak ada organisasi yang melayani masalah ini di wilayah ini; perluas saringan.",
        "No organization serves this problem in this area; widen the filter.",
    ),
    "choose_receiver": (
        "Pilih organisasi penerima dari daftar.",
        "Pick the receiving organization from the list.",
    ),
    "referral_note": ("Catatan untuk penerima", "Note for the receiver"),
    "send_referral": ("Kirim rujukan", "Send referral"),
    "inbox_title": ("Kotak masuk rujukan", "Referral inbox"),
    "incoming": ("Rujukan masuk", "Referrals to you"),
    "sent": ("Rujukan terkirim", "Referrals you sent"),
    "overdue": ("Terlambat", "Overdue"),
    "overdue_only": ("Hanya yang terlambat", "Overdue only"),
    "from": ("dari", "from"),
    "to": ("ke", "to"),
    "sent_on": ("dikirim", "sent"),
    "choose": ("Pilih…", "Choose…"),
    "onward_receiver": ("Rujuk lanjut ke", "Refer onward to"),
    "onward_to": ("Dirujuk lanjut ke", "Referred onward to"),
    "reason": ("Alasan penolakan", "Reason for rejecting"),
    "outcome": ("Hasil layanan", "Outcome"),
    "note": ("Catatan", "Note"),
    "need_reason": (
        "Tulis alasan penolakan rujukan.",
        "Write why you reject the referral.",
    ),
    "need_outcome": (
        "Tulis hasil layanan sebelum menandai rujukan selesai.",
        "Write the outcome before marking the referral done.",
    ),
    "need_note": (
        "Tulis catatan untuk organisasi berikutnya.",
        "Write a note for the next organization.",
    ),
    "status_open": ("Terkirim", "Sent"),
    "status_received": ("Diterima", "Received"),
    "status_accepted": ("Disetujui", "Accepted"),
    "status_in_service": ("Sedang dilayani", "In service"),
    "status_completed": ("Selesai", "Done"),
    "status_declined": ("Ditolak", "Rejected"),
    "status_referred_onward": ("Dirujuk lanjut", "Referred onward"),
    "status_cancelled": ("Dibatalkan", "Cancelled"),
    "act_received": ("Tandai diterima", "Mark received"),
    "act_accepted": ("Setujui", "Accept"),
    "act_in_service": ("Mulai layanan", "Start service"),
    "act_completed": ("Tandai selesai", "Mark done"),
    "act_declined": ("Tolak", "Reject"),
    "act_referred_onward": ("Rujuk lanjut", "Refer onward"),
    "act_cancelled": ("Batalkan", "Cancel"),
}
CATALOGUE.update(UPLOAD_LABELS)  # the upload pages' labels (console/upload_labels.py)


class Labels:
    """The catalogue in one language; `labels["key"]` in templates."""

    def __init__(self, lang: str = "id") -> None:
        self.lang = lang if lang in LANGUAGES else LANGUAGES[0]
        self._column = LANGUAGES.index(self.lang)

    def __getitem__(self, key: str) -> str:
        return CATALOGUE[key][self._column]


__all__ = ["CATALOGUE", "LANGUAGES", "Labels"]
