"""The running totals move with every entry and void, and can be rebuilt from the ledger."""

import uuid
from datetime import date

import pytest

from sas import integrity, ledger
from sas.entries import services as entries
from sas.extensions import db
from sas.ledger import totals
from sas.models import (
    Category,
    MonthTotal,
    RecipientMonth,
    Source,
    YearCategoryTotal,
    YearTotal,
)
from sas.months.services import close_month
from tests.factories import make_recipient

TODAY = date(2026, 11, 27)  # the services take "today" explicitly


def give(world, amount, on, recipient=None, in_kind=True, category=Category.SEPATU):
    entry = entries.record_disbursement(
        world["a"],
        amount=amount,
        occurred_on=on,
        recipient=recipient or world["recipient_a"],
        category=category,
        in_kind=in_kind,
        description=None,
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return entry


def gift(world, amount, on):
    entry = entries.record_contribution(
        world["a"],
        amount=amount,
        occurred_on=on,
        source=Source.CLASS,
        class_label="7A",
        donor_name=None,
        note=None,
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return entry


def void(world, entry, on=TODAY):
    reversal = entries.void_entry(
        world["a"],
        entry,
        reason="Salah",
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=on,
    )
    db.session.commit()
    return reversal


def year(world, y):
    return db.session.get(YearTotal, (world["a"].id, y))


def test_totals_follow_entries_across_the_school_year_boundary(world):
    gift(world, 500_000, date(2025, 6, 30))  # school year 2024/2025
    june = give(world, 100_000, date(2025, 6, 30))
    give(world, 40_000, date(2025, 7, 1), in_kind=False, category=Category.UANG_SAKU)  # 2025/2026
    assert (year(world, 2024).collected, year(world, 2024).disbursed) == (500_000, 100_000)
    assert (year(world, 2025).disbursed, year(world, 2025).disbursed_in_kind) == (40_000, 0)
    assert year(world, 2024).helped == 1 and year(world, 2025).helped == 1
    # Voided a year later: the money comes back in the month of the void (2026/2027), the child
    # no longer counts as helped in 2024/2025 (the only gift to them that year was voided).
    void(world, june)
    assert year(world, 2024).disbursed == 100_000
    assert year(world, 2026).disbursed == -100_000
    assert year(world, 2024).helped == 0 and year(world, 2025).helped == 1
    november = db.session.get(MonthTotal, (world["a"].id, date(2026, 11, 1)))
    assert november.disbursed == -100_000 and november.disbursed_in_kind == -100_000
    assert totals.differences() == []


def test_helped_counts_distinct_children(world):
    other = make_recipient(world["a"], name="Rina")
    gift(world, 100_000, date(2026, 9, 1))
    first = give(world, 10_000, date(2026, 10, 1))
    give(world, 10_000, date(2026, 10, 2))  # the same child twice
    give(world, 10_000, date(2026, 11, 2), recipient=other)
    assert year(world, 2026).helped == 2
    void(world, first)  # still helped by the second gift
    assert year(world, 2026).helped == 2
    october = db.session.get(RecipientMonth, (world["recipient_a"].id, date(2026, 10, 1)))
    assert october.disbursements == 1


def test_rebuild_restores_planted_damage_and_check_finds_it(app, world):
    gift(world, 100_000, date(2026, 9, 1))
    give(world, 30_000, date(2026, 11, 2))
    row = db.session.get(YearTotal, (world["a"].id, 2026))
    row.collected += 1
    row.helped = 7
    db.session.commit()
    problems = integrity.check_totals()
    assert any(
        "year_totals" in p and "collected: stored 200001, ledger 200000" in p for p in problems
    )
    assert any("helped: stored 7, ledger 1" in p for p in problems)
    result = app.test_cli_runner().invoke(args=["sas", "check-totals"])
    assert result.exit_code == 1
    assert app.test_cli_runner().invoke(args=["sas", "rebuild-totals"]).exit_code == 0
    db.session.expire_all()
    assert integrity.check_totals() == []


def test_year_categories_add_up_the_months_of_the_school_year(world):
    gift(world, 500_000, date(2025, 6, 1))
    give(world, 100_000, date(2025, 6, 30))  # 2024/2025
    shoes = give(world, 40_000, date(2025, 7, 1))  # 2025/2026
    give(world, 25_000, date(2026, 3, 2), in_kind=False)
    give(world, 10_000, date(2026, 3, 2), category=Category.TAS)
    void(world, shoes)  # dated 27 Nov 2026: counted in 2026/2027

    def year_category(y, category=Category.SEPATU):
        row = db.session.get(YearCategoryTotal, (world["a"].id, y, category))
        return (row.amount, row.in_kind) if row else None

    assert year_category(2024) == (100_000, 100_000)
    assert year_category(2025) == (65_000, 40_000)
    assert year_category(2025, Category.TAS) == (10_000, 10_000)
    assert year_category(2026) == (-40_000, -40_000)
    assert totals.differences() == []


def test_closings_by_the_deadline_are_counted_per_school_year(world):
    def close(month, on):
        close_month(world["a"], month, closed_by=world["komite_a"], today=on)
        db.session.commit()

    close(date(2025, 6, 1), date(2025, 7, 10))  # on time, school year 2024/2025
    close(date(2025, 7, 1), date(2025, 8, 11))  # late
    close(date(2025, 8, 1), date(2025, 9, 2))  # on time
    close(date(2025, 9, 1), date(2025, 10, 10))  # on time
    assert year(world, 2024).on_time_months == 1  # a year without entries gets a row
    assert year(world, 2024).entries == 0
    assert year(world, 2025).on_time_months == 2
    assert totals.differences() == []
    year(world, 2025).on_time_months = 3
    db.session.commit()
    assert integrity.check_totals() == [
        f"year_totals ({world['a'].id}, 2025) on_time_months: stored 3, ledger 2"
    ]
    totals.rebuild()
    db.session.commit()
    assert integrity.check_totals() == []
    assert year(world, 2025).on_time_months == 2


@pytest.mark.parametrize("missing", [MonthTotal, RecipientMonth, YearCategoryTotal])
def test_check_finds_a_deleted_total(world, missing):
    gift(world, 100_000, date(2026, 9, 1))
    give(world, 30_000, date(2026, 11, 2))
    db.session.execute(missing.__table__.delete())
    db.session.commit()
    assert integrity.check_totals() != []
    totals.rebuild()
    db.session.commit()
    assert integrity.check_totals() == []


def test_closing_freezes_the_month_and_every_earlier_one(world):
    gift(world, 50_000, date(2026, 10, 15))
    closing = close_month(
        world["a"], date(2026, 10, 1), closed_by=world["komite_a"], today=date(2026, 11, 3)
    )
    db.session.commit()
    assert closing.on_time
    for day in (date(2026, 10, 31), date(2026, 9, 1)):
        with pytest.raises(ledger.LedgerError, match="ditutup") as refused:
            gift(world, 1_000, day)
        db.session.rollback()
        assert refused.value.field == "occurred_on"
    gift(world, 1_000, date(2026, 11, 1))
    with pytest.raises(ledger.LedgerError, match="sudah ditutup"):
        close_month(world["a"], date(2026, 10, 1), closed_by=world["komite_a"], today=TODAY)
    db.session.rollback()
    with pytest.raises(ledger.LedgerError, match="belum berakhir"):
        close_month(world["a"], date(2026, 11, 1), closed_by=world["komite_a"], today=TODAY)
    db.session.rollback()


def test_late_closing_is_flagged(world):
    late = close_month(
        world["a"], date(2026, 9, 1), closed_by=world["komite_a"], today=date(2026, 10, 11)
    )
    assert not late.on_time
    db.session.rollback()
