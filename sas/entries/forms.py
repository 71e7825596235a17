"""Entry forms. Each carries a one-time ``form_key`` so a double submit records once."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)

from sas.evidence.forms import evidence_field
from sas.fields import EntryForm, RupiahField, form_key_field
from sas.forms import BaseForm
from sas.ledger.labels import CATEGORY_LABELS, SOURCE_LABELS

NO_CLASS = SelectChoice("", _l("— pilih kelas —"))


class ContributionForm(EntryForm):
    """One gift. The class comes from the school's list (``set_classes``) and is required for
    a class collection; a person's gift names the person; an anonymous one has no name."""

    source = RadioField(
        _l("Dari siapa"),
        choices=[SelectChoice(s.value, label) for s, label in SOURCE_LABELS.items()],
        default="class",
        validators=[InputRequired()],
    )
    class_label = SelectField(_l("Kelas"), choices=[NO_CLASS], validators=[Optional()])
    donor_name = StringField(_l("Nama pemberi"), validators=[Optional(), Length(max=100)])
    note = TextAreaField(_l("Catatan (boleh kosong)"), validators=[Optional(), Length(max=500)])

    def set_classes(self, labels: list[str]) -> None:
        self.class_label.choices = [NO_CLASS, *(SelectChoice(label, label) for label in labels)]


class ClassCollectionsForm(BaseForm):
    """One date and one amount per class (``for_classes`` adds a field per class); the rows
    left empty are skipped. One form key for the whole form."""

    occurred_on = EntryForm.occurred_on
    form_key = form_key_field()

    @classmethod
    def for_classes(cls, classes: list[tuple[int, str]], **kwargs: Any) -> ClassCollectionsForm:
        fields = {
            f"class_{id_}": RupiahField(label, validators=[Optional()]) for id_, label in classes
        }
        form: ClassCollectionsForm = type("ClassCollectionsForm", (cls,), fields)(**kwargs)
        return form

    def row_fields(self) -> list[Field]:
        """A field per class, in the order the classes were given."""
        return [f for f in self if f.name.startswith("class_")]

    def rows(self) -> list[tuple[int, int]]:
        """The filled rows: each class's id and its amount."""
        return [
            (int(f.name.removeprefix("class_")), f.data)
            for f in self.row_fields()
            if f.data is not None
        ]


def optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


class DisbursementForm(EntryForm):
    """Nothing is chosen for the user: a wrong child must not be one careless tap away."""

    recipient_id = SelectField(
        _l("Penerima"),
        coerce=optional_int,
        validators=[InputRequired(_l("Pilih penerima."))],
    )
    category = SelectField(
        _l("Kebutuhan"),
        choices=[
            SelectChoice("", _l("— pilih kebutuhan —")),
            *(SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()),
        ],
        default="",
        validators=[InputRequired(_l("Pilih kebutuhan."))],
    )
    in_kind = BooleanField(_l("Diberikan dalam bentuk barang (bukan uang tunai)"))
    description = TextAreaField(_l("Keterangan"), validators=[Optional(), Length(max=500)])
    evidence = evidence_field()  # optional photos or PDFs (sas.evidence)


class VoidForm(BaseForm):
    reason = TextAreaField(
        _l("Alasan koreksi"),
        validators=[DataRequired(_l("Alasan koreksi wajib diisi.")), Length(max=500)],
    )
    form_key = form_key_field()
