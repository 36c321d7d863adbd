from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("nonconformities", views.NonconformityViewSet)

urlpatterns = router.urls
