from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as api_action
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from qms import services
from qms.filters import ActionFilterSet, UserFilterSet
from qms.models import Action, OrgUnit, User

from .permissions import QualityManagerOrReadOnly, RecordPermission
from .serializers import (
    ActionMoveSerializer,
    ActionSerializer,
    EffectivenessSerializer,
    OrgUnitSerializer,
    UserSerializer,
)


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Base viewset of every QMS record: list, read, create and update, never delete (records are
    retired or cancelled, not removed). Starts from the records the user may view."""

    permission_classes = [RecordPermission]

    def get_queryset(self):
        visible = self.queryset.restrict(self.request.user, "view")
        if self.request.method in ("PUT", "PATCH"):
            # An update reads the row locked (see update()), so it never writes back a stale copy
            # over a change made meanwhile, such as an action's status.
            visible = visible.select_for_update(of=("self",))
        return visible

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        return Response(self.get_serializer(record).data, headers={"ETag": record_etag(record)})

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        """With If-Match (the ETag of the record as read), a record changed since is refused with
        412 instead of being overwritten, as the pages refuse an edit conflict."""
        record = self.get_object()
        expected = request.headers.get("If-Match")
        if expected is not None and expected != record_etag(record):
            raise PreconditionFailed()
        serializer = self.get_serializer(record, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        record._prefetched_objects_cache = {}  # the links as saved, not as prefetched
        return Response(self.get_serializer(record).data, headers={"ETag": record_etag(record)})

    @transaction.atomic
    def perform_create(self, serializer):
        serializer.save()

    @transaction.atomic
    def perform_update(self, serializer):
        serializer.save()


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record was changed since you read it: read it again, then send your change."
    default_code = "precondition_failed"


def record_etag(record) -> str:
    return f'"{record.updated_at.isoformat()}"'


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = User.objects.filter(is_active=True).select_related("org_unit")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet


class OrgUnitViewSet(viewsets.ModelViewSet):
    queryset = OrgUnit.objects.all()
    serializer_class = OrgUnitSerializer
    permission_classes = [QualityManagerOrReadOnly]
    filterset_fields = ["kind", "parent"]


class ActionViewSet(RecordViewSet):
    queryset = Action.objects.select_related("owner", "source_type").prefetch_related("processes", "deputies")
    serializer_class = ActionSerializer
    filterset_class = ActionFilterSet

    @extend_schema(request=ActionMoveSerializer, responses=ActionSerializer)
    @api_action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Move the action along its lifecycle: in_progress, done, open, cancelled."""
        action = self.get_object()
        payload = ActionMoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.action_move(action=action, user=request.user, **payload.validated_data)
        return Response(ActionSerializer(action, context=self.get_serializer_context()).data)

    @extend_schema(request=EffectivenessSerializer, responses=ActionSerializer)
    @api_action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def effectiveness(self, request, pk=None):
        """Record the effectiveness check of a done action (by quality, leadership or an auditor)."""
        action = self.get_object()
        payload = EffectivenessSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.action_check_effectiveness(action=action, user=request.user, **payload.validated_data)
        return Response(ActionSerializer(action, context=self.get_serializer_context()).data)
