from collections import defaultdict

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, ProtectedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as api_action
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import APIException, Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from qms import services, twofactor
from qms.filters import ActionFilterSet, UserFilterSet
from qms.models import Action, ApiToken, Attachment, OrgUnit, User
from qms.models.attachments import (
    attachable_labels,
    user_can_attach,
    user_can_remove_files,
    visible_attachment,
    visible_record,
)
from qms.uploads import install_upload_handler, request_too_large, request_too_large_message
from qms.views.attachments import file_response

from .permissions import QualityManagerOrReadOnly, RecordPermission
from .serializers import (
    ActionMoveSerializer,
    ActionSerializer,
    ApiTokenIssuedSerializer,
    ApiTokenObtainSerializer,
    ApiTokenSerializer,
    AttachmentRecordSerializer,
    AttachmentRemoveSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    EffectivenessSerializer,
    OrgUnitSerializer,
    PageIds,
    UserSerializer,
)


def attach_page_ids(records: list[Model], relations: tuple[str, ...]) -> None:
    """Give each of `records` the ids of its links in each of `relations` (many-to-many), in the
    related model's order, as `record.page_ids[relation]`: one query per relation for the whole
    page, read from the link table, which the serializers' `LinkIds` write as they are."""
    if not records:
        return
    model, pks = type(records[0]), [record.pk for record in records]
    for record in records:
        record.page_ids = {}
    for name in relations:
        field = model._meta.get_field(name)
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        order = [
            f"-{target}__{o[1:]}" if o.startswith("-") else f"{target}__{o}" for o in field.related_model._meta.ordering
        ]
        linked = defaultdict(list)
        links = field.remote_field.through.objects.filter(**{f"{source}__in": pks}).order_by(*order, target)
        for record_id, target_id in links.values_list(f"{source}_id", f"{target}_id"):
            linked[record_id].append(target_id)
        for record in records:
            record.page_ids[name] = PageIds(linked[record.pk])


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
        if self.request.method in ("PUT", "PATCH") and transaction.get_connection().in_atomic_block:
            # An update reads the row locked (see update()), so it never writes back a stale copy
            # over a change made meanwhile, such as an action's status. (OPTIONS reads it as a PUT
            # would, outside a transaction, only to describe the form.)
            visible = visible.select_for_update(of=("self",))
        return visible

    # The many-to-many relations a list writes as ids, read for the whole page (attach_page_ids).
    listed_ids: tuple[str, ...] = ()

    def paginate_queryset(self, queryset):
        self.page_records = super().paginate_queryset(queryset)
        attach_page_ids(self.page_records, self.listed_ids)
        return self.page_records

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # What prefetch_related attached to each record points back at it (the querysets it left
        # hold the record as a hint, a reverse foreign key's rows hold it as their parent): cycles
        # that reference counting cannot free. The page is serialized by now; dropping the caches
        # frees it at once, instead of leaving thousands of objects to a collector pass that
        # stalled every eighth request of a list by 40-80 ms.
        for record in getattr(self, "page_records", None) or ():
            record.__dict__.pop("_prefetched_objects_cache", None)
        return response

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

    def perform_destroy(self, instance):
        # Audits name their units in their scope, through links that a delete would drop without a
        # trace, from issued reports too: a unit in an audit's scope stays, as one people belong to.
        if instance.audits.exists():
            raise ProtectedError("The unit is in the scope of audits.", set(instance.audits.all()[:10]))
        instance.delete()


class ActionViewSet(RecordViewSet):
    queryset = Action.objects.select_related("owner", "source_type")
    listed_ids = ("processes", "deputies")
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


