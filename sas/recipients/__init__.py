"""A school's list of needy students: kept by its committee, seen by its teacher, by no one else."""
