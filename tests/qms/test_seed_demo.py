import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.utils import timezone

from objectives.choices import KPIStatus, Nature, Source
from objectives.models import KPI, EffectivenessMeasure, Measurement, Objective, StrategicTheme
from processes.models import Process
from qms.choices import ActionStatus, Role
from qms.models import Action, User

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_whole_organisation(settings):
    settings.DEBUG = True

    call_command("seed_demo", password="demo-password")

    assert User.objects.count() >= 20
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(Action.objects.values_list("status", flat=True)) == set(ActionStatus.values)
    assert Action.objects.overdue().exists()
    assert Process.objects.count() >= 12
    for username in ("lead", "quality", "owner", "auditor", "viewer"):
        assert User.objects.get(username=username).check_password("demo-password"), username


def test_seed_demo_builds_objectives_and_kpis_with_three_years_of_history(settings):
    settings.DEBUG = True
    today = timezone.localdate()

    started = time.perf_counter()
    call_command("seed_demo")
    elapsed = time.perf_counter() - started

    assert elapsed < 30, f"seed_demo took {elapsed:.1f} s"
    assert StrategicTheme.objects.count() == 4
    assert 7 <= Objective.objects.count() <= 10
    assert any(objective.is_overdue for objective in Objective.objects.all())
    activity_only = Objective.objects.prefetch_related("kpis").filter(kpis__isnull=False).distinct()
    assert any(objective.activity_only for objective in activity_only)
    assert 35 <= KPI.objects.count() <= 50
    assert KPI.objects.filter(source=Source.FORMULA).count() >= 4
    assert KPI.objects.filter(nature=Nature.ACTIVITY).exists()
    assert KPI.objects.filter(direction="range").exists() and KPI.objects.filter(direction="lower").exists()
    span = Measurement.objects.aggregate(first=Min("period_start"), last=Max("period_start"))
    assert span["first"] <= today - timedelta(days=3 * 365)
    assert span["last"] >= today - timedelta(days=62)
    assert Measurement.objects.filter(is_calculated=True).exists()
    statuses = set(KPI.objects.values_list("status", flat=True))
    assert {KPIStatus.ON_TARGET, KPIStatus.WARNING, KPIStatus.OFF_TARGET, KPIStatus.OVERDUE} <= statuses
    owner = User.objects.get(username="owner")
    mine = KPI.objects.filter(owner=owner)
    assert mine.count() >= 5
    assert mine.filter(status=KPIStatus.OVERDUE).exists()
    assert any(kpi.is_due(today) for kpi in mine)
    # The KPI that drifted off target raised its own action; a done action waits on a KPI's verdict.
    assert Action.objects.filter(source_type__model="kpi", status=ActionStatus.OPEN).exists()
    assert EffectivenessMeasure.objects.filter(action__status=ActionStatus.DONE).exists()


def test_seed_demo_twice_adds_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Action.objects.count(),
        Process.objects.count(),
        KPI.objects.count(),
        Measurement.objects.count(),
    )

    call_command("seed_demo")

    assert (
        User.objects.count(),
        Action.objects.count(),
        Process.objects.count(),
        KPI.objects.count(),
        Measurement.objects.count(),
    ) == counts


def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.exists()

    call_command("seed_demo", force=True)
    assert User.objects.filter(username="quality").exists()
