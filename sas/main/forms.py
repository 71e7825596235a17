from wtforms import HiddenField

from sas.forms import BaseForm


class LanguageForm(BaseForm):
    lang = HiddenField()
    next = HiddenField()
