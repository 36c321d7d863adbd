from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from qms.api.serializers import IdField, ModelCleanMixin, ProcessLinkedSerializer, RecordSerializer, drf_errors

from .. import services
from ..choices import ObjectiveStatus
from ..models import KPI, Measurement, Objective, StrategicTheme
from ..periods import Period

PERIOD_HELP = gettext_lazy(
    "The period in the KPI's frequency, as the pages show it or in ISO form: Nov 2026 or 2026-11 (monthly), "
    "Q4 2026 or 2026-Q4, Week 47, 2026 or 2026-W47, 2026, or any date inside it. Answers give the ISO form."
)


@extend_schema_field(OpenApiTypes.DECIMAL)
class ValueField(serializers.DecimalField):
    """A KPI value, rounded to the 4 decimal places stored (as the pages do), never refused for them."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=20, decimal_places=4, **kwargs)

    def validate_precision(self, value):
        try:
            value = value.quantize(Decimal("0.0001"))
        except InvalidOperation:
            self.fail("max_digits", max_digits=self.max_digits)
        return super().validate_precision(value)


class ThemeSerializer(ModelCleanMixin, RecordSerializer):
    class Meta:
        model = StrategicTheme
        fields = [
            "id", "reference", "title", "description", "order", "is_active", "owner", "deputies",
            "created_at", "updated_at",
        ]  # fmt: skip


class ProgressSerializer(serializers.Serializer):
    """How an objective's progress is computed, with the figures behind it."""

    basis = serializers.ChoiceField(
        choices=["distance", "kpi_share"],
        help_text=gettext_lazy("distance: from baseline to target by the main KPI; kpi_share: its KPIs on target."),
    )
    travelled = serializers.DecimalField(
        max_digits=20,
        decimal_places=1,
        allow_null=True,
        help_text=gettext_lazy("Per cent of the way from baseline to target, not clamped: below 0 or above 100."),
    )
    baseline = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, help_text=gettext_lazy("The baseline in use.")
    )
    target = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, help_text=gettext_lazy("The target in use.")
    )
    now = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, help_text=gettext_lazy("The main KPI's latest value.")
    )
    kpi_share = serializers.IntegerField(
        source="share", allow_null=True, help_text=gettext_lazy("Per cent of its KPIs with a value that are on target.")
    )
    kpis_on_target = serializers.IntegerField(source="on_target")
    kpis_judged = serializers.IntegerField(source="judged", help_text=gettext_lazy("Its KPIs with a value."))


class ObjectiveSerializer(ModelCleanMixin, ProcessLinkedSerializer):
    theme = serializers.PrimaryKeyRelatedField(queryset=StrategicTheme.objects.all())
    kpis = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text=gettext_lazy("The KPIs measuring it; link them from the KPI.")
    )
    main_kpi = serializers.PrimaryKeyRelatedField(
        queryset=KPI.objects.all(),
        allow_null=True,
        required=False,
        help_text=gettext_lazy("One of the KPIs measuring it, whose way from baseline to target is its progress."),
    )
    progress = serializers.IntegerField(
        source="progress.percent",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy(
            "Per cent, 0 to 100: the way its main KPI has come from baseline to target; without a main KPI (or "
            "a value of it), the share of its KPIs on target. Null when there is nothing to measure yet."
        ),
    )
    progress_detail = ProgressSerializer(source="progress", read_only=True)
    activity_only = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("Measured only by activity KPIs, not by outcomes.")
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Objective
        fields = [
            "id", "reference", "theme", "title", "description", "resources", "evaluation", "due_date", "status",
            "is_overdue", "main_kpi", "baseline", "target", "progress", "progress_detail", "activity_only", "kpis",
            "owner", "deputies", "processes",
            "created_at", "updated_at",
        ]  # fmt: skip

    def validate_theme(self, theme):
        unchanged = self.instance is not None and self.instance.theme_id == theme.pk
        if not unchanged and not theme.is_active:
            raise serializers.ValidationError(_("%(theme)s is no longer active.") % {"theme": theme})
        return theme

    def validate_due_date(self, value):
        unchanged = self.instance is not None and self.instance.due_date == value
        if not unchanged and value < timezone.localdate():
            raise serializers.ValidationError(_("The due date cannot be in the past."))
        return value


