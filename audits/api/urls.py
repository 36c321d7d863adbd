from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("audit-programmes", views.AuditProgrammeViewSet)
router.register("audits", views.AuditViewSet)
router.register("checklist-items", views.ChecklistItemViewSet)
router.register("findings", views.FindingViewSet)

urlpatterns = router.urls
