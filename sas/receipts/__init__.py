"""Kuitansi: a printable receipt for every entry, and its public check by QR code."""
