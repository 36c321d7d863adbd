from rest_framework import serializers

from qms.api.serializers import PlainRows, RecordSerializer
from qms.models import OrgUnit

from ..models import HandOff, Process, ProcessDocument, ProcessInput, ProcessOutput, ProcessResource


class ProcessInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessInput
        fields = ["id", "name", "supplier"]
        list_serializer_class = PlainRows


class ProcessOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessOutput
        fields = ["id", "name", "customer"]
        list_serializer_class = PlainRows


class ProcessResourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessResource
        fields = ["id", "kind", "description"]
        list_serializer_class = PlainRows


class ProcessDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessDocument
        fields = ["id", "title", "url"]
        list_serializer_class = PlainRows


class ProcessMapQuerySerializer(serializers.Serializer):
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False)
    focus = serializers.IntegerField(required=False, min_value=1)


class HandOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandOff
        fields = ["id", "source", "target", "item"]
        list_serializer_class = PlainRows

    def validate(self, attrs):
        handoff = HandOff(**attrs)
        handoff.full_clean(validate_unique=False, validate_constraints=False)
        return attrs


class ProcessSerializer(RecordSerializer):
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False, allow_null=True)
    inputs = ProcessInputSerializer(many=True, read_only=True)
    outputs = ProcessOutputSerializer(many=True, read_only=True)
    resources = ProcessResourceSerializer(many=True, read_only=True)
    documents = ProcessDocumentSerializer(many=True, read_only=True)
    handoffs_in = HandOffSerializer(many=True, read_only=True)
    handoffs_out = HandOffSerializer(many=True, read_only=True)

    class Meta:
        model = Process
        fields = [
            "id", "reference", "name", "purpose", "type", "status", "owner", "deputies", "org_unit",
            "next_review_date", "inputs", "outputs", "resources", "documents", "handoffs_in", "handoffs_out",
            "created_at", "updated_at",
        ]  # fmt: skip

    def validate_status(self, value):
        current = self.instance.status if self.instance else None
        if value != current and not Process.user_can_set_status(self.context["request"].user):
            raise serializers.ValidationError("Only a quality manager changes the status of a process.")
        return value


class MapNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    url = serializers.CharField()


class MapEdgeSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    item = serializers.CharField()


class ProcessMapSerializer(serializers.Serializer):
    nodes = MapNodeSerializer(many=True)
    edges = MapEdgeSerializer(many=True)
