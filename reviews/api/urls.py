from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("context-issues", views.ContextIssueViewSet)
router.register("interested-parties", views.InterestedPartyViewSet)
router.register("qms-statements", views.QmsStatementViewSet)

urlpatterns = router.urls
