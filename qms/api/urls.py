from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()  # /api/ itself is the root of all apps, in qms.urls
router.register("users", views.UserViewSet)
router.register("org-units", views.OrgUnitViewSet)
router.register("actions", views.ActionViewSet)
router.register("attachments", views.AttachmentViewSet)
router.register("api-tokens", views.ApiTokenViewSet)

urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", views.api_token_obtain, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file of its own: the CSP refuses inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
