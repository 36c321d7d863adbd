from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as api_action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from qms.api.parsers import JSONParser
from qms.api.views import RecordViewSet

from .. import services
from ..filters import KPIFilterSet, ObjectiveFilterSet
from ..models import KPI, Measurement, Objective, StrategicTheme
from ..periods import Period
from .filters import MeasurementFilterSet
from .serializers import (
    BulkErrorsSerializer,
    BulkResultSerializer,
    KPISerializer,
    MeasurementRowSerializer,
    MeasurementSerializer,
    ObjectiveSerializer,
    ThemeSerializer,
)

BULK_LIMIT = 5000


class ThemeViewSet(RecordViewSet):
    """Strategic themes: the directions leadership sets. Created by leadership and quality managers;
    retired (is_active false), never deleted."""

    queryset = StrategicTheme.objects.all()
    listed_ids = ("deputies",)
    serializer_class = ThemeSerializer
    filterset_fields = ["is_active", "owner"]


class ObjectiveViewSet(RecordViewSet):
    """Quality objectives (ISO 9001 6.2). Their progress comes from their KPIs: the way the main KPI
    has come from baseline to target, or else the share of their KPIs on target."""

    queryset = Objective.objects.with_progress().prefetch_related("kpis")
    listed_ids = ("deputies", "processes")
    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilterSet


class KPIViewSet(RecordViewSet):
    """KPIs with their targets and, read-only, their current status and latest value."""

    queryset = KPI.objects.all()
    listed_ids = ("deputies", "processes", "objectives")
    serializer_class = KPISerializer
    filterset_class = KPIFilterSet

    @transaction.atomic
    def perform_create(self, serializer):
        services.kpi_saved(serializer.save(), formula_changed=True)

    @transaction.atomic
    def perform_update(self, serializer):
        before = (serializer.instance.source, serializer.instance.formula)
        kpi = serializer.save()
        services.kpi_saved(kpi, formula_changed=before != (kpi.source, kpi.formula))


