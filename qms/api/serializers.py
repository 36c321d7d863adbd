import copy
from typing import ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from processes.choices import ProcessStatus
from processes.models import Process
from qms.models import Action, ApiToken, Attachment, OrgUnit, User
from qms.models.attachments import attachable_labels


class PlainRows(serializers.ListSerializer):
    """Read-only nested rows whose fields are plain columns (text, numbers, ids of related rows):
    each row as its ModelSerializer would write it, without the per-field machinery, which cost a
    page of the process list about 70 ms for its thousand hand-offs. Writing still goes through
    the child serializer. A child opts in with `list_serializer_class = PlainRows` in its Meta."""

    def to_representation(self, data):
        meta = self.child.Meta
        columns = [(name, meta.model._meta.get_field(name).attname) for name in meta.fields]
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        return [{name: getattr(row, attname) for name, attname in columns} for row in rows]


def plain_rows_prefetches(serializer_class: type[serializers.ModelSerializer]) -> list[models.Prefetch]:
    """A prefetch for each relation `serializer_class` writes as PlainRows, reading only the columns
    those rows write and the link back: whole rows made about 1,300 objects for a page of processes."""
    model = serializer_class.Meta.model
    return [
        models.Prefetch(
            name,
            field.child.Meta.model.objects.only(*field.child.Meta.fields, model._meta.get_field(name).field.name),
        )
        for name, field in serializer_class._declared_fields.items()
        if isinstance(field, PlainRows)
    ]


class UserBriefSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "first_name", "last_name", "email", "job_title", "org_unit", "role"]


class OrgUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "kind", "parent"]

    def validate_parent(self, parent):
        if parent is not None and self.instance is not None:
            candidate = copy.copy(self.instance)
            candidate.parent = parent
            try:
                candidate.clean()
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict["parent"]) from None
        return parent


def drf_errors(error: DjangoValidationError) -> serializers.ValidationError:
    """A Django ValidationError as DRF's, keyed by field where the model named one."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({"non_field_errors": error.messages})


class FrozenRecordMixin:
    """Refuses any change to a record that stands as it was closed or issued, with the record's own
    reason (OwnedRecord.frozen_reason), before anything else is checked."""

    def validate(self, attrs):
        if self.instance is not None and (reason := self.instance.frozen_reason()):
            raise serializers.ValidationError(reason)
        return super().validate(attrs)


class ModelCleanMixin:
    """Runs the model's clean() on the instance as it would be saved, so the API refuses what the
    pages refuse (many-to-many fields are not part of it)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        many = {f.name for f in model._meta.many_to_many}
        fields = {k: v for k, v in attrs.items() if k not in many}
        if self.instance is not None:
            candidate = copy.copy(self.instance)
            for name, value in fields.items():
                setattr(candidate, name, value)
        else:
            candidate = model(**fields)
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise drf_errors(error) from None
        return attrs


def _record_of(field: serializers.Field) -> tuple[models.Model, str]:
    """The record a related field's serializer writes (a new, unsaved one when it creates one), and
    the field's name."""
    many = isinstance(field.parent, serializers.ManyRelatedField)
    serializer = field.parent.parent if many else field.parent
    instance = serializer.instance
    record = instance if isinstance(instance, models.Model) else serializer.Meta.model()
    return record, field.parent.field_name if many else field.field_name


class PageIds(list):
    """The ids of a record's links in one many-to-many relation, read for a whole list page at once
    (qms.api.views.RecordViewSet.listed_ids)."""


class LinkIds(serializers.ManyRelatedField):
    """A many-to-many relation written as ids: on a list page, the ids the view read for the page
    (`PageIds`), without a manager and a model instance per linked row, which cost the API lists a
    quarter of their time; elsewhere (one record, a create or an update) through the relation."""

    def get_attribute(self, instance):
        listed = getattr(instance, "page_ids", {}).get(self.source)
        return listed if listed is not None else super().get_attribute(instance)

    def to_representation(self, iterable):
        return list(iterable) if isinstance(iterable, PageIds) else super().to_representation(iterable)