class KPISerializer(ModelCleanMixin, ProcessLinkedSerializer):
    objectives = IdField(queryset=Objective.objects.all(), many=True, required=False)
    status = serializers.CharField(read_only=True)
    latest_period = serializers.SerializerMethodField(
        help_text=gettext_lazy("The latest period with a value, e.g. 2026-11; null before the first value.")
    )
    latest_value = serializers.DecimalField(max_digits=20, decimal_places=4, read_only=True, allow_null=True)

    class Meta:
        model = KPI
        fields = [
            "id", "reference", "name", "description", "unit", "nature", "review_topic", "direction", "target",
            "target_upper", "warning", "frequency", "source", "formula", "valid_min", "valid_max", "measured_from",
            "raise_action_after", "is_active", "status", "latest_period", "latest_value", "owner", "deputies",
            "processes", "objectives", "created_at", "updated_at",
        ]  # fmt: skip

    def validate_objectives(self, objectives):
        linked = set(self.instance.objectives.values_list("pk", flat=True)) if self.instance else set()
        new = [o for o in objectives if o.pk not in linked]
        if closed := [o.reference for o in new if o.status != ObjectiveStatus.ACTIVE]:
            raise serializers.ValidationError(
                _("Only active objectives take new KPIs: %(refs)s is not.") % {"refs": ", ".join(closed)}
            )
        user = self.context["request"].user
        if not_theirs := [o.reference for o in new if not o.user_can_change(user)]:
            raise serializers.ValidationError(
                _("Only an objective's owner, deputies and quality managers link KPIs to it: %(refs)s.")
                % {"refs": ", ".join(not_theirs)}
            )
        return objectives

    def get_latest_period(self, kpi: KPI) -> str | None:
        return str(kpi.latest) if kpi.latest_period else None


class MeasurementSerializer(serializers.ModelSerializer):
    """A KPI value. Written only through objectives.services.measurement_record, so the API checks
    what the pages check (permission, calculated KPIs, future periods, the physical range)."""

    kpi = serializers.SlugRelatedField(
        slug_field="reference", queryset=KPI.objects.all(), help_text=gettext_lazy("The KPI's reference: KPI-012.")
    )
    period = serializers.CharField(help_text=PERIOD_HELP)
    period_start = serializers.DateField(read_only=True)
    value = ValueField()
    comment = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Left out: the comment already stored for the period stays."),
    )
    is_calculated = serializers.BooleanField(read_only=True)
    entered_by = serializers.PrimaryKeyRelatedField(read_only=True)
    entered_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Measurement
        fields = [
            "id", "kpi", "period", "period_start", "value", "comment", "is_calculated", "entered_by", "entered_at",
        ]  # fmt: skip

    def validate(self, attrs):
        """Resolves `period` into a Period of the KPI's frequency and applies the service's checks,
        so nothing is written unless all of it holds."""
        current = self.instance
        kpi = attrs.get("kpi", current.kpi if current else None)
        if current is not None and kpi != current.kpi:
            raise serializers.ValidationError(
                {"kpi": _("A value stays with its KPI. Enter a value for the other KPI.")}
            )
        user = self.context["request"].user
        if not kpi.user_can_change(user):
            raise PermissionDenied(_("Only the KPI's owner, deputies and quality managers enter its values."))
        if "period" in attrs:
            try:
                period = Period.parse(kpi.frequency, attrs["period"])
            except ValueError as error:
                raise serializers.ValidationError({"period": str(error)}) from None
        else:
            period = current.period
        if current is not None and period != current.period:
            raise serializers.ValidationError(
                {"period": _("A value stays with its period. Enter a value for the other period instead.")}
            )
        attrs["kpi"], attrs["period"] = kpi, period
        if current is not None:
            attrs.setdefault("value", current.value)
            attrs.setdefault("comment", current.comment)
        try:
            services.measurement_validate(kpi=kpi, period=period, value=attrs["value"], today=timezone.localdate())
        except DjangoValidationError as error:
            raise drf_errors(error) from None
        return attrs

    def create(self, validated_data):
        raise AssertionError("Measurements are written by objectives.services.measurement_record only.")

    update = create


class MeasurementRowSerializer(serializers.Serializer):
    """One row of a bulk upload."""

    kpi = serializers.CharField(max_length=20, help_text=gettext_lazy("The KPI's reference: KPI-012."))
    period = serializers.CharField(max_length=30, help_text=PERIOD_HELP)
    value = ValueField()
    comment = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Left out: the comment already stored for the period stays."),
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text=gettext_lazy("Values entered for the first time."))
    updated = serializers.IntegerField(help_text=gettext_lazy("Values corrected (the old one stays in history)."))
    unchanged = serializers.IntegerField(help_text=gettext_lazy("Rows identical to what was already stored."))


class BulkErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Index of the row in the list, from 0; null for the whole request.")
    )
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class BulkErrorsSerializer(serializers.Serializer):
    errors = BulkErrorSerializer(many=True)
