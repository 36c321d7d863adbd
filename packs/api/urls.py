from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("packs", views.EvidencePackViewSet)

urlpatterns = router.urls
