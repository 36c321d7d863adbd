from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A 400 in the product's layout. It says what was wrong when the app said so (a BadRequest it
    raised, such as a History tab's `?before=`); Django's own reasons (a suspicious header, say) stay
    unsaid, as Django's default page keeps them."""
    detail = str(exception) if type(exception) is BadRequest else ""
    return render(request, "400.html", {"detail": detail}, status=400)
