"""Reports above the ledger: per school, kecamatan and kabupaten; numbers only, never names."""
