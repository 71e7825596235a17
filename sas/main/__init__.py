"""Home redirects, placeholder homes for district and admin, the language switch."""
