"""A school's recipient list: add, edit, deactivate; never deleted; never seen by others."""

import pytest
from sqlalchemy import func, select

from sas.extensions import db
from sas.models import Recipient
from tests.factories import disburse
from tests.web import login

A = "/sekolah/20525555"


@pytest.fixture
def komite(client, world):
    login(client, "komite_a")
    return client


def test_adding_a_recipient(komite, world):
    response = komite.post(
        f"{A}/penerima/baru",
        data={
            "name": "Dewi Lestari",
            "class_label": "7B",
            "nisn": "0123456789",
            "reason": "Rumah terdampak banjir",
            "active": "y",
        },
    )
    assert response.status_code == 303
    page = komite.get(response.headers["Location"]).text
    assert "Penerima ditambahkan." in page
    assert "Dewi Lestari" in page and "0123456789" in page and "Rumah terdampak banjir" in page
    recipient = db.session.scalar(select(Recipient).where(Recipient.name == "Dewi Lestari"))
    assert recipient.school_id == world["a"].id and recipient.active


def test_the_school_comes_from_the_url_not_the_form(komite, world):
    komite.post(
        f"{A}/penerima/baru", data={"name": "Rudi", "school_id": world["b"].id, "active": "y"}
    )
    assert db.session.scalar(select(Recipient.school_id).where(Recipient.name == "Rudi")) == (
        world["a"].id
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Wajib diisi."),
        ({"name": "Ani", "nisn": "12345"}, "NISN terdiri dari 10 angka."),
        ({"name": "Ani", "nisn": "12345678AB"}, "NISN terdiri dari 10 angka."),
        ({"name": "x" * 101}, "Paling banyak 100 karakter."),
    ],
)
def test_bad_recipient_data_is_refused(komite, world, data, message):
    response = komite.post(f"{A}/penerima/baru", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(select(func.count(Recipient.id))) == 2


def test_editing_and_deactivating(komite, world):
    rid = world["recipient_a"].id
    form = komite.get(f"{A}/penerima/{rid}/ubah").text
    assert 'value="Siti Aminah"' in form
    response = komite.post(
        f"{A}/penerima/{rid}/ubah",
        data={"name": "Siti Aminah", "class_label": "9A", "reason": "Yatim"},
    )
    assert response.status_code == 303
    db.session.refresh(world["recipient_a"])
    assert world["recipient_a"].class_label == "9A"
    assert world["recipient_a"].active is False  # the box was not ticked
    page = komite.get(f"{A}/penerima").text
    assert "Tidak aktif" in page
    assert "Siti Aminah" not in komite.get(f"{A}/penyaluran/baru").text


def test_a_recipient_with_history_stays_and_keeps_its_history(komite, world):
    out = disburse(world["a"], 10_000, world["komite_a"], world["recipient_a"])
    komite.post(f"{A}/penerima/{world['recipient_a'].id}/ubah", data={"name": "Siti Aminah"})
    assert "Siti Aminah" in komite.get(f"{A}/catatan/{out.id}").text
    assert db.session.get(Recipient, world["recipient_a"].id) is not None


def test_there_is_no_way_to_delete(komite, world):
    rid = world["recipient_a"].id
    assert komite.delete(f"{A}/penerima/{rid}/ubah").status_code == 405
    assert komite.post(f"{A}/penerima/{rid}/delete").status_code == 404
    assert db.session.get(Recipient, rid) is not None


def test_other_schools_never_see_the_names(client, world):
    login(client, "komite_b")
    assert client.get(f"{A}/penerima").status_code == 404
    page = client.get("/sekolah/20526666/penerima").text
    assert "Budi Santoso" in page and "Siti Aminah" not in page
    client.post("/keluar")
    login(client, "dinas")
    assert client.get(f"{A}/penerima").status_code == 403