class IdField(serializers.PrimaryKeyRelatedField):
    """A related record written as its id; with many=True, a `LinkIds`."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        many_kwargs = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return LinkIds(child_relation=cls(*args, **kwargs), **many_kwargs)


class PeopleField(IdField):
    """The owner or deputies of a record: anyone active who may change records, and whoever the
    record names already even if deactivated since, so sending it back unchanged keeps them."""

    def get_queryset(self):
        record, name = _record_of(self)
        return record.choosable_people(name)


class RecordSerializer(serializers.ModelSerializer):
    """Base of every QMS record's serializer: reference and audit stamps are read-only, people and
    processes are written by id and offered only where they make sense."""

    serializer_related_field = IdField
    # The fields each serializer class builds from its model, kept to be copied for each use: DRF
    # builds them again every time a serializer is made (0.5-0.9 ms a request).
    _built_fields: ClassVar[dict[type, dict]] = {}

    reference = serializers.CharField(read_only=True)
    owner = PeopleField()
    deputies = PeopleField(many=True, required=False)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_fields(self):
        built = RecordSerializer._built_fields
        if type(self) not in built:
            built[type(self)] = super().get_fields()
        return copy.deepcopy(built[type(self)])

    @cached_property
    def _readable_fields(self) -> list:
        """The fields it writes, listed once, not once for every row of a page as DRF does."""
        return [field for field in self.fields.values() if not field.write_only]


class ProcessLinksField(IdField):
    """Processes a record links to: any process still in use, and those it already links to even if
    retired since, so sending a record back unchanged keeps its links (as the pages do)."""

    def get_queryset(self):
        record, _name = _record_of(self)
        linked = record.processes.values("pk") if record.pk is not None else []
        return Process.objects.filter(~Q(status=ProcessStatus.RETIRED) | Q(pk__in=linked))


class ProcessLinkedSerializer(RecordSerializer):
    """Base of the serializers of records that link to processes."""

    processes = ProcessLinksField(many=True, required=False)


class ActionSerializer(ProcessLinkedSerializer):
    status = serializers.CharField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    source_type = serializers.SerializerMethodField(help_text=_("The kind of record that raised it, as app.model."))
    verified_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "kind",
            "status",
            "is_overdue",
            "owner",
            "deputies",
            "processes",
            "due_date",
            "completed_on",
            "source_type",
            "source_id",
            "verified_by",
            "verified_at",
            "verification_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_on", "source_id", "verified_at", "verification_note"]

    def validate(self, attrs):
        if self.instance is not None and self.instance.is_closed:
            raise serializers.ValidationError(_("A checked or cancelled action stays as it was closed."))
        return super().validate(attrs)

    def get_source_type(self, action: Action) -> str | None:
        content_type = action.source_type
        return f"{content_type.app_label}.{content_type.model}" if content_type else None

    def validate_due_date(self, value):
        unchanged = self.instance is not None and self.instance.due_date == value
        if not unchanged and value < timezone.localdate():
            raise serializers.ValidationError(_("The due date cannot be in the past."))
        return value


class ActionMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Action._meta.get_field("status").choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=100)


class EffectivenessSerializer(serializers.Serializer):
    effective = serializers.BooleanField()
    note = serializers.CharField(max_length=2000)


class AttachmentSerializer(serializers.ModelSerializer):
    """An evidence file as the API shows it; the file itself comes from `download_url`."""

    record_type = serializers.SerializerMethodField(help_text=_("The kind of record it is attached to, as app.model."))
    record_id = serializers.IntegerField(source="object_id", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "record_type",
            "record_id",
            "name",
            "description",
            "media_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_record_type(self, attachment: Attachment) -> str:
        return f"{attachment.content_type.app_label}.{attachment.content_type.model}"

    def get_download_url(self, attachment: Attachment) -> str:
        url = reverse("attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class AttachmentRecordSerializer(serializers.Serializer):
    """Which record: its kind as app.model and its id."""

    record_type = serializers.ChoiceField(choices=attachable_labels())
    record_id = serializers.IntegerField(min_value=1)


class AttachmentUploadSerializer(AttachmentRecordSerializer):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        help_text=_("One or more files, as multipart parts named files."),
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class AttachmentRemoveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=100, help_text=_("Why the file is removed; the history keeps it."))


class ApiTokenSerializer(serializers.ModelSerializer):
    """One of the caller's own API tokens; never its key, which only its creation shows."""

    state = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "state"]
        read_only_fields = fields

    def get_state(self, token: ApiToken) -> str:
        return token.state()


class ApiTokenObtainSerializer(serializers.Serializer):
    """Username and password for a new token; a name says where it will be used."""

    username = serializers.CharField(max_length=150, write_only=True)
    password = serializers.CharField(max_length=4096, write_only=True, style={"input_type": "password"})
    name = serializers.CharField(max_length=80, required=False, default="API", write_only=True)
    days = serializers.IntegerField(
        min_value=1, required=False, write_only=True, help_text=_("Days until it expires (bounded by the server).")
    )
    otp = serializers.CharField(
        max_length=24,
        required=False,
        default="",
        write_only=True,
        help_text=_("For people with two-factor sign-in: the current code from their app, or a recovery code."),
    )


class ApiTokenIssuedSerializer(ApiTokenSerializer):
    """A token just made, with its key: keep it now, it is never shown again."""

    token = serializers.CharField(read_only=True, help_text=_("The key: send it as `Authorization: Token <key>`."))

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]
        read_only_fields = fields
