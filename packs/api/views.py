from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action as api_action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from audits.models import Audit
from qms.api.serializers import drf_errors
from qms.api.views import AnyMediaRenderer

from .. import services
from ..models import EvidencePack
from ..views import pack_file_response
from .serializers import EvidencePackSerializer, PackRequestSerializer


class EvidencePackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evidence packs with the pages' rules: auditors and quality managers request them; the requester
    and those who may view the audit (for a scope pack: every record) read and download them."""

    queryset = EvidencePack.objects.select_related("audit", "requested_by").prefetch_related("processes")
    serializer_class = EvidencePackSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)

    @extend_schema(request=PackRequestSerializer, responses={202: EvidencePackSerializer})
    def create(self, request, *args, **kwargs):
        """Request a pack; it is made in the background: poll it until its status is done."""
        payload = PackRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        audit = payload.validated_data.get("audit")
        if audit is not None and not Audit.objects.restrict(request.user, "view").filter(pk=audit.pk).exists():
            raise NotFound()
        try:
            with transaction.atomic():
                pack = services.pack_request(user=request.user, **payload.validated_data)
        except DjangoValidationError as error:
            raise drf_errors(error) from None
        pack.refresh_from_db()
        return Response(self.get_serializer(pack).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @api_action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyMediaRenderer])
    def download(self, request, pk=None):
        """The PDF, byte for byte as it was made (404 until it is done)."""
        return pack_file_response(self.get_object())
