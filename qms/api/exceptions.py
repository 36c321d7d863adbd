"""Errors from the API come back as JSON with a clear message, never as an HTML 500 page."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses the body before anything parses it; the client hears why, as JSON.
        return Response(
            {
                "detail": _("The request body is too large: at most %(kb)d KB.")
                % {"kb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024}
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "This record is still referenced by other records and cannot be removed."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        return Response({"detail": "The change conflicts with existing data."}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
