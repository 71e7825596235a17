"""A refusal shown on a form, and a view's write committed and reported: ``sas.forms``'s
``show_refusal``, ``commit_form`` and ``commit_action``, with any ``sas.refusals.Refused``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, get_flashed_messages, make_response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import StringField

from sas.admin import services as admin
from sas.extensions import db
from sas.forms import BaseForm, commit_action, commit_form, show_refusal
from sas.models import Region, RegionLevel, Role
from sas.refusals import Refused
from tests.factories import make_kabupaten, make_user
from tests.web import login


class RegionForm(BaseForm):
    code = StringField()
    name = StringField()


@pytest.fixture
def posted(app: Flask) -> Iterator[RegionForm]:
    """A form in a POST request of its own (flashed messages, a session)."""
    with app.test_request_context("/", method="POST"):
        yield RegionForm(formdata=None)


def add_region(code: str = "35.98") -> Region:
    region = Region(code=code, name="Contoh", level=RegionLevel.KABUPATEN)
    db.session.add(region)
    db.session.flush()
    return region


def regions() -> int:
    return db.session.scalar(select(func.count()).select_from(Region)) or 0


def refuse(message: str, field: str | None = None) -> Region:
    add_region()  # written before the rule said no: the refusal must undo it
    raise Refused(message, field)


def test_a_refusal_shows_next_to_its_field_else_the_fallback_else_at_the_top(posted):
    add_region()
    show_refusal(posted, Refused("Kode sudah dipakai.", "code"), fallback=None)
    show_refusal(posted, Refused("Nama wajib diisi.", "missing"), fallback="name")
    show_refusal(posted, Refused("Tidak bisa disimpan."))  # no "amount" here: at the top
    assert posted.code.errors == ["Kode sudah dipakai."]
    assert posted.name.errors == ["Nama wajib diisi."]
    assert posted.form_errors == ["Tidak bisa disimpan."]
    assert regions() == 0  # nothing was saved


def test_a_write_is_committed_once_then_reported_and_redirected(posted):
    answer = commit_form(
        posted,
        add_region,
        message=lambda region: f"Wilayah {region.code} ditambahkan.",
        to=lambda region: f"/admin/wilayah/{region.code}",
    )
    db.session.rollback()  # what the commit kept stays
    assert answer is not None
    assert (answer.status_code, answer.location) == (303, "/admin/wilayah/35.98")
    assert get_flashed_messages(with_categories=True) == [("success", "Wilayah 35.98 ditambahkan.")]
    assert regions() == 1


def test_a_write_may_say_nothing_and_answer_with_a_page(posted):
    answer = commit_form(
        posted,
        add_region,
        message=lambda _region: None,
        to=lambda _region: make_response("halaman", 200),
    )
    assert answer is not None
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "halaman")
    assert get_flashed_messages() == []
    assert regions() == 1


def test_a_refused_write_saves_nothing_and_is_shown_on_the_form(posted):
    answer = commit_form(
        posted, lambda: refuse("Nama wajib diisi.", "name"), message="Disimpan.", to="/admin"
    )
    assert answer is None  # the view draws the form again, with 422
    assert posted.name.errors == ["Nama wajib diisi."]
    assert get_flashed_messages() == []
    assert regions() == 0


def test_a_row_saved_meanwhile_by_someone_else_is_a_conflict_on_the_form(posted):
    make_kabupaten("35.98")
    db.session.commit()
    conflict = "Data yang sama baru saja disimpan orang lain."
    assert commit_form(posted, add_region, to="/admin", conflict=conflict) is None
    assert posted.form_errors == [conflict]
    assert regions() == 1
    with pytest.raises(IntegrityError):  # without a conflict message it is not a refusal
        commit_form(posted, add_region, to="/admin")
    db.session.rollback()


def test_a_button_reports_its_write_and_goes_back(posted):
    answer = commit_action(add_region, message="Wilayah ditambahkan.", back="/admin/wilayah")
    assert (answer.status_code, answer.location) == (303, "/admin/wilayah")
    assert get_flashed_messages(with_categories=True) == [("success", "Wilayah ditambahkan.")]
    assert regions() == 1


def test_a_refused_button_flashes_the_refusal_and_goes_back(posted):
    answer = commit_action(
        lambda: refuse("Wilayah ini sudah nonaktif."), message="Disimpan.", back="/admin", to="/x"
    )
    assert (answer.status_code, answer.location) == (303, "/admin")
    assert get_flashed_messages(with_categories=True) == [("error", "Wilayah ini sudah nonaktif.")]
    assert regions() == 0


def test_an_admin_form_that_meets_a_row_saved_meanwhile_says_so(app, client, monkeypatch):
    make_kabupaten("35.10")
    make_user("admin", Role.ADMIN)
    login(client, "admin")

    def create_region(*, code: str, name: str) -> Region:  # the check passed a moment before
        return add_region("35.10")

    monkeypatch.setattr(admin, "create_region", create_region)
    response = client.post("/admin/wilayah/baru", data={"code": "35.11", "name": "Jember"})
    assert response.status_code == 422
    assert "Data yang sama baru saja disimpan orang lain; periksa lalu coba lagi." in response.text
    assert regions() == 1
