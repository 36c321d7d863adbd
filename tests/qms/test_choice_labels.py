"""`get_<field>_display()` on the app's models (qms.models.base.Model): the label Django gives,
worked out without translating every choice of the field at each call."""

from django.apps import apps
from django.db import models
from django.utils.functional import Promise

from qms.choices import ActionStatus
from qms.models import Action
from qms.models.base import Model, _labels


def choice_fields():
    for model in apps.get_models():
        if issubclass(model, Model):
            for field in model._meta.concrete_fields:
                if field.choices:
                    yield model, field


def test_every_choice_of_every_model_shows_the_label_django_gives():
    checked = 0
    for model, field in choice_fields():
        for value in [value for value, _label in field.flatchoices] + ["not-a-choice", None]:
            record = model(**{field.attname: value})
            shown = getattr(record, f"get_{field.name}_display")()
            assert shown == models.Model._get_FIELD_display(record, field), (model, field.name, value)
            checked += 1
    assert checked > 200  # the statuses, kinds and roles of every app, not an empty loop


def test_labels_stay_lazy_so_each_call_speaks_the_active_language():
    field = Action._meta.get_field("status")
    assert isinstance(_labels(field)[ActionStatus.OPEN], Promise)
    assert Action(status=ActionStatus.IN_PROGRESS).get_status_display() == "In progress"
