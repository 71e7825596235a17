"""District and kecamatan reports, the school summary and the public page: numbers only."""
