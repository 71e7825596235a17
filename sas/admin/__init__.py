"""Administration: regions, schools (one by one or from a CSV file), accounts, and the committee
handover at the end of a school year. Only the ``admin`` role, district-wide; a school's teacher
may read that school's handover reports."""