# Evidence files
# ------------------------------------------------------------------------------


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class AnyMediaRenderer(BaseRenderer):
    """Lets a client that asks for a file's own type (Accept: application/pdf) get the download;
    the view answers with the file itself, so this renders only errors (as JSON)."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, "application/json", renderer_context)


RECORD_PARAMETERS = [
    OpenApiParameter("record_type", str, enum=attachable_labels(), required=True, description="The kind of record."),
    OpenApiParameter("record_id", int, required=True, description="The record's id."),
]


class AttachmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evidence files of audits, findings, nonconformities and actions, with the pages' rules: those
    who may view the record see and download its files (others get 404), those who may change it
    attach them, and remove them while it is not frozen. Uploads are multipart, checked by content."""

    queryset = Attachment.objects.current().select_related("content_type", "uploaded_by")
    serializer_class = AttachmentSerializer
    permission_classes = [IsAuthenticated]

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body (authentication checks CSRF on it): files stream through
        # the evidence handler, which hashes them and stops at the size limit.
        self.upload_handler = install_upload_handler(request) if request.method == "POST" else None
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        if request.method == "POST" and request_too_large(request):
            raise UploadTooLarge(request_too_large_message())
        super().initial(request, *args, **kwargs)

    def get_object(self) -> Attachment:
        return visible_attachment(self.request.user, self.kwargs["pk"])

    @extend_schema(parameters=RECORD_PARAMETERS)
    def list(self, request, *args, **kwargs):
        """The files of one record, oldest first (removed files show in its history, not here)."""
        which = AttachmentRecordSerializer(data=request.query_params)
        which.is_valid(raise_exception=True)
        record = visible_record(request.user, which.validated_data["record_type"], which.validated_data["record_id"])
        files = self.get_queryset().of(record)
        page = self.paginate_queryset(files)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentSerializer(many=True),
            413: OpenApiResponse(description="Larger than an upload may be."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Attach files to a record, all or none: multipart with record_type, record_id, one or more
        parts named files, and an optional description."""
        record = visible_record(request.user, request.data.get("record_type", ""), request.data.get("record_id"))
        if not user_can_attach(request.user, record):
            raise PermissionDenied("You may view this record but not attach files to it.")
        if self.upload_handler.refused:
            raise ValidationError({"files": self.upload_handler.refused})
        payload = AttachmentUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        attached = services.attachment_add(
            record=record,
            user=request.user,
            files=payload.validated_data["files"],
            description=payload.validated_data["description"],
        )
        return Response(self.get_serializer(attached, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @api_action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyMediaRenderer])
    def download(self, request, pk=None):
        """The file, as an attachment of the type its content showed."""
        return file_response(request._request, self.get_object())

    @extend_schema(request=AttachmentRemoveSerializer, responses=AttachmentSerializer)
    @api_action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        """Remove a file from its record, with the reason its history keeps; the stored file stays."""
        attachment = self.get_object()
        if not user_can_remove_files(request.user, attachment.record):
            raise PermissionDenied("You may not remove the files of this record (or it is closed).")
        payload = AttachmentRemoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.attachment_remove(attachment=attachment, user=request.user, reason=payload.validated_data["reason"])
        attachment.refresh_from_db()
        return Response(self.get_serializer(attachment).data)


# API tokens
# ------------------------------------------------------------------------------


@extend_schema(request=ApiTokenObtainSerializer, responses={200: ApiTokenIssuedSerializer})
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def api_token_obtain(request):
    """A new named token for a username and password (optional `name`, `days`), and for people with
    two-factor sign-in the current code in `otp`; its key is in `token` and is shown this once."""
    payload = ApiTokenObtainSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    # Through the authentication backends, so django-axes counts failures and locks out as on the sign-in page.
    user = authenticate(request._request, username=data["username"], password=data["password"])
    if user is None:
        raise ValidationError({"non_field_errors": ["Unable to log in with provided credentials."]})
    _second_factor(request._request, user, data["otp"])
    token, key = services.api_token_create(user=user, name=data["name"], days=data.get("days"))
    token.token = key
    return Response(ApiTokenIssuedSerializer(token).data)


def _second_factor(request, user, code: str) -> None:
    """The code step of signing in, for the token endpoint: a password alone must not get a token
    where the sign-in page would ask for a code, nor before a required second factor is set up."""
    if not twofactor.is_enrolled(user):
        if twofactor.is_required(user):
            raise PermissionDenied("Your role requires two-factor sign-in: set it up on the web first.")
        return
    if not code:
        raise ValidationError({"otp": ["This account uses two-factor sign-in: send the code from your app in otp."]})
    try:
        accepted = twofactor.verify(user, code)
    except twofactor.CodeThrottled as throttled:
        raise Throttled(wait=throttled.wait, detail="Too many wrong codes: wait before the next try.") from None
    if not accepted:
        twofactor.refuse(request, user)
        raise ValidationError({"otp": ["That code is not right."]})


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own API tokens, newest first (another person's are 404); revoke one with
    POST …/revoke/. New tokens come from /api/auth/token/ or the profile page."""

    queryset = ApiToken.objects.select_related("user")
    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None  # a person has a handful

    def get_queryset(self):
        return self.queryset.filter(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @api_action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the token: it stops working at once and stays listed as revoked."""
        token = services.api_token_revoke(token=self.get_object(), user=request.user)
        return Response(self.get_serializer(token).data)
