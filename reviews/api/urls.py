from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("context-issues", views.ContextIssueViewSet)
router.register("interested-parties", views.InterestedPartyViewSet)
router.register("qms-statements", views.QmsStatementViewSet)
router.register("management-reviews", views.ManagementReviewViewSet)
router.register("review-decisions", views.ReviewDecisionViewSet)

urlpatterns = router.urls
