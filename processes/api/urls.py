from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("processes", views.ProcessViewSet)
router.register("hand-offs", views.HandOffViewSet)

urlpatterns = router.urls
