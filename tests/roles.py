"""Who asks, and what each must get: the columns and common rows of the role x route matrices
(tests/test_access.py and the matrices of each feature's tests).

Columns: anonymous, committee of A, committee of B, teacher of A, teacher of B, district officer,
admin. 302 = sent to the login page (or home); 303 = a successful form POST; 404 = outside your
school.
"""

ACTORS = ["anon", "komite_a", "komite_b", "guru_a", "guru_b", "dinas", "admin"]

READ = [302, 200, 404, 200, 404, 403, 403]  # a school page
WRITE_FORM = [302, 200, 404, 403, 403, 403, 403]  # the GET of a committee form
WRITE = [302, 303, 404, 403, 403, 403, 403]  # the POST of a committee form
RECORD = [302, 200, 404, 403, 403, 403, 403]  # the POST of a form that records money

BOARD = [302, 200, 200, 200, 200, 200, 200]  # every school of the kabupaten, its district
