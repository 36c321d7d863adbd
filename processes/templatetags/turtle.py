from django import template
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def remove_line(context, part: str, line) -> str:
    """The control that removes one line of a process's turtle, for those who may change it. A tag,
    not an include: a busy process has a hundred lines, and the include cost 0.1 ms each."""
    if not context.get("can_change"):
        return ""
    return get_template("components/confirm_link.html").render(
        {
            "url": reverse("processes:process_part_remove", args=[context["object"].pk, part, line.pk]),
            "title": _("Remove %(line)s") % {"line": line},
            "icon": "x-lg",
            "css": "btn btn-link btn-sm p-0 ms-1 text-body-secondary remove-line",
        }
    )
