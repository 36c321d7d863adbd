from rest_framework.permissions import SAFE_METHODS, BasePermission


class RecordPermission(BasePermission):
    """The API face of OwnedRecord.permission_scope: the same rule as the pages.

    The viewset's queryset is already restricted to what the user may view (so others are 404);
    this adds who may create, and who may change a record they can see (otherwise 403).
    """

    message = "You may view this record but not change it."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if view.action == "create":
            return view.queryset.model.user_can_add(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return obj.user_can_change(request.user)


class QualityManagerOrReadOnly(BasePermission):
    """Reference data (such as org units) is read by all and maintained by quality managers."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or request.user.administers_qms
