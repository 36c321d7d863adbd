"""The outbox: quality managers see the e-mail the product queued, sent and could not send yet, and
try a failed one again."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from qms import outbox
from qms.models import OutboxMessage

from .generic import done_response

STATES = {
    "unsent": gettext_lazy("Waiting"),
    "failed": gettext_lazy("Failed"),
    "sent": gettext_lazy("Sent"),
}


def _administer(request: HttpRequest) -> None:
    if not request.user.administers_qms:
        raise PermissionDenied(_("Only quality managers see the outgoing e-mail."))


@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    """Outgoing e-mail by state, newest first; 50 to a page."""
    _administer(request)
    state = request.GET.get("state") if request.GET.get("state") in STATES else "unsent"
    queryset = getattr(OutboxMessage.objects, state)().defer("body", "html", "attachments")
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    counts = {name: getattr(OutboxMessage.objects, name)().count() for name in ("unsent", "failed")}
    context = {"page_obj": page, "state": state, "states": STATES, "counts": counts}
    return TemplateResponse(request, "qms/outbox_list.html", context)


@require_POST
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Try an unsent message again now."""
    _administer(request)
    message = get_object_or_404(OutboxMessage.objects.unsent(), pk=pk)
    outbox.outbox_retry(message=message, user=request.user)
    messages.success(request, _("Sending “%(subject)s” again now.") % {"subject": message.subject})
    return done_response(request, f"{reverse('qms:outbox_list')}?state=failed")
