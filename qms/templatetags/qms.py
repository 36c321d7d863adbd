from django import template
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.utils.html import format_html

from qms.forms import AttachmentForm, form_layout
from qms.models.records import detail_url
from qms.selectors import evidence_panel as build_evidence_panel

register = template.Library()


@register.simple_tag
def fixed_url(view_name: str, *ids: int) -> str:
    """`{% url %}` for the links drawn on every page or row (the navigation, a row's buttons): reversed
    once per URL configuration by `detail_url` and filled in after, where `{% url %}` reverses each
    time."""
    return detail_url(view_name, *ids)


@register.inclusion_tag("components/sort_header.html", takes_context=True)
def sort_header(context, field: str, label: str):
    """A column header that sorts the list by `field`, and toggles the direction when clicked again."""
    current = context["request"].GET.get("o", "")
    direction = "asc" if current == field else "desc" if current == f"-{field}" else ""
    return {
        "request": context["request"],
        "label": label,
        "direction": direction,
        "next": f"-{field}" if direction == "asc" else field,
    }


@register.simple_tag
def status_badge(record) -> str:
    return format_html(
        '<span class="badge rounded-pill text-bg-{}">{}</span>', record.status_colour, record.get_status_display()
    )


@register.simple_tag
def confirm_link(url: str, label: str = "", icon: str = "", css: str = "", title: str = "") -> str:
    """`{% confirm_link url label=... icon=... css=... title=... %}`: a control for a step that asks
    first, opening the step's confirmation in the dialog. A tag, not a template: a busy process's
    turtle has a hundred of them, and rendering a template for each cost 0.1 ms."""
    title_attrs = format_html(' title="{}" aria-label="{}"', title, title) if title else ""
    icon_html = format_html('<i class="bi bi-{}" aria-hidden="true"></i>{}', icon, " " if label else "") if icon else ""
    return format_html(
        '<a class="{}" href="{}" hx-get="{}" hx-target="#dialog-content" hx-swap="innerHTML"{}>{}{}</a>',
        css or "btn btn-outline-secondary",
        url,
        url,
        title_attrs,
        icon_html,
        label,
    )


@register.filter
def verbose_name_plural(model) -> str:
    return model._meta.verbose_name_plural


@register.filter
def verbose_name(model) -> str:
    return model._meta.verbose_name


@register.simple_tag(takes_context=True)
def render_section(context, section) -> str:
    """Render a hub section (see qms.hub) with its own context."""
    return render_to_string(section.template, {**section.context, "section": section}, request=context["request"])


@register.filter
def can_add(user, model_label: str) -> bool:
    """`{% if user|can_add:"risks.Risk" %}`: the permission rule, asked from a template, so a
    control to create a record shows only to those who may."""
    return apps.get_model(model_label).user_can_add(user)


@register.filter
def content_type_id(record) -> int:
    return ContentType.objects.get_for_model(record).pk


@register.filter
def layout(form):
    """`{% for legend, rows in form|layout %}`: the form's fields in their groups and rows."""
    return form_layout(form)


@register.simple_tag(takes_context=True)
def evidence_panel(context, record, form=None):
    """`{% evidence_panel record as evidence %}`: the record's files and what the signed-in user may
    do with them (see components/attachments.html); `form` an upload form to show with its errors.
    On a record's own page, whether the user may change it is the page's `can_change`."""
    form = form if isinstance(form, AttachmentForm) else None
    may_change = context.get("can_change") if record is context.get("object") else None
    return build_evidence_panel(record, context["request"].user, form=form, may_change=may_change)
