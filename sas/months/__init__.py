"""A school's months: the printable monthly report (laporan bulanan) and closing (tutup buku)."""
