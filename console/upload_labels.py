"""The upload pages' labels, in console.i18n's form (key: (Bahasa Indonesia, English)).

Kept apart only while the console core is built in parallel: the lead merges them into
`console.i18n.CATALOGUE` (`CATALOGUE.update(UPLOAD_LABELS)` or by pasting them in)."""

from __future__ import annotations

from typing import Final

UPLOAD_LABELS: Final[dict[str, tuple[str, str]]] = {
    "nav_upload": ("Unggah", "Upload"),
    "upload_title": ("Unggah daftar penerima", "Upload a beneficiary list"),
    "upload_intro": (
        "Pilih berkas Excel (.xlsx) atau CSV berisi daftar penerima manfaat. Baris pertama "
        "harus berisi nama kolom. Rumus tidak pernah dijalankan.",
        "Choose an Excel (.xlsx) or CSV file with your beneficiaries. The first row must hold "
        "the column names. Formulas are never run.",
    ),
    "upload_file": (
        "Berkas (.xlsx atau .csv, paling besar {mb} MB)",
        "File (.xlsx or .csv, at most {mb} MB)",
    ),
    "upload_send": ("Unggah", "Upload"),
    "upload_problem": ("Berkas tidak dapat dibaca", "The file cannot be read"),
    "upload_no_org": (
        "Pengunggahan hanya untuk akun sebuah organisasi.",
        "Uploading is for an organization's account only.",
    ),
    "map_title": ("Cocokkan kolom", "Match the columns"),
    "map_intro": (
        'Untuk setiap kolom, pilih isian Satupintu yang sesuai, atau "abaikan". '
        "Pilihan ini diingat untuk unggahan berikutnya.",
        'For each column choose the Satupintu field it holds, or "ignore". '
        "The choice is remembered for your next upload.",
    ),
    "map_remembered": (
        "Pilihan dari unggahan sebelumnya sudah diisi.",
        "Your choices from the last upload are filled in.",
    ),
    "map_rows": ("Baris data", "Data rows"),
    "map_column": ("Kolom", "Column"),
    "map_samples": ("Contoh isi", "Sample values"),
    "map_field": ("Isian Satupintu", "Satupintu field"),
    "map_ignore": ("(abaikan)", "(ignore)"),
    "map_confirm": ("Periksa dan kirim", "Check and submit"),
    "result_title": ("Hasil unggahan", "Upload result"),
    "result_read": ("Baris dibaca", "Rows read"),
    "result_staged": ("Diterima", "Staged"),
    "result_quarantined": ("Dikarantina", "Quarantined"),
    "result_known": ("Cocok dengan warga yang sudah dikenal", "Matched known people"),
    "result_new": ("Warga baru", "New people"),
    "result_refused": ("Ditolak", "Refused"),
    "result_unchanged": (
        "Sudah dikirim sebelumnya, tidak berubah",
        "Sent before, unchanged",
    ),
    "result_waiting": ("Menunggu", "Waiting"),
    "result_waiting_note": (
        "Batas pengiriman organisasi Anda untuk saat ini sudah tercapai. Unggah berkas yang "
        "sama lagi setelah {seconds} detik: hanya baris yang belum terkirim yang dikirim.",
        "Your organization's submission budget is spent for now. Upload the same file again "
        "after {seconds} seconds: only the rows not yet sent are sent.",
    ),
    "result_row": ("Baris", "Row"),
    "result_id": ("ID", "ID"),
    "result_reason": ("Alasan", "Reason"),
    "result_detail": ("Rincian", "Detail"),
    "result_same": (
        "Mengunggah berkas yang sama lagi tidak mengubah apa pun: baris yang tidak berubah "
        "tidak dikirim lagi.",
        "Uploading the same file again changes nothing: unchanged rows are not sent again.",
    ),
    "result_again": ("Unggah berkas lain", "Upload another file"),
    "field_source_record_id": ("ID baris (nomor penerima)", "Row id (beneficiary number)"),
    "field_nik": ("NIK", "NIK"),
    "field_no_kk": ("Nomor KK", "Family card number"),
    "field_full_name": ("Nama lengkap", "Full name"),
    "field_birth_date": ("Tanggal lahir", "Date of birth"),
    "field_birth_place": ("Tempat lahir", "Place of birth"),
    "field_sex": ("Jenis kelamin", "Sex"),
    "field_relationship": ("Hubungan dalam keluarga", "Relationship to the head"),
    "field_address": ("Alamat", "Address"),
    "field_street": ("Jalan", "Street"),
    "field_house_number": ("Nomor rumah", "House number"),
    "field_rt": ("RT", "RT"),
    "field_rw": ("RW", "RW"),
    "field_kelurahan": ("Kelurahan", "Kelurahan"),
    "field_kecamatan": ("Kecamatan", "Kecamatan"),
    "field_city": ("Kota/kabupaten", "City/regency"),
    "field_phone": ("Telepon", "Phone"),
    "field_ppks": ("PPKS", "PPKS"),
    "field_welfare_decile": ("Desil kesejahteraan", "Welfare decile"),
    "reason_no_identifying_field": (
        "Tanpa NIK, KK, atau nama yang sah",
        "No valid NIK, KK or name",
    ),
    "reason_missing_source_record_id": ("ID baris kosong", "Row id is empty"),
    "reason_impossible_date": ("Tanggal tidak mungkin", "Impossible date"),
    "reason_unknown_area": ("Wilayah tidak dikenal", "Unknown area"),
    "reason_invalid_amount": ("Jumlah tidak sah", "Invalid amount"),
    "reason_duplicate_source_record_id": ("ID baris dipakai dua kali", "Row id used twice"),
    # -- polish (session 8): the upload's refusals and the quarantine's advice, worded --
    "result_cells": ("Isi sel", "Cell values"),
    "result_fix": ("Yang perlu diperbaiki", "What to fix"),
    "empty_cell": ("(kosong)", "(empty)"),
    "fix_no_identifying_field": (
        "Isi NIK (16 angka), nomor KK (16 angka), atau nama lengkap pada baris ini.",
        "Fill in the NIK (16 digits), the family card number (16 digits) or the full name.",
    ),
    "fix_missing_source_record_id": (
        "Beri baris ini ID (nomor penerima) yang tidak dipakai baris lain.",
        "Give this row an id (beneficiary number) no other row uses.",
    ),
    "fix_impossible_date": (
        "Tulis tanggal yang mungkin (tidak di masa depan, tidak sebelum 1900), mis. 17-08-1980.",
        "Write a possible date (not in the future, not before 1900), e.g. 17-08-1980.",
    ),
    "fix_unknown_area": (
        "Tulis nama kelurahan/kecamatan di Kota Bandung seperti ejaan resminya.",
        "Write the kelurahan/kecamatan name as Kota Bandung officially spells it.",
    ),
    "fix_invalid_amount": (
        "Tulis jumlah sebagai angka saja, mis. 150000.",
        "Write the amount as a plain number, e.g. 150000.",
    ),
    "fix_duplicate_source_record_id": (
        "ID ini sudah dipakai baris lain dengan isi berbeda: beri setiap penerima ID sendiri.",
        "Another row uses this id with different values: give each beneficiary its own id.",
    ),
    "refused_bad_user_input": (
        "isian {field} tidak diterima API (mis. nama wajib diisi): perbaiki di berkas lalu "
        "unggah lagi.",
        "the API did not accept the field {field} (a name is required, for example): fix it "
        "in the file and upload again.",
    ),
    "refused_other": (
        "API tidak menerima baris ini ({message}); perbaiki di berkas lalu unggah lagi.",
        "The API did not take this row ({message}); fix it in the file and upload again.",
    ),
    "refused_forbidden": (
        "akun Anda tidak boleh mengirim data ini; hubungi Dinsos.",
        "your account may not submit this; ask Dinsos.",
    ),
    "refused_service_unavailable": (
        "hub sedang tidak dapat menautkan data; unggah berkas yang sama lagi nanti.",
        "the hub cannot link records right now; upload the same file again later.",
    ),
    "upload_error_no_file": ("Pilih berkas untuk diunggah.", "Choose a file to upload."),
    "upload_error_old_xls": (
        "Berkas .xls lama tidak dibaca: simpan lembarnya sebagai .xlsx atau .csv.",
        "Old .xls workbooks are not read: save the sheet as .xlsx or .csv.",
    ),
    "upload_error_wrong_type": (
        "{file} bukan berkas .xlsx atau .csv: simpan lembarnya sebagai salah satunya.",
        "{file} is not an .xlsx or .csv file: save the sheet as one.",
    ),
    "upload_error_empty": ("Berkas {file} kosong.", "The file {file} is empty."),
    "upload_error_too_large": (
        "Berkas lebih besar dari {mb} MB: bagi menjadi beberapa berkas.",
        "The file is larger than {mb} MB: split it into smaller files.",
    ),
    "upload_error_not_xlsx": (
        "{file} bukan buku kerja .xlsx: simpan lembarnya sebagai .xlsx.",
        "{file} is not an .xlsx workbook: save the sheet as .xlsx.",
    ),
    "upload_error_not_csv": (
        "{file} bukan berkas teks CSV: simpan lembarnya sebagai .csv.",
        "{file} is not a text CSV file: save the sheet as .csv.",
    ),
    "upload_error_unreadable": (
        "Berkas tidak dapat dibaca ({detail}). Simpan ulang dari Excel lalu coba lagi.",
        "The file cannot be read ({detail}). Save it again from Excel and try again.",
    ),
    "upload_error_no_header": (
        "Baris pertama tidak berisi nama kolom: letakkan judul kolom di baris pertama.",
        "The first row holds no column names: put the header first.",
    ),
    "upload_error_unknown_field": (
        "Isian tidak dikenal: {fields}.",
        "Unknown field(s): {fields}.",
    ),
    "upload_error_field_twice": (
        "Setiap isian hanya untuk satu kolom; dipilih dua kali: {fields}.",
        "Each field takes one column; chosen twice: {fields}.",
    ),
    "upload_error_no_identity": (
        "Pilih kolom yang berisi nama, NIK, atau nomor KK.",
        "Choose the column with the name, the NIK or the KK number.",
    ),
    "upload_error_nothing_waiting": (
        "Tidak ada berkas yang menunggu: unggah lembarnya lagi.",
        "No file is waiting: upload the spreadsheet again.",
    ),
    # a workbook that unpacks past connectors.upload.MAX_UNPACKED_BYTES (a zip bomb)
    "upload_error_too_large_unpacked": (
        "{file} terurai menjadi lebih dari {mb} MB: simpan hanya lembar daftar penerima, "
        "tanpa gambar atau lembar lain, atau bagi menjadi beberapa berkas.",
        "{file} unpacks to more than {mb} MB: save only the sheet of people, without "
        "pictures or other sheets, or split it into smaller files.",
    ),
}

__all__ = ["UPLOAD_LABELS"]
