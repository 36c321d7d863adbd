from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("risks", views.RiskViewSet)

urlpatterns = [path("risk-matrix/", views.RiskMatrixView.as_view(), name="risk-matrix"), *router.urls]
