"""Evidence: photos and PDFs attached to disbursements, and the district's share of them."""
