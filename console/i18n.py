"""Every label of the console, Bahasa Indonesia first, English second. Pages
ask `Labels(lang)[key]`; a key missing from the catalogue is a bug (KeyError)."""

from __future__ import annotations

from typing import Final

from console.upload_labels import UPLOAD_LABELS
from domain.service_desk import NIK_SUFFIX_DIGITS

#: how many of the NIK's last digits check a request (the domain's rule, in words)
_NIK = NIK_SUFFIX_DIGITS

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
    "search_filters": ("Wilayah, alamat dan masalah", "Area, address and problem"),
    "search_kelurahan": ("Kelurahan (nama atau kode)", "Kelurahan (name or code)"),
    "search_address": ("Alamat memuat", "Address contains"),
    "search_ppks": ("Masalah (PPKS)", "Problem (PPKS)"),
    "search_decile": ("Desil paling tinggi", "Highest decile"),
    "search_any": ("Semua", "Any"),
    "search_persons_found": ("Warga ditemukan", "People found"),
    "search_households_found": ("Keluarga ditemukan", "Households found"),
    "search_first": ("ditampilkan", "showing"),
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
    "caseload_follow_ups": (
        "Tindak lanjut asesmen saya yang segera jatuh tempo atau terlewat",
        "My assessments' follow-ups coming due or missed",
    ),
    "caseload_waiting": (
        "Rujukan organisasi saya yang menunggu penerima",
        "My organization's referrals waiting for the receiver",
    ),
    "caseload_assessed": ("asesmen", "assessed"),
    "caseload_households": (
        "Keluarga saya (yang saya asesmen)",
        "My households (those I assessed)",
    ),
    "caseload_next": ("tindak lanjut", "follow-up"),
    "caseload_late": ("Terlambat", "Late"),
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
    # --- Tinjauan (console/review_pages.py) and Usulan (console/change_pages.py) ---
    "nav_review": ("Tinjauan", "Review"),
    "review_title": ("Tinjauan pasangan data", "Review of uncertain pairs"),
    "review_refused": (
        "Tinjauan hanya untuk pekerja sosial dan staf Dinsos; peran Anda tidak dapat "
        "memutuskan pasangan.",
        "Only social workers and Dinsos staff review pairs; your role cannot decide them.",
    ),
    "review_waiting": ("Pasangan menunggu", "Pairs waiting"),
    "review_probability": ("Peluang satu orang", "Match probability"),
    "review_cost_2": ("keluarga menerima bantuan", "the household receives aid"),
    "review_cost_1": ("keluarga ada di daftar kesejahteraan", "the household is on a welfare list"),
    "review_cost_0": ("belum tercatat menerima bantuan", "no aid recorded"),
    "review_same": ("Orang yang sama", "Same person"),
    "review_not_same": ("Bukan orang yang sama", "Not the same person"),
    "review_skip": ("Lewati", "Skip"),
    "review_space": ("spasi", "space"),
    "review_keys": (
        "Tombol: S atau Y = sama, N atau T = bukan, K atau spasi = lewati. Keputusan "
        "berlaku pada `hub link` berikutnya dan seterusnya.",
        "Keys: S or Y = same, N or T = not the same, K or space = skip. A decision holds "
        "in the next `hub link` and every one after.",
    ),
    "review_bad_choice": (
        "Pilih: orang yang sama, bukan orang yang sama, atau lewati.",
        "Choose: same person, not the same person, or skip.",
    ),
    "review_saved_same": ("Tersimpan: orang yang sama.", "Saved: the same person."),
    "review_saved_not_same": ("Tersimpan: bukan orang yang sama.", "Saved: not the same person."),
    "review_records": ("Dua catatan berdampingan", "The two records side by side"),
    "review_field": ("Kolom", "Field"),
    "review_record_a": ("Catatan A", "Record A"),
    "review_record_b": ("Catatan B", "Record B"),
    "review_source": ("Sumber", "Source"),
    "review_record_id": ("ID di sumber", "Id at the source"),
    "review_birth_place": ("Tempat lahir", "Birth place"),
    "review_rt": ("RT", "RT"),
    "review_rw": ("RW", "RW"),
    "review_phone": ("Telepon", "Phone"),
    "review_evidence": ("Kecocokan per perbandingan", "Agreement per comparison"),
    "review_weight_hint": (
        "Bobot di atas 0 mendukung satu orang, di bawah 0 menentangnya.",
        "A weight above 0 speaks for one person, below 0 against.",
    ),
    "review_comparison": ("Perbandingan", "Comparison"),
    "review_level": ("Tingkat kecocokan", "Agreement level"),
    "review_weight": ("Bobot", "Match weight"),
    "review_check": ("periksa", "check"),
    "review_empty": ("Tidak ada pasangan yang menunggu.", "No pair is waiting."),
    "review_again": ("Mulai lagi dari awal antrean", "Start again at the head of the queue"),
    "nav_changes": ("Usulan", "Requests"),
    "changes_title": ("Usulan, perbaikan dan penonaktifan", "Change requests"),
    "changes_one_title": ("Usulan perubahan", "Change request"),
    "changes_back": ("Kembali ke daftar usulan", "Back to the list"),
    "changes_all": ("Semua", "All"),
    "changes_kind": ("Jenis", "Kind"),
    "changes_show": ("Tampilkan", "Show"),
    "changes_found": ("Usulan ditemukan", "Requests found"),
    "changes_filed_at": ("Diajukan", "Filed"),
    "changes_reason": ("Alasan", "Reason"),
    "changes_person": ("Orang", "Person"),
    "changes_more": ("Usulan berikutnya", "More requests"),
    "changes_status_FILED": ("Diajukan", "Filed"),
    "changes_status_VERIFIED": ("Diverifikasi", "Verified"),
    "changes_status_APPROVED": ("Disetujui", "Approved"),
    "changes_status_APPLIED": ("Diterapkan", "Applied"),
    "changes_status_REJECTED": ("Ditolak", "Rejected"),
    "changes_kind_USULAN": ("Usulan (calon penerima baru)", "Usulan (propose)"),
    "changes_kind_PERBAIKAN": ("Perbaikan data", "Perbaikan (correct)"),
    "changes_kind_PENONAKTIFAN": ("Penonaktifan", "Penonaktifan (deactivate)"),
    "changes_evidence": ("Dasar usulan", "What the request rests on"),
    "changes_corrections": ("Perbaikan yang diminta", "Corrections asked for"),
    "changes_no_corrections": (
        "Tidak ada nilai yang diminta; alasan menjelaskan apa yang salah.",
        "No values asked for; the reason says what is wrong.",
    ),
    "changes_level": ("Tingkat", "Level"),
    "changes_value": ("Nilai baru", "New value"),
    "changes_history": ("Riwayat langkah", "Steps taken"),
    "changes_by": ("Oleh", "By"),
    "changes_rejection_reason": ("Alasan penolakan", "Reason for rejecting"),
    "changes_effect": ("Hasil penerapan", "What applying did"),
    "changes_next": ("Langkah berikutnya", "Next step"),
    "changes_step_verify": ("Verifikasi", "Verify"),
    "changes_step_approve": ("Setujui", "Approve"),
    "changes_step_apply": ("Terapkan pada data", "Apply to the data"),
    "changes_step_reject": ("Tolak dengan alasan", "Reject with a reason"),
    "changes_done_verify": ("Usulan diverifikasi.", "The request is verified."),
    "changes_done_approve": ("Usulan disetujui.", "The request is approved."),
    "changes_done_apply": ("Usulan diterapkan pada data.", "The request is applied."),
    "changes_done_reject": ("Usulan ditolak.", "The request is rejected."),
    "changes_rules": (
        "Verifikasi: pekerja sosial atau admin Dinsos. Persetujuan dan penerapan: admin "
        "Dinsos, dan yang menyetujui bukan yang memverifikasi (empat mata).",
        "Verify: a social worker or a Dinsos administrator. Approve and apply: a Dinsos "
        "administrator, and not the one who verified (four eyes).",
    ),
    "changes_four_eyes": (
        "Anda yang memverifikasi usulan ini; persetujuan harus oleh orang lain (empat mata).",
        "You verified this request; another person approves it (four eyes).",
    ),
    "changes_moved_on": (
        "Usulan ini sudah berpindah status; muat ulang halaman.",
        "The request moved on meanwhile; reload the page.",
    ),
    "changes_closed": (
        "Usulan ini sudah selesai (diterapkan atau ditolak) dan tidak berubah lagi.",
        "The request is closed (applied or rejected); it moves no further.",
    ),
    "changes_reason_needed": ("Tuliskan alasan penolakan.", "Write the reason for rejecting."),
    "changes_wrong_step": (
        "Langkah ini tidak berlaku untuk status usulan sekarang.",
        "This step does not apply to the request's status.",
    ),
    "changes_forbidden": (
        "Peran Anda tidak diizinkan melakukan ini.",
        "Your role may not do this.",
    ),
    "changes_not_found": (
        "Usulan tidak ditemukan, atau bukan usulan lembaga Anda.",
        "No such request, or not one your organization filed.",
    ),
    "changes_bad_filter": ("Status atau jenis tidak dikenal.", "Unknown status or kind."),
    "changes_bad_step": ("Langkah tidak dikenal.", "Unknown step."),
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
# the dashboard's poverty headline
CATALOGUE.update(
    {
        # -- Dasbor: the headline, coverage by kecamatan, the funding picture (session 8)
        "baseline": ("Baseline", "Baseline"),
        "dash_above_target_people": (
            "Warga miskin di atas target",
            "Poor people above the target",
        ),
        "dash_population_source": ("Penduduk menurut", "Population from"),
        "dash_people": ("jiwa", "people"),
        "dash_gaps": ("Celah layanan", "Service gaps"),
        "dash_gaps_hint": (
            "Celah layanan: pasangan keluarga dan PPKS tanpa program aktif yang menanganinya.",
            "Service gaps: household and PPKS pairs with no active program addressing them.",
        ),
        "dash_gaps_total": ("Keluarga dengan celah", "Households with a gap"),
        "dash_funding": ("Pendanaan", "Funding"),
        "dash_share_covered": ("Kebutuhan yang terdanai", "Share of need covered"),
        "dash_pool": ("Anggaran", "Budgets"),
        "dash_need_cost": ("Biaya kebutuhan", "Cost of need"),
        "dash_program": ("Program", "Program"),
        "dash_in_need": ("Keluarga membutuhkan", "Households in need"),
        "dash_budget": ("Anggaran", "Budget"),
        "dash_payable": ("Terbayar", "Payable"),
        "yes": ("ya", "yes"),
        # -- Catat layanan (console/deliveries.py)
        "delivery_title": ("Catat layanan", "Record a delivery"),
        "delivery_program": ("Program", "Program"),
        "delivery_choose": ("Pilih program", "Choose a program"),
        "delivery_date": ("Tanggal layanan", "Date of the delivery"),
        "delivery_amount": ("Nilai (Rp, boleh kosong)", "Amount (IDR, optional)"),
        "delivery_person": ("Penerima", "Received by"),
        "delivery_whole_household": ("Seluruh keluarga", "The whole household"),
        "delivery_save": ("Simpan layanan", "Save the delivery"),
        "delivery_back": ("Kembali ke keluarga", "Back to the household"),
        "delivery_need_program": ("Pilih programnya.", "Choose the program."),
        "delivery_bad_date": (
            "Tulis tanggal layanan sebagai TTTT-BB-HH.",
            "Write the date of the delivery as YYYY-MM-DD.",
        ),
        "delivery_bad_amount": (
            "Nilai ditulis dalam rupiah, angka saja, paling banyak 1.000.000.000.",
            "The amount is in rupiah, digits only, at most 1,000,000,000.",
        ),
        "delivery_bad_person": (
            "Penerima harus anggota keluarga ini.",
            "The receiver must be a member of this household.",
        ),
        # -- Keluarga: eligibility flags (household.eligibility)
        "eligibility_title": ("Kelayakan program", "Program eligibility"),
        "eligibility_yes": ("layak", "eligible"),
        "eligibility_no": ("tidak layak", "not eligible"),
        "eligibility_rule": ("aturan", "rule"),
        # -- Dasbor and /temuan: targeting findings (targetingSummary, targetingFindings)
        "findings_title": ("Temuan penargetan", "Targeting findings"),
        "findings_hint": (
            "Jumlah temuan per kecamatan (keluarga per program; satu keluarga dapat "
            "muncul untuk beberapa program), periode",
            "Findings per kecamatan (households per program; one household may count "
            "for several programs), period",
        ),
        "finding_EXCLUSION": ("Layak tetapi tidak menerima", "Eligible but not served"),
        "finding_INCLUSION": ("Menerima tetapi tidak layak", "Served but not eligible"),
        "finding_DUPLICATION": ("Bantuan ganda", "Duplicated aid"),
        "findings_none": ("Tidak ada temuan.", "No findings."),
        "findings_total": ("jumlah", "total"),
        "findings_kind": ("Jenis", "Kind"),
        "findings_why": ("Penjelasan", "Explanation"),
        "findings_next": ("Halaman berikutnya", "Next page"),
        # -- Loket, Permohonan, Pengaduan, Cek status (console/service_desk.py, console/public.py)
        "nav_desk": ("Loket", "Front desk"),
        "nav_requests": ("Permohonan", "Requests"),
        "nav_grievances": ("Pengaduan", "Complaints"),
        "no": ("tidak", "no"),
        "desk_title": ("Loket layanan satu pintu", "One-door front desk"),
        "desk_intro": (
            "Catat permohonan warga sekali di sini: cari keluarganya, atau isi data warga baru; "
            "pilih kebutuhannya dan nomor yang bisa dihubungi.",
            "Register a resident's request once here: find the household, or enter a new "
            "resident; pick the needs and a number to reach them.",
        ),
        "desk_find": ("Cari keluarga pemohon", "Find the applicant's household"),
        "desk_who": ("Untuk keluarga", "For the household"),
        "desk_new_resident": ("Warga baru (belum ada di data)", "A new resident (not in the data)"),
        "desk_new_hint": (
            "Data warga baru masuk lewat intake langsung dan dicocokkan dengan keluarga yang ada.",
            "A new resident goes through the real-time intake and is matched to the households "
            "the hub knows.",
        ),
        "desk_full_name": ("Nama lengkap", "Full name"),
        "desk_needs": ("Kebutuhan", "Needs"),
        "desk_phone": ("Nomor HP/WhatsApp", "Phone/WhatsApp number"),
        "desk_phone_hint": (
            "Boleh kosong. Jika diisi, warga menerima SMS/WhatsApp setiap status berubah.",
            "Optional. When given, the resident gets an SMS/WhatsApp at each status change.",
        ),
        "desk_note": ("Catatan", "Note"),
        "desk_register": ("Catat permohonan", "Register the request"),
        "desk_another": ("Catat permohonan lain", "Register another request"),
        "desk_need_who": (
            "Pilih keluarga pemohon, atau isi nama lengkap warga baru.",
            "Pick the applicant's household, or enter the new resident's full name.",
        ),
        "desk_need_needs": ("Pilih minimal satu kebutuhan.", "Pick at least one need."),
        "desk_request": ("Permohonan", "Request"),
        "desk_grievance": ("Pengaduan", "Complaint"),
        "desk_not_found": (
            "Tidak ditemukan, atau Anda tidak berhak membukanya.",
            "Not found, or you may not open it.",
        ),
        "desk_unknown_action": ("Tindakan tidak dikenal.", "Unknown action."),
        "desk_need_kind": ("Pilih jenis pengaduan.", "Choose the kind of complaint."),
        "desk_need_text": ("Tulis isi pengaduan.", "Write what the complaint is about."),
        "desk_need_answer": ("Tulis jawabannya.", "Write the answer."),
        "receipt_title": ("Tanda terima", "Receipt"),
        "receipt_number": ("Nomor permohonan Anda:", "Your request number:"),
        "receipt_how": (
            f"Cek status kapan saja di /cek-status dengan nomor ini dan {_NIK} angka terakhir "
            "NIK Anda.",
            f"Check the status any time at /cek-status with this number and the last {_NIK} "
            "digits of your NIK.",
        ),
        "receipt_keep": (
            "Simpan tanda terima ini. Petugas tidak akan meminta uang untuk layanan ini.",
            "Keep this receipt. Staff will never ask for money for this service.",
        ),
        "receipt_print": (
            "Cetak halaman ini (Ctrl+P) untuk diberikan kepada warga.",
            "Print this page (Ctrl+P) to give to the resident.",
        ),
        "requests_title": ("Permohonan", "Requests"),
        "req_open": ("Buka permohonan", "Open the request"),
        "req_status": ("Status", "Status"),
        "req_status_registered": ("Terdaftar", "Registered"),
        "req_status_assigned": ("Ditugaskan", "Assigned"),
        "req_status_assessed": ("Diasesmen", "Assessed"),
        "req_status_in_service": ("Dilayani", "In service"),
        "req_status_ended": ("Selesai", "Ended"),
        "req_status_pending_verification": ("Menunggu verifikasi", "Awaiting verification"),
        "req_verify": ("Verifikasi dan tautkan", "Verify and link"),
        "req_verify_title": ("Verifikasi pemohon", "Verify the applicant"),
        "req_verify_hint": (
            "Permohonan dari formulir web belum diperiksa. Cocokkan dengan KTP dan KK "
            "pemohon, lalu isi nomor keluarga yang ditemukan di Loket, atau data pemohon "
            "sesuai KTP untuk ditautkan.",
            "A web-form request is not checked yet. Check it against the applicant's KTP "
            "and KK, then give the household found at the front desk, or the applicant's "
            "data as on the KTP to link them.",
        ),
        "req_typed": (
            "Yang diketik pemohon (belum diperiksa)",
            "What the applicant typed (unchecked)",
        ),
        "req_household_id": ("Nomor keluarga (dari Loket)", "Household id (from the front desk)"),
        "req_outcome": ("Hasil", "Outcome"),
        "req_outcome_fulfilled": ("dipenuhi", "fulfilled"),
        "req_outcome_partly_fulfilled": ("dipenuhi sebagian", "partly fulfilled"),
        "req_outcome_refused": ("ditolak", "refused"),
        "req_mine": ("Hanya yang ditugaskan kepada saya", "Only those assigned to me"),
        "req_registered_on": ("Didaftarkan", "Registered on"),
        "req_due": ("Batas waktu", "Due by"),
        "req_overdue_words": (
            "lewat batas waktu layanan",
            "past its service-level time",
        ),
        "req_assigned": ("Pekerja sosial", "Social worker"),
        "req_unassigned": ("Belum ditugaskan", "Not assigned yet"),
        "req_channel": ("Saluran", "Channel"),
        "req_channel_front_desk": ("Loket", "Front desk"),
        "req_channel_web_form": ("Formulir web", "Web form"),
        "req_steps": ("Langkah", "Steps"),
        "req_step": ("Langkah", "Step"),
        "req_on": ("Tanggal", "Date"),
        "req_sla_days": ("Batas (hari)", "SLA (days)"),
        "req_note": ("Catatan", "Note"),
        "req_actions": ("Tindakan", "Actions"),
        "req_worker": ("Pekerja sosial", "Social worker"),
        "req_worker_hint": (
            "Kosongkan untuk menugaskan diri sendiri. Saat didaftarkan, permohonan sudah "
            "ditugaskan ke pekerja sosial wilayahnya bila ada.",
            "Leave it empty to assign yourself. At registration a request is assigned to "
            "the area's social worker when there is one.",
        ),
        "req_assign": ("Tugaskan", "Assign"),
        "req_advance_to": ("Lanjut ke", "Move on to"),
        "req_end": ("Akhiri permohonan", "End the request"),
        "req_reason": ("Alasan untuk warga", "Reason for the resident"),
        "req_reason_hint": (
            "Warga membaca alasan ini di Cek status: tulis dengan bahasa sederhana.",
            "The resident reads this on Cek status: write it plainly.",
        ),
        "grievances_title": ("Pengaduan", "Complaints"),
        "grv_file": ("Catat pengaduan", "File a complaint"),
        "grv_file_button": ("Catat pengaduan", "File the complaint"),
        "grv_kind": ("Jenis pengaduan", "Kind of complaint"),
        "grv_choose_kind": ("Pilih jenis", "Choose a kind"),
        "grv_kind_wrong_data": ("Data salah", "Wrong data"),
        "grv_kind_aid_not_received": ("Bantuan tidak diterima", "Aid not received"),
        "grv_kind_aid_to_ineligible": (
            "Bantuan diterima yang tidak berhak",
            "Aid received by someone not eligible",
        ),
        "grv_kind_service_conduct": ("Perlakuan petugas/layanan", "Treatment by a service"),
        "grv_household": ("Keluarga (ID, boleh kosong)", "Household (ID, optional)"),
        "grv_anonymous": ("Tanpa nama (anonim)", "Anonymous"),
        "grv_anonymous_hint": (
            "Hanya untuk pengaduan perlakuan petugas atau penyimpangan.",
            "Only for complaints about treatment by staff or misconduct.",
        ),
        "grv_text": ("Isi pengaduan", "The complaint"),
        "grv_status_filed": ("Diterima", "Filed"),
        "grv_status_acted": ("Ditindaklanjuti", "Acted on"),
        "grv_status_answered": ("Dijawab", "Answered"),
        "grv_escalated": ("Eskalasi", "Escalated"),
        "grv_act_hint": (
            "Untuk usulan perubahan, catatan ini menjadi alasannya; untuk kasus, pilih "
            "kebutuhannya.",
            "For a change request this note is its reason; for a case, pick the needs.",
        ),
        "grv_change_kind": ("Jenis usulan perubahan", "Kind of change request"),
        "grv_escalated_words": (
            "lewat batas waktu, dinaikkan ke",
            "past its time, escalated to",
        ),
        "grv_linked": ("Ditindaklanjuti sebagai", "Acted on as"),
        "grv_to_change_request": ("Jadikan usulan perubahan", "Make a change request"),
        "grv_to_targeting_finding": ("Jadikan temuan sasaran", "Make a targeting finding"),
        "grv_to_case": ("Jadikan kasus pekerja sosial", "Make a case for a social worker"),
        "grv_answer": ("Jawaban", "Answer"),
        "grv_answer_hint": (
            "Jawaban menutup pengaduan; pengadu membacanya.",
            "The answer closes the complaint; the complainant reads it.",
        ),
        "grv_answer_button": ("Kirim jawaban", "Send the answer"),
        "dash_desk": ("Layanan satu pintu", "One-door service"),
        "dash_desk_first": ("Median sampai jawaban pertama", "Median to a first answer"),
        "dash_desk_end": ("Median sampai selesai", "Median to the end"),
        "dash_desk_days": ("hari", "days"),
        "dash_desk_within": ("Selesai dalam batas waktu", "Ended within the SLA"),
        "dash_desk_by_need": ("Permohonan per kebutuhan", "Requests by need"),
        "dash_desk_by_area": ("Permohonan per kecamatan", "Requests by kecamatan"),
        "dash_desk_by_status": ("Permohonan per status", "Requests by status"),
        "dash_desk_by_kind": ("Pengaduan per jenis", "Complaints by kind"),
        "dash_desk_count": ("Jumlah", "Count"),
        "dash_desk_requests": ("Permohonan", "Requests"),
        "dash_desk_grievances": ("Pengaduan", "Complaints"),
        "cek_title": ("Cek status permohonan", "Check a request's status"),
        "cek_intro": (
            f"Masukkan nomor permohonan dari tanda terima dan {_NIK} angka terakhir NIK pemohon.",
            f"Enter the request number from the receipt and the last {_NIK} digits of the "
            "applicant's NIK.",
        ),
        "cek_number": ("Nomor permohonan", "Request number"),
        "cek_nik4": (f"{_NIK} angka terakhir NIK", f"Last {_NIK} digits of the NIK"),
        "cek_nik4_hint": (
            f"Contoh: {'0123456789'[:_NIK]}",
            f"For example: {'0123456789'[:_NIK]}",
        ),
        "cek_button": ("Cek status", "Check the status"),
        "cek_bad_input": (
            f"Isi nomor permohonan dan tepat {_NIK} angka terakhir NIK.",
            f"Enter the request number and exactly the last {_NIK} digits of the NIK.",
        ),
        "cek_not_found": (
            "Nomor dan angka NIK ini tidak cocok dengan permohonan mana pun. Periksa tanda "
            "terima Anda, atau tanyakan ke loket Dinas Sosial.",
            "This number and these NIK digits match no request. Check your receipt, or ask "
            "at the Dinas Sosial front desk.",
        ),
        "cek_status": ("Status", "Status"),
        "cek_next": ("Langkah berikutnya", "Next step"),
        "pub_request_title": ("Ajukan permohonan layanan", "Ask for a service"),
        "pub_request_intro": (
            "Isi formulir ini sekali; petugas loket Dinas Sosial memeriksanya dan menghubungi "
            "Anda. Anda tidak perlu datang ke banyak kantor.",
            "Fill in this form once; the Dinas Sosial front desk checks it and contacts you. "
            "You need not go from office to office.",
        ),
        "pub_request_button": ("Kirim permohonan", "Send the request"),
        "pub_request_link": ("Ajukan permohonan baru", "Ask for a service"),
        "pub_check_link": ("Cek status permohonan", "Check a request's status"),
        # -- Pengaduan: the targeting finding a complaint reported (reportedFinding)
        "grv_finding_checked": ("Diperiksa untuk periode", "Checked over"),
        "grv_finding_evidence": ("bukti: pengaduan", "evidence: complaint"),
    }
)

