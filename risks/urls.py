from django.urls import path

from qms.views.modules import module_overview

app_name = "risks"

urlpatterns = [path("", module_overview, {"module": "risks"}, name="index")]
