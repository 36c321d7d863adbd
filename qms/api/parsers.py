"""The API's JSON parser: DRF's, with a bound on nesting. No request needs more than a few levels,
and 100 KB of brackets made Python's parser fail with a RecursionError, a server error, on every
JSON endpoint (the unauthenticated token one too). The body's size is bounded before parsing, by
DATA_UPLOAD_MAX_MEMORY_SIZE (see qms.api.exceptions for its answer)."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Levels of arrays and objects inside each other; the API's deepest request has two or three.
MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if _deeper_than(data, MAX_DEPTH):
            raise _too_deep()
        return data


def _too_deep() -> ParseError:
    message = _("JSON parse error - nested too deeply: at most %(depth)d levels of arrays and objects.")
    return ParseError(message % {"depth": MAX_DEPTH})


def _deeper_than(data, limit: int) -> bool:
    """Whether `data` holds arrays or objects more than `limit` levels inside each other; without
    recursion, so any depth is measured."""
    containers = (dict, list)
    stack = [(data, 1)] if isinstance(data, containers) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, containers))
    return False
