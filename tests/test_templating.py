"""The app-wide template helpers: every filter a template names exists, and the formatters show
dates, counts and chart scales as the pages need them."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale
from jinja2 import nodes

from sas.dates import (
    format_day,
    format_month,
    format_month_long,
    format_month_short,
    format_timestamp,
)
from sas.reports.exports import format_students
from sas.templating import chart_ceiling, evidence_share

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_filter_a_template_names_is_registered(app):
    """A filter registered in the wrong place (or not at all) fails only when its page is drawn."""
    env = app.jinja_env
    missing = {
        (str(path.relative_to(TEMPLATES)), node.name)
        for path in sorted(TEMPLATES.rglob("*.html"))
        for node in env.parse(path.read_text(encoding="utf-8")).find_all(nodes.Filter)
        if node.name not in env.filters
    }
    assert missing == set()


def test_dates_in_both_languages(app):
    with force_locale("id"):
        assert format_day(date(2026, 8, 17)) == "17 Agu 2026"
        assert format_month(date(2026, 8, 1)) == "Agu 2026"
        assert format_month_long(date(2026, 8, 1)) == "Agustus 2026"
        assert format_month_short(date(2026, 8, 1)) == "Agu"
        # stored in UTC, shown in WIB (UTC+7)
        assert format_timestamp(datetime(2026, 8, 17, 3, 5, tzinfo=UTC)) == "17 Agu 2026 10:05"
    with force_locale("en"):
        assert format_day(date(2026, 8, 17)) == "17 Aug 2026"
        assert format_month_long(date(2026, 8, 1)) == "August 2026"
    assert format_day(None) == "" and format_timestamp(None) == ""


def test_counts_of_students_above_the_school(app):
    with force_locale("id"):
        assert [format_students(n) for n in (0, 1, 2, 3, 1234)] == ["0", "<3", "<3", "3", "1.234"]
        assert format_students(2, suppress=False) == "2"
    assert evidence_share((12, 15)) == "12/15 (80%)"


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (7, 8), (11, 15), (2_400_000, 2_500_000), (8_000_001, 10_000_000)],
)
def test_a_chart_scale_ends_at_a_round_number(value, ceiling):
    assert chart_ceiling(value) == ceiling


def test_template_translations_follow_the_language_and_escape_what_they_are_given(app):
    """The layout's own ``_``/``ngettext`` (kept finished strings, sas.templating) give what
    Jinja's would: the language of the moment, variables escaped, ``num`` by default."""
    page = app.jinja_env.from_string(
        "{% autoescape true %}{{ _('Saldo') }}|{{ _('Saldo %(x)s', x='<b>') }}|"
        "{{ ngettext('%(num)d baris', '%(num)d baris', 3) }}{% endautoescape %}"
    )
    with app.test_request_context():
        with force_locale("id"):
            assert page.render() == "Saldo|Saldo &lt;b&gt;|3 baris"
        with force_locale("en"):
            assert page.render().startswith("Balance|")
        with force_locale("id"):
            assert page.render().startswith("Saldo|")
