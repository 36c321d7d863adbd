"""Widgets render from Django's Jinja2 templates (qms.renderers.FormRenderer) for speed: the HTML
must be what the template language gives, for every kind of widget the app's forms use."""

import pytest
from django.forms import renderers
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test.html import parse_html

from audits.forms import AuditForm
from nonconformities.forms import NonconformityForm
from objectives.forms import KPIForm
from qms.forms import ActionForm, PersonForm
from risks.forms import RiskForm
from tests.factories import ActionFactory, AuditFactory, NonconformityFactory, RiskFactory

pytestmark = pytest.mark.django_db


def fields_html(form) -> dict:
    """Each field's HTML, parsed: equal when a browser would read the same elements."""
    return {bound.name: parse_html(str(bound)) for bound in form}


@pytest.mark.parametrize(
    ("form_class", "record"),
    [
        (ActionForm, ActionFactory),  # pickers (chosen options only), selects, dates, text areas
        (AuditForm, AuditFactory),  # people selects with disabled, annotated options; checkboxes
        (NonconformityForm, NonconformityFactory),  # the five whys: a multi-widget
        (RiskForm, RiskFactory),  # radio levels
        (KPIForm, None),  # numbers, and a new record's empty choices
    ],
)
def test_widgets_render_as_the_template_language_renders_them(form_class, record, quality):
    instance = record() if record else None
    data = {"title": "", "due_date": "not a date", "owner": "2**64"}  # errors and refused values too
    for bound in (False, True):
        args = (data,) if bound else ()
        fast = form_class(*args, instance=instance, user=quality)
        assert isinstance(fast.renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
        reference = form_class(*args, instance=instance, user=quality, renderer=renderers.DjangoTemplates())
        assert fields_html(fast) == fields_html(reference)


def test_the_admin_widgets_still_render(client_for, quality):
    quality.is_staff = quality.is_superuser = True
    quality.save()
    page = client_for(quality).get(f"/admin/qms/action/{ActionFactory().pk}/change/")
    assert page.status_code == 200 and 'class="related-lookup"' in page.content.decode()


def test_person_form_renders_its_selects_and_checkboxes(quality):
    form = PersonForm(instance=quality)
    assert fields_html(form) == fields_html(PersonForm(instance=quality, renderer=renderers.DjangoTemplates()))
