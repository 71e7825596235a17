"""Recording money in a school's book: contributions, class collections, disbursements, voids."""
