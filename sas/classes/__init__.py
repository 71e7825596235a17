"""A school's class list (rombongan belajar), kept by its committee."""
