from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone

from objectives.choices import KPIStatus, Nature, Source
from objectives.models import KPI, EffectivenessMeasure, Measurement, Objective, StrategicTheme
from processes.models import Process
from qms.choices import ActionStatus, Role
from qms.models import Action, User
from risks.choices import Band, RiskStatus
from risks.models import Risk, RiskReview

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def test_seed_demo_builds_a_whole_organisation():
    assert User.objects.count() >= 20
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(Action.objects.values_list("status", flat=True)) == set(ActionStatus.values)
    assert Action.objects.overdue().exists()
    assert Process.objects.count() >= 12
    for username in ("lead", "quality", "owner", "auditor", "viewer"):
        assert User.objects.get(username=username).check_password("demo-password"), username


def test_seed_demo_builds_objectives_and_kpis_with_three_years_of_history():
    today = timezone.localdate()

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


def test_seed_demo_builds_risks_and_opportunities_with_treatments_and_reviews(client_for):
    today = timezone.localdate()

    assert 20 <= Risk.objects.risks().count() <= 30
    assert 6 <= Risk.objects.opportunities().count() <= 10
    risks = list(Risk.objects.select_related("accepted_by").prefetch_related("reviews"))
    for risk in risks:
        risk.full_clean()  # nothing the forms would refuse
    assert {risk.reference[:4] for risk in risks} == {"RSK-", "OPP-"}
    assert set(Risk.objects.values_list("status", flat=True)) == set(RiskStatus.values)
    for stage in ("inherent_band", "residual_band"):
        assert set(Band.values) <= set(Risk.objects.risks().values_list(stage, flat=True)), stage
    assert Risk.objects.filter(objectives__isnull=False).distinct().count() >= 5

    # Treatments are actions raised from the risk, as the risk page raises them, in every state.
    treatments = Action.objects.filter(source_type=ContentType.objects.get_for_model(Risk))
    assert set(treatments.values_list("status", flat=True)) == set(ActionStatus.values)
    assert treatments.overdue().exists()
    assert all(
        set(action.processes.all()) == set(action.source.processes.all())
        for action in treatments.prefetch_related("processes", "source__processes")
    )

    # Reviews over the past two years move the scores; the latest gives the risk its residual scores.
    reviewed = [risk for risk in risks if len(risk.reviews.all()) >= 2]
    assert len(reviewed) >= 5
    assert any(len({review.score for review in risk.reviews.all()}) > 1 for risk in reviewed)
    for risk in risks:
        if latest := next(iter(risk.reviews.all()), None):
            assert (latest.likelihood, latest.impact) == (risk.residual_likelihood, risk.residual_impact), risk
    assert RiskReview.objects.aggregate(first=Min("reviewed_on"))["first"] <= today - timedelta(days=600)
    assert 3 <= Risk.objects.review_overdue().count() <= 6
    assert not Risk.objects.filter(status=RiskStatus.CLOSED, next_review_date__isnull=False).exists()

    # One high acceptance approved by Leadership, one awaiting approval.
    approved = [risk for risk in risks if risk.needs_acceptance_approval and risk.accepted_by_id]
    assert approved and all(r.accepted_by.role == Role.LEADERSHIP and r.accepted_at for r in approved)
    assert any(risk.status == RiskStatus.MONITORED for risk in approved)
    pending = [risk for risk in risks if risk.acceptance_pending]
    assert pending
    assert all(r.status in (RiskStatus.ASSESSED, RiskStatus.IN_TREATMENT) and r.acceptance_rationale for r in pending)

    client = client_for(User.objects.get(username="owner"))
    assert client.get(reverse("risks:risk_list")).status_code == 200
    heat_map = client.get(reverse("risks:heat_map"))
    assert heat_map.status_code == 200
    scored = Risk.objects.risks().exclude(status=RiskStatus.CLOSED).filter(residual_likelihood__isnull=False)
    assert [m["total"] for m in heat_map.context["maps"]] == [scored.count()] * 2
    assert client.get(reverse("risks:heat_map"), {"kind": "opportunity"}).status_code == 200
    page = client.get(approved[0].get_absolute_url())
    assert page.status_code == 200
    assert "Approved by" in page.content.decode()


def test_seed_demo_twice_adds_nothing(settings):
    settings.DEBUG = True
    counts = (
        User.objects.count(),
        Action.objects.count(),
        Process.objects.count(),
        KPI.objects.count(),
        Measurement.objects.count(),
        Risk.objects.count(),
    )

    call_command("seed_demo")

    assert (
        User.objects.count(),
        Action.objects.count(),
        Process.objects.count(),
        KPI.objects.count(),
        Measurement.objects.count(),
        Risk.objects.count(),
    ) == counts


def test_seed_demo_with_force_runs_when_debug_is_off(settings):
    settings.DEBUG = False
    out = StringIO()

    call_command("seed_demo", force=True, stdout=out)

    assert "already there" in out.getvalue()  # past the guard, to the check that the demo is there


def test_seed_demo_dates_the_past_as_it_happened():
    """Backdated events carry their own dates, and a value's history says when it was entered."""
    now, today = timezone.now(), timezone.localdate()
    entered = Measurement.objects.filter(is_calculated=False)
    assert entered.exists()
    histories = dict(Measurement.history.filter(history_type="+").values_list("id", "history_date"))
    for pk, entered_at, entered_by, owner in entered.values_list("pk", "entered_at", "entered_by", "kpi__owner"):
        assert entered_at <= now and histories[pk] == entered_at and entered_by == owner
    # Done two days before they were due (or before today); checked six weeks later, or today.
    closed = Action.objects.filter(status__in=[ActionStatus.DONE, *ActionStatus.verified()]).select_related(
        "verified_by"
    )
    assert closed.filter(completed_on__lt=today - timedelta(days=30)).exists()
    for action in closed:
        assert action.completed_on == min(action.due_date, today) - timedelta(days=2), action
        if action.verified_at:
            checked_on = min(action.completed_on + timedelta(days=42), today)
            assert action.verified_at <= now and timezone.localtime(action.verified_at).date() == checked_on, action
            assert action.verified_by.role in (Role.QUALITY_MANAGER, Role.AUDITOR)
