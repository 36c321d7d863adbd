"""How often the programme proposes to audit each process, and why."""

from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse

from audits import selectors, services
from audits.choices import AuditStatus, FindingKind
from audits.models import AuditProgramme, ProcessAuditInterval
from objectives.choices import KPIStatus
from objectives.models import KPI
from risks.choices import RiskStatus
from tests.factories import AuditFactory, AuditProgrammeFactory, FindingFactory, KPIFactory, ProcessFactory, RiskFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def proposal_of(process):
    return next(p for p in selectors.interval_proposals(TODAY) if p.process == process)


def off_target(kpi):
    KPI.objects.filter(pk=kpi.pk).update(status=KPIStatus.OFF_TARGET)


def reported_audit(process, year, end):
    programme = AuditProgramme.objects.filter(year=year).first() or AuditProgrammeFactory(year=year)
    return AuditFactory(
        programme=programme, processes=[process], planned_start=end, planned_end=end, status=AuditStatus.REPORTED,
        issued_at=datetime.combine(end, time(17), tzinfo=UTC),
    )  # fmt: skip


def test_without_risks_kpis_or_findings_a_process_is_audited_every_three_years():
    process = ProcessFactory()
    proposal = proposal_of(process)
    assert proposal.months == 36
    assert proposal.reason == "no open risk above low, no off-target KPI, no nonconformity found lately"
    assert proposal.last_audited is None and proposal.overdue


def test_the_highest_residual_band_among_open_risks_decides_and_is_named():
    process = ProcessFactory()
    RiskFactory(processes=[process], residual_likelihood=2, residual_impact=3)  # medium
    high = RiskFactory(processes=[process], residual_likelihood=3, residual_impact=4)
    RiskFactory(processes=[process], residual_likelihood=5, residual_impact=5, status=RiskStatus.CLOSED)
    proposal = proposal_of(process)
    assert proposal.months == 12
    assert proposal.reasons == [f"high risk {high.reference}"]


def test_off_target_kpis_and_findings_of_past_audits_are_spelled_out_shortest_first():
    process = ProcessFactory()
    first, second = KPIFactory(processes=[process]), KPIFactory(processes=[process])
    off_target(first)
    off_target(second)
    audit = reported_audit(process, 2025, date(2025, 5, 20))
    FindingFactory(audit=audit, process=process, kind=FindingKind.MAJOR_NC)
    FindingFactory(audit=audit, process=process, kind=FindingKind.MAJOR_NC)
    FindingFactory(audit=audit, process=process, kind=FindingKind.OBSERVATION)  # not a nonconformity
    proposal = proposal_of(process)
    assert proposal.months == 6
    assert (
        proposal.reason == f"2 major findings since Jun 2024; 2 off-target KPIs ({first.reference}, {second.reference})"
    )
    assert proposal.last_audited == date(2025, 5, 20)


def test_minor_findings_shorten_less_and_old_ones_do_not_count():
    process = ProcessFactory()
    FindingFactory(audit=reported_audit(process, 2026, date(2026, 2, 2)), process=process)
    FindingFactory(audit=reported_audit(process, 2022, date(2022, 2, 2)), process=process, kind=FindingKind.MAJOR_NC)
    proposal = proposal_of(process)
    assert (proposal.months, proposal.reasons) == (24, ["1 minor finding since Jun 2024"])
    assert not proposal.overdue  # audited in February, due again in two years


def test_minor_findings_count_across_the_two_years_not_per_year():
    process = ProcessFactory()
    FindingFactory(audit=reported_audit(process, 2025, date(2025, 9, 1)), process=process)
    FindingFactory(audit=reported_audit(process, 2026, date(2026, 3, 1)), process=process)
    # reported three calendar years back but more than two years ago: too old to count
    FindingFactory(audit=reported_audit(process, 2024, date(2024, 5, 1)), process=process, kind=FindingKind.MAJOR_NC)
    proposal = proposal_of(process)
    assert (proposal.months, proposal.reasons) == (12, ["2 minor findings since Jun 2024"])


def test_a_process_not_audited_within_its_interval_is_flagged():
    process = ProcessFactory()
    RiskFactory(processes=[process], residual_likelihood=5, residual_impact=5)  # critical: every 6 months
    reported_audit(process, 2025, date(2025, 11, 30))
    proposal = proposal_of(process)
    assert proposal.due == date(2026, 5, 30)
    assert proposal.overdue


def test_the_quality_manager_s_interval_overrides_the_proposal_and_shows_beside_it(quality):
    process = ProcessFactory()
    reported_audit(process, 2025, date(2025, 11, 30))
    services.interval_set(process=process, user=quality, months=6, reason="New line in spring")
    proposal = proposal_of(process)
    assert (proposal.months, proposal.interval, proposal.override.reason) == (36, 6, "New line in spring")
    assert proposal.overdue
    history = process.audit_interval.history.latest()
    assert (history.history_user, history.history_change_reason) == (quality, "New line in spring")


def test_only_quality_managers_override_and_a_reason_is_needed(quality, auditor, client_for):
    process = ProcessFactory()
    url = reverse("audits:interval_edit", args=[process.pk])
    assert client_for(auditor).post(url, {"months": 6, "reason": "x"}).status_code == 403
    response = client_for(quality).post(url, {"months": 6, "reason": ""})
    assert response.status_code == 422
    assert client_for(quality).post(url, {"months": 6, "reason": "Audit sooner"}).status_code == 302
    assert process.audit_interval.months == 6
    client_for(quality).post(url, {"clear": "1"})
    assert not ProcessAuditInterval.objects.filter(process=process).exists()


def test_the_proposal_reads_a_fixed_number_of_queries(django_assert_max_num_queries):
    def build():
        process = ProcessFactory()
        RiskFactory(processes=[process])
        off_target(KPIFactory(processes=[process]))
        FindingFactory(audit=reported_audit(process, 2026, date(2026, 1, 10)), process=process)

    build()
    with django_assert_max_num_queries(6) as few:
        assert len(selectors.interval_proposals(TODAY)) == 1
    for _ in range(4):
        process = ProcessFactory()
        RiskFactory(processes=[process])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(selectors.interval_proposals(TODAY)) == 5
