from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
# No root view of its own: /api/ stays the root served by qms.api.urls, included after this one.
router.include_root_view = False
router.register("themes", views.ThemeViewSet)
router.register("objectives", views.ObjectiveViewSet)
router.register("kpis", views.KPIViewSet)
router.register("measurements", views.MeasurementViewSet)

urlpatterns = router.urls