# --- household page (session 10, targeting): an enrolment paused by a decile alert ---
CATALOGUE.update(
    {
        "enrolment_paused": (
            "Dijeda untuk cek lapangan (peringatan desil {alert})",
            "Paused for a field check (decile alert {alert})",
        ),
    }
)

# request page: lifting Cek status' lock on a request's number (unlockStatusCheck)
CATALOGUE.update(
    {
        "req_unlock_title": ("Cek status terkunci?", "Cek status locked?"),
        "req_unlock_hint": (
            "Setelah terlalu banyak percobaan NIK yang salah, Cek status untuk nomor ini "
            "tidak menjawab sampai besok. Buka kuncinya setelah Anda memeriksa KTP pemohon.",
            "After too many wrong NIK digits, Cek status answers nothing for this number "
            "until tomorrow. Unlock it once you have checked the applicant's KTP.",
        ),
        "req_unlock": ("Buka kunci Cek status", "Unlock Cek status"),
    }
)

# --- Kotak masuk: "Rujuk lanjut" in one step (referOnward), and the link it leaves ---
CATALOGUE.update(
    {
        "onward_from_referral": ("Lanjutan dari rujukan", "Onward from referral"),
        "onward_as_referral": ("sebagai rujukan", "as referral"),
    }
)

# --- Sign-in: a sign-in form posted from another site's page (login CSRF) ---
CATALOGUE.update(
    {
        "login_cross_site": (
            "Masuk dari halaman situs lain ditolak: buka halaman masuk konsol ini langsung.",
            "A sign-in from another site's page is refused: open this console's sign-in "
            "page directly.",
        ),
    }
)


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
