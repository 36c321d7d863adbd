from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

MODULES = {
    "reviews": (
        _("Management reviews"),
        "people",
        _("It will compile the inputs of management review and record its decisions as actions (ISO 9001 9.3)."),
    ),
}


@require_GET
def module_overview(request: HttpRequest, module: str):
    """The landing page of a module whose records are not in this release yet: it says what the
    module will hold and where to record the follow-up meanwhile."""
    title, icon, text = MODULES[module]
    return TemplateResponse(request, "qms/module_overview.html", {"title": title, "icon": icon, "text": text})
