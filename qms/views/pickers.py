"""The endpoint every autocomplete picker loads its choices from (see qms.pickers)."""

from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from qms.params import record_id
from qms.pickers import SOURCES, search


@require_GET
def picker(request: HttpRequest, source: str) -> JsonResponse:
    """The first choices of a picker's source matching `q`, as `{"results": [{"value", "text"}]}`.
    A source that depends on a record (`?for=<pk>`) answers only about records the user may see."""
    if source not in SOURCES:
        raise Http404
    spec = SOURCES[source]
    record = None
    if spec.record_model is not None:
        pk = record_id(request.GET.get("for", ""))
        if pk is None:
            raise Http404
        record = get_object_or_404(spec.record_model().objects.restrict(request.user, "view"), pk=pk)
    found = search(spec, request.user, record, request.GET.get("q", "")[:100])
    return JsonResponse({"results": [{"value": str(obj.pk), "text": str(obj)} for obj in found]})
