"""Human labels (translated lazily) for the audit log's action codes."""

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "login.succeeded": _l("Masuk berhasil"),
    "login.failed": _l("Masuk gagal"),
    "login.limited": _l("Masuk ditahan (terlalu sering gagal)"),
    "logout": _l("Keluar"),
    "password.changed": _l("Kata sandi diganti"),
    "password.reset": _l("Kata sandi direset"),
    "entry.recorded": _l("Transaksi dicatat"),
    "entry.voided": _l("Transaksi dibatalkan"),
    "recipient.added": _l("Penerima ditambahkan"),
    "recipient.changed": _l("Data penerima diubah"),
    "month.closed": _l("Tutup buku bulan"),
    "user.created": _l("Akun dibuat"),
    "user.changed": _l("Akun diubah"),
    "user.deactivated": _l("Akun dinonaktifkan"),
    "user.reactivated": _l("Akun diaktifkan kembali"),
    "school.created": _l("Sekolah dibuat"),
    "school.changed": _l("Sekolah diubah"),
    "school.deactivated": _l("Sekolah dinonaktifkan"),
    "region.created": _l("Wilayah dibuat"),
    "region.changed": _l("Wilayah diubah"),
    "schools.imported": _l("Impor sekolah"),
    "committee.term_ended": _l("Masa bakti Tim SAS diakhiri"),
    "token.created": _l("Token API dibuat"),
    "token.revoked": _l("Token API dicabut"),
    "access.denied": _l("Akses ditolak"),
}
