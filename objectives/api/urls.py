from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("themes", views.ThemeViewSet)
router.register("objectives", views.ObjectiveViewSet)
router.register("kpis", views.KPIViewSet)
router.register("measurements", views.MeasurementViewSet)

urlpatterns = router.urls