class MeasurementPermission(BasePermission):
    """Everyone signed in reads values; viewers write none; who may enter a KPI's values is checked
    per KPI (by the serializer and by measurement_record)."""

    message = gettext_lazy("You may view these values but not enter them.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or not user.is_read_only

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or obj.kpi.user_can_change(request.user)


@extend_schema_view(
    create=extend_schema(
        description="Enter the value of a KPI for a period, or correct it (the old value stays in history).",
        responses={201: MeasurementSerializer, 200: MeasurementSerializer},
    ),
    update=extend_schema(description="Correct a value. Its KPI and period stay as they are."),
    partial_update=extend_schema(description="Correct a value. Its KPI and period stay as they are."),
)
class MeasurementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """KPI values, one per KPI and period. Every write goes through measurement_record: the same
    checks, history and recalculation as entering a value on the pages. Values are not deleted."""

    queryset = Measurement.objects.select_related("kpi")
    serializer_class = MeasurementSerializer
    permission_classes = [MeasurementPermission]
    filterset_class = MeasurementFilterSet

    def get_queryset(self):
        visible = KPI.objects.restrict(self.request.user, "view")
        return self.queryset.filter(kpi__in=visible.values("pk"))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = Measurement.objects.filter(kpi=data["kpi"], period_start=data["period"].start).exists()
        measurement = self._record(serializer)
        body = self.get_serializer(measurement).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        measurement = self._record(serializer)
        return Response(self.get_serializer(measurement).data)

    def _record(self, serializer) -> Measurement:
        data = serializer.validated_data
        measurement = services.measurement_record(
            kpi=data["kpi"],
            period=data["period"],
            value=data["value"],
            comment=data.get("comment"),
            user=self.request.user,
        )
        measurement.kpi = data["kpi"]
        return measurement

    @extend_schema(
        request=MeasurementRowSerializer(many=True),
        responses={
            200: BulkResultSerializer,
            400: OpenApiResponse(BulkErrorsSerializer, description="Nothing was written; every bad row is listed."),
        },
        examples=[
            OpenApiExample(
                "A row",
                request_only=True,
                value={"kpi": "KPI-012", "period": "2026-10", "value": "97.5", "comment": "From the ERP"},
            )
        ],
    )
    @api_action(
        detail=False, methods=["post"], parser_classes=[JSONParser], filterset_class=None, pagination_class=None
    )
    def bulk(self, request):
        """Enter or correct many values at once (the path for ERP and MES data), all or nothing.

        Every row is checked first; if any is wrong, nothing is written and the answer lists each
        problem with its row (from 0) and field. Otherwise all rows are written in one transaction
        through the same path as a single value. At most 5,000 rows per request."""
        rows = request.data
        if not isinstance(rows, list):
            return _refused([(None, None, _("Send a JSON list of rows: kpi, period, value and comment."))])
        if len(rows) > BULK_LIMIT:
            return _refused(
                [
                    (
                        None,
                        None,
                        _("%(count)d rows is more than the %(limit)d a request takes. Send them in parts.")
                        % {"count": len(rows), "limit": BULK_LIMIT},
                    )
                ]
            )
        checked, errors = _check_rows(rows, request.user)
        if errors:
            return _refused(errors)
        entries = [services.Entry(kpi, period, value, comment) for kpi, period, value, comment in checked]
        try:
            written = services.measurements_record(entries, user=request.user)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            # Something changed between the check and the write; nothing was written.
            messages = error.messages if isinstance(error, DjangoValidationError) else [str(error)]
            return _refused([(None, None, message) for message in messages])
        counts = {**written, "unchanged": len(entries) - written["created"] - written["updated"]}
        return Response(counts)


def _refused(errors: list[tuple[int | None, str | None, str]]) -> Response:
    body = {"errors": [{"row": row, "field": field, "message": str(message)} for row, field, message in errors]}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _messages(index: int, error: DjangoValidationError) -> list[tuple[int, str | None, str]]:
    if hasattr(error, "error_dict"):
        return [(index, field, message) for field, messages in error.message_dict.items() for message in messages]
    return [(index, None, message) for message in error.messages]


def _check_rows(rows: list, user) -> tuple[list[tuple[KPI, Period, object, str]], list[tuple]]:
    """Every row's problems, or the rows as (kpi, period, value, comment) when there are none. A
    fixed number of queries, whatever the number of rows."""
    errors: list[tuple] = []
    parsed: dict[int, dict] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append((index, None, _("Each row is an object with kpi, period, value and comment.")))
            continue
        serializer = MeasurementRowSerializer(data=row)
        if serializer.is_valid():
            parsed[index] = serializer.validated_data
        else:
            for field, messages in serializer.errors.items():
                errors.extend((index, field, str(message)) for message in messages)

    references = {row["kpi"].strip().upper() for row in parsed.values()}
    kpis = {kpi.reference: kpi for kpi in KPI.objects.filter(reference__in=references)}
    changeable = set(KPI.objects.restrict(user, "change").filter(reference__in=references).values_list("pk", flat=True))
    today = timezone.localdate()
    checked, seen = [], {}
    for index, row in parsed.items():
        reference = row["kpi"].strip().upper()
        kpi = kpis.get(reference)
        if kpi is None:
            errors.append((index, "kpi", _("There is no KPI %(ref)s.") % {"ref": row["kpi"]}))
            continue
        if kpi.pk not in changeable:
            errors.append(
                (index, "kpi", _("You may not enter values of %(ref)s: ask its owner.") % {"ref": kpi.reference})
            )
            continue
        try:
            period = Period.parse(kpi.frequency, row["period"])
        except ValueError as error:
            errors.append((index, "period", str(error)))
            continue
        try:
            services.measurement_validate(kpi=kpi, period=period, value=row["value"], today=today)
        except DjangoValidationError as error:
            errors.extend(_messages(index, error))
            continue
        if (first := seen.setdefault((kpi.pk, period.start), index)) != index:
            errors.append(
                (
                    index,
                    "period",
                    _("Row %(row)d already gives %(ref)s for %(period)s.")
                    % {"row": first, "ref": kpi.reference, "period": period},
                )
            )
            continue
        checked.append((kpi, period, row["value"], row.get("comment")))
    errors.sort(key=lambda e: e[0])
    return checked, errors
