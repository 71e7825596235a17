"""A school's own pages: its dashboard and its cash book (Buku Kas), on screen and as CSV."""
