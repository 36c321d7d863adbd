from django import template
from django.utils.translation import gettext as _

from qms.models import detail_url
from qms.templatetags.qms import confirm_link

register = template.Library()


@register.simple_tag(takes_context=True)
def remove_line(context, part: str, line) -> str:
    """The control that removes one line of a process's turtle, for those who may change it."""
    if not context.get("can_change"):
        return ""
    return confirm_link(
        detail_url("processes:process_part_remove", context["object"].pk, part, line.pk),
        title=_("Remove %(line)s") % {"line": line},
        icon="x-lg",
        css="btn btn-link btn-sm p-0 ms-1 text-body-secondary remove-line",
    )
