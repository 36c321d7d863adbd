from django.urls import path

from qms.views.modules import module_overview

app_name = "reviews"

urlpatterns = [path("", module_overview, {"module": "reviews"}, name="index")]
