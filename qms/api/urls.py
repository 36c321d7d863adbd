from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import SimpleRouter
from rest_framework.settings import api_settings

from . import views

router = SimpleRouter()  # /api/ itself is the root of all apps, in qms.urls
router.register("users", views.UserViewSet)
router.register("org-units", views.OrgUnitViewSet)
router.register("actions", views.ActionViewSet)
router.register("attachments", views.AttachmentViewSet)

urlpatterns = [
    path("", include(router.urls)),
    # DRF's token view names its own parsers; it takes ours, so its JSON is bounded too.
    path("auth/token/", ObtainAuthToken.as_view(parser_classes=api_settings.DEFAULT_PARSER_CLASSES), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
