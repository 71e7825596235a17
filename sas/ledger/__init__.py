"""The school ledger: contributions, disbursements, voids, dashboard and cash book."""
