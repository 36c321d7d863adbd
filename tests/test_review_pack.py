"""The management review pack (reviews.pack): each 9.3.2 section takes exactly the records of the
review's period (its first and last days included, the days around them not), c3 puts outcome
measures first, the pack survives canonical JSON unchanged and renders the same from it, and it
costs the same number of queries whatever the amount of data."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.choices import AuditStatus, FindingKind
from nonconformities.choices import NCStatus, Origin
from nonconformities.models import Nonconformity
from objectives.choices import KPIStatus, Nature, ObjectiveStatus, ReviewTopic
from objectives.models import KPI
from qms.choices import ActionKind, ActionStatus, Role
from qms.models import Action
from reviews.choices import OutputKind, ReviewInput
from reviews.models import ContextIssue, ProcessCommentary, ReviewInputNote
from reviews.models.review import canonical_json
from reviews.pack import LIVE_PACK_SECONDS, compile_pack, default_period, live_pack, pack_context, render_pack
from reviews.tasks import refresh_live_pack
from risks.choices import RiskKind
from risks.models import Risk
from tests.factories import (
    ActionFactory,
    AuditFactory,
    AuditProgrammeFactory,
    ContextIssueFactory,
    FindingFactory,
    KPIFactory,
    ManagementReviewFactory,
    MeasurementFactory,
    NonconformityFactory,
    ObjectiveFactory,
    ProcessFactory,
    ReviewDecisionFactory,
    RiskFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 1, 1), date(2026, 6, 30)  # the factory's period
BEFORE, AFTER = FIRST - timedelta(days=1), LAST + timedelta(days=1)
TODAY = date(2026, 7, 8)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def section(pack: dict, code: str) -> dict:
    return next(s for s in pack["sections"] if s["input"] == code)


def refs(pack: dict, code: str, key: str) -> set[str]:
    found = next(t for t in section(pack, code)["tables"] if t["key"] == key)
    return {r["ref"] for r in found["rows"]}


def figure(pack: dict, code: str, label: str) -> str:
    return next(f["value"] for f in section(pack, code)["figures"] if f["label"] == label)


@pytest.fixture
def review():
    return ManagementReviewFactory()


def compiled(review) -> dict:
    return compile_pack(review, today=TODAY)


# Shape
# --------------------------------------------------------------------------


def test_the_pack_has_one_section_per_input_in_order_with_the_preparers_flag_and_note(review):
    ReviewInputNote.objects.create(review=review, input="c4", decision_needed=True, preparation_note="Two majors.")
    pack = compiled(review)
    assert [s["input"] for s in pack["sections"]] == ReviewInput.values
    assert section(pack, "c4")["decision_needed"] is True
    assert section(pack, "c4")["note"] == "Two majors."
    assert section(pack, "c5")["decision_needed"] is False
    assert pack["period"] == {"start": "2026-01-01", "end": "2026-06-30"}


def test_the_pack_survives_canonical_json_and_renders_the_same_from_it(review):
    kpi = KPIFactory(review_topic=ReviewTopic.CUSTOMER)
    for month in range(1, 7):
        MeasurementFactory(kpi=kpi, period_start=date(2026, month, 1), value=Decimal(90 + month))
    NonconformityFactory(detected_on=date(2026, 3, 1))
    pack = compiled(review)
    assert section(pack, "c1")["charts"], "a chart of the customer KPI"
    stored = json.loads(canonical_json(pack))
    assert stored == pack
    assert canonical_json(stored) == canonical_json(pack)
    assert render_pack(stored) == render_pack(pack)


def test_the_live_pack_says_live_and_the_frozen_one_as_at_its_date(review):
    pack = compiled(review)
    assert "Live" in render_pack(pack)
    frozen = render_pack(pack, frozen_at=timezone.make_aware(datetime(2026, 7, 10, 9, 5)))
    assert "As at 10 Jul 2026, 09:05" in frozen
    assert 'data-pack-state="live"' not in frozen
    assert render_pack(pack, frozen_at="2026-07-10T09:05:00+00:00") == frozen


def test_record_text_in_the_pack_tables_is_escaped(review):
    NonconformityFactory(detected_on=FIRST, title='<script>alert("x")</script> & "quoted"')
    html = render_pack(compiled(review))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;" in html


def test_the_default_period_runs_from_the_day_after_the_last_review(review):
    review.status = "issued"
    review.save()
    planned = timezone.make_aware(datetime(2027, 1, 15, 10))
    assert default_period(planned) == (date(2026, 7, 1), date(2027, 1, 15))
    assert default_period(timezone.make_aware(datetime(2026, 3, 1))) == (date(2025, 3, 1), date(2026, 3, 1))


# a) Actions from earlier reviews
# --------------------------------------------------------------------------


def test_a_lists_outputs_of_earlier_reviews_still_open_or_moved_in_the_period(review):
    earlier = ManagementReviewFactory(
        planned_at=at(date(2025, 12, 10)), period_start=date(2025, 7, 1), period_end=date(2025, 12, 10)
    )
    still_open = ReviewDecisionFactory(review=earlier, due_date=date(2026, 3, 1))
    closed_before = ReviewDecisionFactory(review=earlier)
    closed_on_first_day = ReviewDecisionFactory(review=earlier, kind=OutputKind.RESOURCE_NEED)
    for decision, day in ((closed_before, BEFORE), (closed_on_first_day, FIRST)):
        Action.objects.filter(pk=decision.action_id).update(status=ActionStatus.CANCELLED, updated_at=at(day, 0))
    Action.objects.filter(pk=closed_before.action_id).update(updated_at=at(BEFORE, 23))
    own = ReviewDecisionFactory(review=review)
    later = ReviewDecisionFactory(review=ManagementReviewFactory(planned_at=at(date(2026, 12, 1))))

    pack = compiled(review)
    shown = refs(pack, "a", "decisions")
    assert shown == {still_open.action.reference, closed_on_first_day.action.reference}
    assert own.action.reference not in shown and later.action.reference not in shown
    assert figure(pack, "a", "Overdue") == "1"  # due 1 March, still open on 8 July
    # d) lists the resource needs among them
    assert refs(pack, "d", "resource_needs") == {closed_on_first_day.action.reference}


# b) Changes in the context
# --------------------------------------------------------------------------


def test_b_lists_context_changed_within_the_period_boundary_days_included(review):
    issues = {day: ContextIssueFactory() for day in (BEFORE, FIRST, LAST, AFTER)}
    for day, issue in issues.items():
        hour = 0 if day in (FIRST, AFTER) else 23
        ContextIssue.history.filter(id=issue.pk).update(history_date=at(day, hour))
    pack = compiled(review)
    assert refs(pack, "b", "issues") == {issues[FIRST].reference, issues[LAST].reference}


# c1) Customers, c7) external providers, c5) monitoring
# --------------------------------------------------------------------------


def test_c1_takes_customer_kpis_and_complaints_received_in_the_period(review):
    customer, other = KPIFactory(review_topic=ReviewTopic.CUSTOMER), KPIFactory()
    complaints = {
        day: NonconformityFactory(origin=Origin.CUSTOMER_COMPLAINT, party="Arden", received_on=day, detected_on=day)
        for day in (BEFORE, FIRST, LAST, AFTER)
    }
    pack = compiled(review)
    assert refs(pack, "c1", "kpis") == {customer.reference}
    assert other.reference not in refs(pack, "c1", "kpis")
    assert refs(pack, "c1", "complaints") == {complaints[FIRST].reference, complaints[LAST].reference}
    months = next(t for t in section(pack, "c1")["tables"] if t["key"] == "complaint_months")["rows"]
    assert [(r["cells"][0]["text"], r["cells"][1]["text"]) for r in months] == [("Jan 2026", "1"), ("Jun 2026", "1")]
    assert section(pack, "c1")["charts"][0]["ref"] == "complaints"


def test_c7_takes_supplier_kpis_and_supplier_nonconformities_of_the_period(review):
    supplier = KPIFactory(review_topic=ReviewTopic.SUPPLIER)
    KPIFactory(review_topic=ReviewTopic.CUSTOMER)
    ncs = {day: NonconformityFactory(origin=Origin.SUPPLIER, detected_on=day) for day in (BEFORE, FIRST, LAST, AFTER)}
    pack = compiled(review)
    assert refs(pack, "c7", "kpis") == {supplier.reference}
    assert refs(pack, "c7", "nonconformities") == {ncs[FIRST].reference, ncs[LAST].reference}


def test_c5_lists_kpis_off_target_or_overdue_outcome_first(review):
    kpis = {
        status: KPIFactory(nature=Nature.ACTIVITY if status == KPIStatus.OFF_TARGET else Nature.OUTCOME)
        for status in KPIStatus.values
    }
    outcome_overdue = kpis[KPIStatus.OVERDUE]
    for status, kpi in kpis.items():
        KPI.objects.filter(pk=kpi.pk).update(status=status)
    KPIFactory(is_active=False)
    pack = compiled(review)
    table = next(t for t in section(pack, "c5")["tables"] if t["key"] == "kpis")
    assert [r["ref"] for r in table["rows"]] == [outcome_overdue.reference, kpis[KPIStatus.OFF_TARGET].reference]


# c2) Objectives
# --------------------------------------------------------------------------


def test_c2_takes_active_objectives_and_those_due_in_the_period(review):
    theme = ThemeFactory()
    active = ObjectiveFactory(theme=theme, due_date=date(2027, 6, 30))
    achieved_in = ObjectiveFactory(theme=theme, due_date=LAST, status=ObjectiveStatus.ACHIEVED)
    achieved_after = ObjectiveFactory(theme=theme, due_date=AFTER, status=ObjectiveStatus.ACHIEVED)
    missed_before = ObjectiveFactory(theme=theme, due_date=BEFORE, status=ObjectiveStatus.NOT_ACHIEVED)
    pack = compiled(review)
    shown = refs(pack, "c2", "objectives")
    assert shown == {active.reference, achieved_in.reference}
    assert achieved_after.reference not in shown and missed_before.reference not in shown
    assert figure(pack, "c2", "Met") == "1"


# c3) Process performance
# --------------------------------------------------------------------------


def test_c3_shows_each_process_with_outcome_measures_first_and_its_owners_commentary(review):
    process = ProcessFactory()
    activity = KPIFactory(nature=Nature.ACTIVITY, processes=[process])
    outcome = KPIFactory(nature=Nature.OUTCOME, processes=[process])
    KPI.objects.filter(pk=activity.pk).update(status=KPIStatus.OFF_TARGET)
    KPI.objects.filter(pk=outcome.pk).update(status=KPIStatus.ON_TARGET)
    ProcessCommentary.objects.create(review=review, process=process, text="Yield held.", author=process.owner)
    pack = compiled(review)
    row = next(r for t in section(pack, "c3")["tables"] for r in t["rows"] if r["ref"] == process.reference)
    assert [k["ref"] for k in row["kpis"]] == [outcome.reference, activity.reference]
    assert row["commentary"]["text"] == "Yield held."
    assert row["cells"][2]["text"] == "1 on target"  # outcome measures
    assert row["cells"][3]["text"] == "1 off target"  # activity measures


# c4) Nonconformities
# --------------------------------------------------------------------------


def test_c4_takes_nonconformities_found_or_closed_in_the_period(review):
    found = {day: NonconformityFactory(detected_on=day) for day in (BEFORE, FIRST, LAST, AFTER)}
    closed_on_last = NonconformityFactory(detected_on=date(2025, 11, 1))
    Nonconformity.objects.filter(pk=closed_on_last.pk).update(status=NCStatus.CLOSED, closed_on=LAST, effective=True)
    closed_after = NonconformityFactory(detected_on=date(2025, 11, 1))
    Nonconformity.objects.filter(pk=closed_after.pk).update(status=NCStatus.CLOSED, closed_on=AFTER)
    ActionFactory(
        source_type=ContentType.objects.get_for_model(Nonconformity), source_id=found[FIRST].pk, due_date=LAST
    )
    pack = compiled(review)
    assert refs(pack, "c4", "nonconformities") == {
        found[FIRST].reference,
        found[LAST].reference,
        closed_on_last.reference,
    }
    assert figure(pack, "c4", "Opened") == "2"
    assert figure(pack, "c4", "Closed") == "1"
    row = next(r for r in section(pack, "c4")["tables"][0]["rows"] if r["ref"] == found[FIRST].reference)
    assert row["cells"][6]["text"] == "0/1"


# c6) Audits, f) opportunities
# --------------------------------------------------------------------------


def test_c6_takes_audits_held_in_the_period_and_counts_findings_by_kind(review):
    programme = AuditProgrammeFactory(year=2026)
    ends_first = AuditFactory(programme=programme, planned_start=date(2025, 12, 30), planned_end=FIRST)
    ends_before = AuditFactory(programme=programme, planned_start=date(2025, 12, 29), planned_end=BEFORE)
    starts_last = AuditFactory(programme=programme, planned_start=LAST, planned_end=AFTER)
    starts_after = AuditFactory(programme=programme, planned_start=AFTER, planned_end=AFTER)
    cancelled = AuditFactory(programme=programme, planned_start=FIRST, planned_end=FIRST, status=AuditStatus.CANCELLED)
    FindingFactory(audit=ends_first, kind=FindingKind.MAJOR_NC)
    ofi = FindingFactory(audit=starts_last, kind=FindingKind.OFI)
    FindingFactory(audit=ends_before, kind=FindingKind.OFI)
    pack = compiled(review)
    assert refs(pack, "c6", "audits") == {ends_first.reference, starts_last.reference}
    assert not {ends_before.reference, starts_after.reference, cancelled.reference} & refs(pack, "c6", "audits")
    assert figure(pack, "c6", "Major nonconformity") == "1"
    assert figure(pack, "c6", "Opportunity for improvement") == "1"
    assert refs(pack, "f", "findings") == {f"{starts_last.reference}-F{ofi.number}"}


def test_f_takes_improvement_actions_raised_in_the_period_and_opportunities(review):
    actions = {day: ActionFactory(kind=ActionKind.IMPROVEMENT) for day in (BEFORE, FIRST, LAST, AFTER)}
    for day, action in actions.items():
        Action.objects.filter(pk=action.pk).update(created_at=at(day, 0 if day in (FIRST, AFTER) else 23))
    ActionFactory(kind=ActionKind.CORRECTIVE)
    opportunity = RiskFactory(kind=RiskKind.OPPORTUNITY)
    RiskFactory(kind=RiskKind.RISK)
    pack = compiled(review)
    assert refs(pack, "f", "improvements") == {actions[FIRST].reference, actions[LAST].reference}
    assert refs(pack, "f", "opportunities") == {opportunity.reference}


# d) Resources, e) risks
# --------------------------------------------------------------------------


def test_d_counts_overdue_actions_by_owner(review):
    late = UserFactory(role=Role.PROCESS_OWNER)
    ActionFactory(owner=late, due_date=TODAY - timedelta(days=1))
    ActionFactory(owner=late, due_date=TODAY - timedelta(days=30))
    ActionFactory(owner=late, due_date=TODAY)  # due today: not overdue yet
    ActionFactory(owner=late, due_date=TODAY - timedelta(days=3), status=ActionStatus.DONE)
    pack = compiled(review)
    assert refs(pack, "d", "overdue_by_owner") == {str(late.pk)}
    assert figure(pack, "d", "Overdue actions") == "2"


def test_e_takes_treatments_done_in_the_period_and_band_moves_from_history(review):
    risk = RiskFactory()
    risk_type = ContentType.objects.get_for_model(Risk)
    done = {
        day: ActionFactory(source_type=risk_type, source_id=risk.pk, kind=ActionKind.PREVENTIVE)
        for day in (BEFORE, FIRST, LAST, AFTER)
    }
    for day, action in done.items():
        Action.objects.filter(pk=action.pk).update(status=ActionStatus.DONE, completed_on=day)
    still_open = ActionFactory(source_type=risk_type, source_id=risk.pk, kind=ActionKind.PREVENTIVE)
    effective = ActionFactory(source_type=risk_type, source_id=risk.pk)
    Action.objects.filter(pk=effective.pk).update(
        status=ActionStatus.VERIFIED_EFFECTIVE, completed_on=BEFORE, verified_at=at(LAST, 23)
    )
    pack = compiled(review)
    assert refs(pack, "e", "treatments") == {
        done[FIRST].reference,
        done[LAST].reference,
        still_open.reference,
        effective.reference,
    }
    assert figure(pack, "e", "Verified effective") == "1"

    # The band with controls: medium (3 × 3) when created before the period, then lowered in it.
    moved, unmoved, later = RiskFactory(), RiskFactory(), RiskFactory()
    Risk.history.filter(id__in=[moved.pk, unmoved.pk, later.pk]).update(history_date=at(BEFORE))
    moved.residual_likelihood = 1
    moved.save()
    Risk.history.filter(id=moved.pk, history_type="~").update(history_date=at(LAST, 23))
    unmoved.title = "Renamed"
    unmoved.save()
    Risk.history.filter(id=unmoved.pk, history_type="~").update(history_date=at(FIRST, 0))
    later.residual_likelihood = 1
    later.save()
    Risk.history.filter(id=later.pk, history_type="~").update(history_date=at(AFTER, 0))
    pack = compiled(review)
    moves = next(t for t in section(pack, "e")["tables"] if t["key"] == "band_moves")["rows"]
    assert [r["ref"] for r in moves] == [moved.reference]
    assert moves[0]["cells"][3]["text"] == "Better"


# Queries
# --------------------------------------------------------------------------


def _data(n: int, review) -> None:
    """n records of every kind the pack reads, all in the period."""
    programme = AuditProgrammeFactory(year=2026 + n)
    theme = ThemeFactory()
    risk_type = ContentType.objects.get_for_model(Risk)
    earlier = ManagementReviewFactory(planned_at=at(date(2025, 12, 1) - timedelta(days=n)), owner=review.owner)
    for _i in range(n):
        process = ProcessFactory()
        objective = ObjectiveFactory(theme=theme)
        kpi = KPIFactory(processes=[process], objectives=[objective], review_topic=ReviewTopic.CUSTOMER)
        MeasurementFactory(kpi=kpi, period_start=date(2026, 1, 1))
        MeasurementFactory(kpi=kpi, period_start=date(2026, 2, 1))
        ProcessCommentary.objects.create(review=review, process=process, text="Fine.")
        NonconformityFactory(detected_on=date(2026, 2, 1), origin=Origin.CUSTOMER_COMPLAINT, received_on=FIRST)
        audit = AuditFactory(programme=programme, planned_start=date(2026, 3, 1), planned_end=date(2026, 3, 2))
        FindingFactory(audit=audit, kind=FindingKind.OFI)
        risk = RiskFactory(kind=RiskKind.OPPORTUNITY)
        ActionFactory(source_type=risk_type, source_id=risk.pk, due_date=date(2026, 1, 5))
        ActionFactory(kind=ActionKind.IMPROVEMENT, due_date=date(2026, 1, 5))
        ReviewDecisionFactory(review=earlier, kind=OutputKind.RESOURCE_NEED)
        ContextIssueFactory()


def test_the_pack_costs_the_same_few_queries_whatever_the_data(review, django_assert_max_num_queries):
    review.period_start, review.period_end = FIRST, timezone.localdate()
    review.save()
    _data(1, review)
    compiled(review)  # content types and charts cached, as in a running server
    with CaptureQueriesContext(connection) as few:
        compiled(review)
    _data(6, review)
    compiled(review)
    with django_assert_max_num_queries(25), CaptureQueriesContext(connection) as many:
        pack = compiled(review)
    assert len(many) == len(few)
    assert len(refs(pack, "f", "improvements")) >= 7


def test_the_pack_renders_from_its_data_alone(review, django_assert_num_queries):
    KPIFactory(review_topic=ReviewTopic.SUPPLIER)
    NonconformityFactory(detected_on=FIRST)
    stored = json.loads(canonical_json(compiled(review)))
    with django_assert_num_queries(0):
        html = render_pack(stored, frozen_at="2026-07-10T09:05:00+00:00")
    assert html.count('class="card shadow-sm mb-4 pack-section"') == len(ReviewInput.values)


def test_c3_puts_the_processes_whose_outcome_measures_fare_worst_first(review):
    fine, failing, unmeasured = ProcessFactory(), ProcessFactory(), ProcessFactory()
    on_target = KPIFactory(processes=[fine])
    off_target = KPIFactory(processes=[failing])
    KPI.objects.filter(pk=on_target.pk).update(status=KPIStatus.ON_TARGET)
    KPI.objects.filter(pk=off_target.pk).update(status=KPIStatus.OFF_TARGET)
    rows = section(compiled(review), "c3")["tables"][0]["rows"]
    assert [r["ref"] for r in rows] == [failing.reference, fine.reference, unmeasured.reference]


def test_a_frozen_review_shows_its_stored_pack_whatever_changes_later(review):
    nc = NonconformityFactory(detected_on=FIRST)
    review.freeze_pack(compiled(review))
    review.save()
    stored = review.frozen_pack
    Nonconformity.objects.filter(pk=nc.pk).update(title="Renamed later")
    NonconformityFactory(detected_on=LAST)
    context = pack_context(review)
    assert canonical_json(context["pack"]) == stored
    assert refs(context["pack"], "c4", "nonconformities") == {nc.reference}
    assert "As at" in render_pack(**context)


def test_the_live_page_reuses_recent_figures_but_shows_the_preparers_flags_at_once(review):
    cache.clear()
    first = live_pack(review)
    assert figure(first, "c4", "Opened") == "0"
    NonconformityFactory(detected_on=FIRST)
    ReviewInputNote.objects.create(review=review, input="c4", decision_needed=True, preparation_note="New NC.")
    again = live_pack(review)
    assert figure(again, "c4", "Opened") == "0"  # the figures of a minute ago
    assert section(again, "c4")["decision_needed"] is True
    assert section(again, "c4")["note"] == "New NC."
    cache.clear()
    assert figure(live_pack(review), "c4", "Opened") == "1"


def test_a_view_of_a_pack_over_a_minute_old_shows_it_and_has_a_worker_compile_a_fresh_one(review, monkeypatch):
    cache.clear()
    live_pack(review)
    NonconformityFactory(detected_on=FIRST)
    later = timezone.now() + timedelta(seconds=LIVE_PACK_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    queued = []
    monkeypatch.setattr("reviews.tasks.refresh_live_pack.delay", queued.append)
    assert figure(live_pack(review), "c4", "Opened") == "0"  # shown at once, not compiled in the view
    assert figure(live_pack(review), "c4", "Opened") == "0"
    assert queued == [review.pk]  # one refresh, however many views meanwhile
    assert refresh_live_pack(review.pk) is True  # what the worker runs
    assert figure(live_pack(review), "c4", "Opened") == "1"
