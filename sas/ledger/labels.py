"""Human labels (translated lazily) for the ledger's codes."""

from flask_babel import lazy_gettext as _l

from sas.models import Category, EntryKind, Source

KIND_LABELS = {
    EntryKind.CONTRIBUTION: _l("Uang masuk"),
    EntryKind.DISBURSEMENT: _l("Uang keluar"),
    EntryKind.VOID: _l("Koreksi"),
    EntryKind.TRANSFER_OUT: _l("Transfer keluar"),
    EntryKind.TRANSFER_IN: _l("Transfer masuk"),
}

SOURCE_LABELS = {
    Source.CLASS: _l("Iuran kelas"),
    Source.INDIVIDUAL: _l("Perorangan"),
    Source.ANONYMOUS: _l("Tanpa nama"),
    Source.OTHER: _l("Lainnya"),
}

CATEGORY_LABELS = {
    Category.SERAGAM: _l("Seragam"),
    Category.SEPATU: _l("Sepatu"),
    Category.TAS: _l("Tas"),
    Category.ALAT_TULIS: _l("Alat tulis / buku"),
    Category.SEPEDA: _l("Sepeda"),
    Category.KACAMATA: _l("Kacamata"),
    Category.UANG_SAKU: _l("Uang saku"),
    Category.TRANSPORT: _l("Transport"),
    Category.KUOTA: _l("Kuota / HP"),
    Category.SEMBAKO: _l("Sembako"),
    Category.MUSIBAH: _l("Musibah"),
    Category.BEASISWA: _l("Beasiswa"),
    Category.LAINNYA: _l("Lainnya"),
}

# Why an entry breaks the chain (``sas.ledger.chain.PROBLEMS``), as the dashboard says it.
CHAIN_PROBLEMS = {
    "missing": _l("ada transaksi sebelumnya yang hilang (dihapus)"),
    "prev": _l("tidak menyambung ke transaksi sebelumnya (dihapus atau diubah urutannya)"),
    "changed": _l("isinya diubah sesudah dicatat"),
    "tail": _l("transaksi terakhir hilang (dihapus)"),
}
