"""Risks and opportunities: scoring on the matrix, the acceptance rule, reviews, the register with
its export, the heat map, reminders and permissions."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from qms.choices import Role
from risks import services
from risks.choices import Band, RiskKind, RiskStatus, Strategy
from risks.forms import RiskForm
from risks.models import Risk, RiskMatrix
from tests.factories import ActionFactory, KPIFactory, ObjectiveFactory, ProcessFactory, RiskFactory, UserFactory
from tests.hub import process_page
from tests.qms.test_query_counts import MAX_HUB_QUERIES

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + timedelta(days=30)


def test_scores_and_bands_follow_the_default_matrix():
    risk = RiskFactory(inherent_likelihood=4, inherent_impact=5, residual_likelihood=2, residual_impact=2)

    assert (risk.reference[:4], risk.inherent_score, risk.inherent_band) == ("RSK-", 20, Band.CRITICAL)
    assert (risk.residual_score, risk.residual_band) == (4, Band.LOW)
    assert RiskFactory(kind=RiskKind.OPPORTUNITY, strategy=Strategy.PURSUE).reference.startswith("OPP-")


def test_a_non_default_matrix_scores_and_rescores(client_for, quality):
    risk = RiskFactory(residual_likelihood=3, residual_impact=2)  # 6: medium on the default matrix
    assert risk.residual_band == Band.MEDIUM

    response = client_for(quality).post(
        reverse("risks:matrix_edit"),
        {
            "likelihood_levels": "Rare\nPossible\nLikely",
            "impact_levels": "Minor\nSerious\nGrave",
            "benefit_levels": "Small\nMedium\nLarge",
            "medium_from": 3,
            "high_from": 6,
            "critical_from": 9,
        },
    )

    assert response.status_code == 422  # the 4×4 inherent levels no longer fit a 3×3 matrix
    assert "rescore them first" in response.content.decode()
    Risk.objects.update(inherent_likelihood=3, inherent_impact=3)
    smaller = {
        "likelihood_levels": "Rare\nPossible\nLikely",
        "impact_levels": "Minor\nSerious\nGrave",
        "benefit_levels": "Small\nMedium\nLarge",
        "medium_from": 3,
        "high_from": 6,
        "critical_from": 9,
    }
    response = client_for(quality).post(reverse("risks:matrix_edit"), smaller)
    assert response.status_code == 200  # the bands move: shown first
    confirmed = response.context["confirm_key"]
    response = client_for(quality).post(reverse("risks:matrix_edit"), smaller | {"confirmed": confirmed})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.residual_score, risk.residual_band, risk.inherent_band) == (6, Band.HIGH, Band.CRITICAL)
    assert RiskMatrix.current().band(2) == Band.LOW


def test_only_quality_managers_configure_the_matrix(client_for, owner):
    assert client_for(owner).get(reverse("risks:matrix_edit")).status_code == 403


def test_levels_must_fit_the_matrix_and_strategies_the_kind():
    risk = RiskFactory.build(inherent_likelihood=6, kind=RiskKind.OPPORTUNITY, strategy=Strategy.ACCEPT)

    with pytest.raises(ValidationError) as refused:
        risk.clean()

    assert set(refused.value.message_dict) == {"inherent_likelihood", "strategy"}


def test_accepting_a_high_risk_needs_a_rationale_and_a_leadership_approver(lead, owner):
    risk = RiskFactory(owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT)
    assert risk.residual_band == Band.HIGH

    with pytest.raises(ValidationError) as refused:
        risk.clean()
    assert "needs a rationale" in refused.value.message_dict["acceptance_rationale"][0]

    risk.acceptance_rationale = "Second source costs more than the exposure; stock covers 6 weeks."
    risk.save()
    risk.status = RiskStatus.MONITORED
    with pytest.raises(ValidationError, match="Leadership approver"):
        risk.clean()

    with pytest.raises(PermissionDenied):
        services.risk_approve_acceptance(risk=risk, user=owner)
    risk = services.risk_approve_acceptance(risk=risk, user=lead)
    risk.status = RiskStatus.MONITORED
    risk.clean()
    assert risk.accepted_by == lead


def test_a_low_accepted_risk_needs_no_approval():
    risk = RiskFactory(residual_likelihood=1, residual_impact=2, strategy=Strategy.ACCEPT)

    risk.clean()
    assert not risk.acceptance_pending


def test_a_review_updates_the_scores_and_keeps_history(owner):
    risk = RiskFactory(owner=owner, residual_likelihood=4, residual_impact=4)
    next_review = timezone.localdate() + timedelta(days=90)

    services.risk_review_record(
        risk=risk, user=owner, likelihood=2, impact=3, note="Second supplier qualified", next_review_date=next_review
    )

    risk.refresh_from_db()
    assert (risk.residual_score, risk.residual_band, risk.next_review_date) == (6, Band.MEDIUM, next_review)
    assert [h.residual_score for h in risk.history.order_by("history_date")] == [16, 6]
    review = risk.reviews.get()
    assert (review.score, review.band, review.reviewer) == (6, Band.MEDIUM, owner)


def test_a_review_by_someone_else_is_refused(outsider):
    risk = RiskFactory()

    with pytest.raises(PermissionDenied):
        services.risk_review_record(risk=risk, user=outsider, likelihood=1, impact=1, note="x", next_review_date=None)
    assert not risk.reviews.exists()


def test_a_new_score_needs_a_new_approval(lead, owner):
    risk = RiskFactory(
        owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    services.risk_approve_acceptance(risk=risk, user=lead)

    services.risk_review_record(risk=risk, user=owner, likelihood=5, impact=4, note="Worse", next_review_date=SOON)

    risk.refresh_from_db()
    assert risk.acceptance_pending


def test_the_filtered_export_equals_the_filtered_list(client_for, viewer):
    process = ProcessFactory()
    high = RiskFactory.create_batch(3, residual_likelihood=4, residual_impact=4, processes=[process])
    RiskFactory.create_batch(2, residual_likelihood=1, residual_impact=1)
    query = f"band=critical&process={process.pk}"

    page = client_for(viewer).get(f"{reverse('risks:risk_list')}?{query}")
    export = client_for(viewer).get(f"{reverse('risks:risk_list')}?{query}&format=csv")

    listed = {risk.reference for risk in page.context["object_list"]}
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert listed == {r["reference"] for r in rows} == {risk.reference for risk in high}
    assert rows[0]["residual band"] == "Critical"


def test_the_heat_map_counts_cells_and_links_to_the_register(client_for, viewer):
    RiskFactory.create_batch(2, inherent_likelihood=5, inherent_impact=4, residual_likelihood=2, residual_impact=3)
    RiskFactory(status=RiskStatus.CLOSED, residual_likelihood=2, residual_impact=3)

    page = client_for(viewer).get(reverse("risks:heat_map"))
    residual = page.context["maps"][1]

    cell = next(c for row in residual["rows"] for c in row["cells"] if (c["likelihood"], c["impact"]) == (2, 3))
    assert cell["count"] == 2 and residual["total"] == 2
    link = f"{reverse('risks:risk_list')}?kind=risk&amp;open=true&amp;stage=residual&amp;likelihood=2&amp;impact=3"
    assert link in page.content.decode()
    filtered = client_for(viewer).get(link.replace("&amp;", "&"))
    assert len(filtered.context["object_list"]) == cell["count"]  # closed ones are not on the map either
    assert filtered.context["object_list"][0].residual_impact == 3


def test_heat_map_counts_each_stage_apart_in_one_query(django_assert_num_queries):
    RiskFactory(inherent_likelihood=5, inherent_impact=4, residual_likelihood=2, residual_impact=3)
    RiskFactory(inherent_likelihood=5, inherent_impact=4, residual_likelihood=1, residual_impact=1)
    RiskFactory(inherent_likelihood=3, inherent_impact=3, residual_likelihood=None, residual_impact=None)

    with django_assert_num_queries(1):
        counts = services.heat_map_counts(Risk.objects.open())

    assert counts == {"inherent": {(5, 4): 2, (3, 3): 1}, "residual": {(2, 3): 1, (1, 1): 1}}


def test_review_reminders_go_once_per_risk_and_date(owner):
    overdue = RiskFactory(owner=owner, next_review_date=date(2026, 11, 1))
    RiskFactory(owner=owner, next_review_date=date(2026, 12, 1))
    RiskFactory(owner=owner, next_review_date=date(2026, 10, 1), status=RiskStatus.CLOSED)

    assert services.risks_notify_review_overdue(today=date(2026, 11, 24)) == 1
    assert services.risks_notify_review_overdue(today=date(2026, 11, 25)) == 0
    assert overdue.reference in mail.outbox[0].body

    overdue.next_review_date = date(2026, 11, 20)
    overdue.save()
    assert services.risks_notify_review_overdue(today=date(2026, 11, 24)) == 1


def test_who_may_change_risks(client_for, owner, deputy, quality, outsider, viewer):
    risk = RiskFactory(owner=owner)
    risk.deputies.add(deputy)

    for person, status in [(owner, 200), (deputy, 200), (quality, 200), (outsider, 403), (viewer, 403)]:
        assert client_for(person).get(risk.get_edit_url()).status_code == status, person
    assert client_for(viewer).get(reverse("risks:risk_add")).status_code == 403


def test_the_risk_page_shows_scores_treatments_and_reviews(client_for, owner):
    risk = RiskFactory(owner=owner, title="Single source of bar stock")
    action = ActionFactory(title="Qualify a second mill")
    action.source = risk
    action.save()
    services.risk_review_record(
        risk=risk, user=owner, likelihood=2, impact=3, note="Mill audited", next_review_date=SOON
    )

    page = client_for(owner).get(risk.get_absolute_url()).content.decode()

    assert "Qualify a second mill" in page and "Mill audited" in page
    assert "Medium · 6" in page and "Critical · 16" in page


def test_a_bad_review_keeps_the_input(client_for, owner):
    risk = RiskFactory(owner=owner)

    response = client_for(owner).post(
        reverse("risks:risk_review", args=[risk.pk]),
        {"likelihood": 2, "impact": 2, "note": "Looked again", "next_review_date": "2001-01-01"},
    )

    assert response.status_code == 422
    assert "must come after this one" in response.content.decode()
    assert "Looked again" in response.content.decode()


def test_process_and_objective_pages_show_their_risks(client_for, viewer):
    process, objective = ProcessFactory(), ObjectiveFactory()
    RiskFactory(title="Spindle crash", processes=[process], objectives=[objective])

    assert "Spindle crash" in process_page(client_for(viewer), process)
    assert "Spindle crash" in client_for(viewer).get(objective.get_absolute_url()).content.decode()


@pytest.mark.parametrize("name", ["risks:risk_list", "risks:heat_map", "qms:dashboard"])
def test_register_heat_map_and_dashboard_queries_do_not_grow(client_for, viewer, django_assert_max_num_queries, name):
    def build(n):
        process, objective = ProcessFactory(), ObjectiveFactory()
        RiskFactory.create_batch(n, processes=[process], objectives=[objective], residual_likelihood=5)

    client = client_for(viewer)
    build(5)
    with django_assert_max_num_queries(MAX_HUB_QUERIES if name == "qms:dashboard" else 22) as few:
        assert client.get(reverse(name)).status_code == 200
    build(45)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_editing_keeps_the_kind_and_a_new_band_needs_a_new_approval(client_for, owner, lead):
    risk = RiskFactory(
        owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    risk = services.risk_approve_acceptance(risk=risk, user=lead)
    form = RiskForm(instance=risk, user=owner)
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data |= {"kind": RiskKind.OPPORTUNITY, "residual_likelihood": 5, "residual_impact": 4}

    refused = client_for(owner).post(risk.get_edit_url(), data | {"status": RiskStatus.MONITORED})
    saved = client_for(owner).post(risk.get_edit_url(), data | {"status": RiskStatus.IN_TREATMENT})

    assert refused.status_code == 422
    assert "Leadership approver must approve" in refused.content.decode()
    assert saved.status_code == 302
    risk.refresh_from_db()
    assert (risk.kind, risk.residual_band, risk.accepted_by, risk.acceptance_pending) == (
        RiskKind.RISK,
        Band.CRITICAL,
        None,
        True,
    )


def test_an_approval_after_a_refresh_holds(lead, owner):
    risk = RiskFactory(
        owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    services.risk_review_record(risk=risk, user=owner, likelihood=5, impact=4, note="Worse", next_review_date=SOON)

    risk.refresh_from_db()
    services.risk_approve_acceptance(risk=risk, user=lead)

    risk = Risk.objects.get(pk=risk.pk)
    assert (risk.residual_band, risk.accepted_by) == (Band.CRITICAL, lead)


def test_the_edit_form_offers_each_process_and_objective_once(client_for, owner):
    process, objective = ProcessFactory(name="Machining"), ObjectiveFactory(title="Scrap below 1.5 %")
    risk = RiskFactory(owner=owner, processes=[process], objectives=[objective])
    RiskFactory.create_batch(3, processes=[process], objectives=[objective])

    page = client_for(owner).get(risk.get_edit_url()).content.decode()

    assert page.count(f">{process}</option>") == 1
    assert page.count(f">{objective}</option>") == 1


def test_a_treatment_edit_page_names_its_risk_and_a_kpi_page_names_none(client_for, quality):
    risk = RiskFactory(title="Spindle crash")
    action = ActionFactory(owner=quality)
    action.source = risk
    action.save()
    kpi = KPIFactory(owner=quality)

    assert (
        f'Raised from <a href="{risk.get_absolute_url()}">{risk}</a>'
        in client_for(quality).get(action.get_edit_url()).content.decode()
    )
    assert "Raised from" not in client_for(quality).get(kpi.get_edit_url()).content.decode()


def test_a_new_matrix_lapses_approvals_whose_band_moved_and_keeps_history(lead, owner, quality):
    risk = RiskFactory(
        owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    services.risk_approve_acceptance(risk=risk, user=lead)
    matrix = RiskMatrix.current()
    matrix.band_thresholds = {"medium": 4, "high": 8, "critical": 12}
    matrix.save()

    assert services.risks_rescore(user=quality) == 1
    assert services.risks_rescore(user=quality) == 0

    risk.refresh_from_db()
    assert (risk.residual_band, risk.accepted_by, risk.acceptance_pending) == (Band.CRITICAL, None, True)
    latest = risk.history.first()
    assert (latest.history_user, latest.history_change_reason) == (quality, "Rescored on the new matrix")


def test_a_reminder_goes_out_for_a_title_with_a_line_break(owner):
    RiskFactory(owner=owner, title="Coolant\nleak", next_review_date=date(2026, 11, 1))

    assert services.risks_notify_review_overdue(today=date(2026, 11, 24)) == 1
    assert "Coolant leak" in mail.outbox[0].subject


def test_bands_out_of_order_are_a_message_not_a_crash(client_for, quality):
    response = client_for(quality).post(
        reverse("risks:matrix_edit"),
        {
            "likelihood_levels": "Rare\nLikely",
            "impact_levels": "Minor\nMajor",
            "benefit_levels": "Small\nLarge",
            "medium_from": 10,
            "high_from": 5,
            "critical_from": 16,
        },
    )

    assert response.status_code == 422
    assert "rising scores" in response.content.decode()
    assert RiskMatrix.current().rows == 5


def test_a_matrix_too_small_for_target_scores_is_refused(client_for, quality):
    RiskFactory(inherent_likelihood=2, inherent_impact=2, residual_likelihood=1, residual_impact=1,
                target_likelihood=1, target_impact=5)  # fmt: skip
    levels = {"likelihood_levels": "A\nB\nC", "impact_levels": "A\nB\nC", "benefit_levels": "A\nB\nC"}

    response = client_for(quality).post(
        reverse("risks:matrix_edit"), levels | {"medium_from": 3, "high_from": 5, "critical_from": 7}
    )

    assert response.status_code == 422
    assert "rescore them first" in response.content.decode()


def test_an_approval_applies_to_the_stored_risk_not_a_stale_copy(owner, lead):
    risk = RiskFactory(
        owner=owner, residual_likelihood=5, residual_impact=4, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    seen_by_lead = Risk.objects.get(pk=risk.pk)
    Risk.objects.filter(pk=risk.pk).update(acceptance_rationale="Cheaper than a second tool")  # the owner's edit

    services.risk_approve_acceptance(risk=seen_by_lead, user=lead)

    risk.refresh_from_db()
    assert (risk.acceptance_rationale, risk.accepted_by) == ("Cheaper than a second tool", lead)


def test_a_review_finding_a_new_band_sends_an_accepted_risk_back_to_treatment(owner, lead):
    risk = RiskFactory(
        owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    risk = services.risk_approve_acceptance(risk=risk, user=lead)
    Risk.objects.filter(pk=risk.pk).update(status=RiskStatus.MONITORED)

    services.risk_review_record(
        risk=risk, user=owner, likelihood=5, impact=4, note="Tool is wearing faster", next_review_date=SOON
    )

    risk.refresh_from_db()
    assert (risk.status, risk.residual_band, risk.acceptance_pending) == (RiskStatus.IN_TREATMENT, Band.CRITICAL, True)
    assert risk.reviews.get().band == Band.CRITICAL
    with pytest.raises(ValidationError, match="future"):
        services.risk_review_record(
            risk=risk, user=owner, likelihood=1, impact=1, note="x", reviewed_on=date.today() + timedelta(days=1)
        )


def test_filtering_with_htmx_moves_the_export_links_along(client_for, viewer):
    response = client_for(viewer).get(reverse("risks:risk_list"), {"band": "high"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert 'id="export-menu" hx-swap-oob="true"' in page
    assert "?band=high&amp;format=csv" in page


def test_the_dashboard_sums_up_open_risks_reviews_and_pending_acceptances(client_for, lead, owner):
    pending = RiskFactory(
        title="Press 4 wear",
        residual_likelihood=4,
        residual_impact=3,
        strategy=Strategy.ACCEPT,
        acceptance_rationale="x",
    )
    RiskFactory(title="Minor", residual_likelihood=1, residual_impact=2, next_review_date=date(2026, 1, 1))
    RiskFactory(title="Gone", residual_likelihood=5, residual_impact=5, status=RiskStatus.CLOSED)

    page = client_for(owner).get(reverse("qms:dashboard")).content.decode()
    listed = client_for(owner).get(reverse("risks:risk_list"), {"acceptance_pending": "true"})

    assert "Press 4 wear" in page and "Gone" not in page
    assert '<span class="fw-semibold">1</span> high' in page and '<span class="fw-semibold">0</span> critical' in page
    assert '<span class="fw-semibold">1</span> review overdue' in page
    assert '<span class="fw-semibold">1</span> acceptance awaiting Leadership' in page
    assert list(listed.context["object_list"]) == [pending]


def test_an_open_risk_is_reviewed_with_a_next_date_a_closed_one_without(owner):
    risk = RiskFactory(owner=owner, next_review_date=SOON)

    with pytest.raises(ValidationError, match="Set the next review"):
        services.risk_review_record(risk=risk, user=owner, likelihood=1, impact=1, note="Fine")
    Risk.objects.filter(pk=risk.pk).update(status=RiskStatus.CLOSED)
    risk.refresh_from_db()
    services.risk_review_record(risk=risk, user=owner, likelihood=1, impact=1, note="Closed for good")

    risk.refresh_from_db()
    assert (risk.next_review_date, risk.reviews.count()) == (None, 1)


def test_leadership_never_approves_accepting_its_own_risk(client_for, lead):
    other_lead = UserFactory(role=Role.LEADERSHIP)
    risk = RiskFactory(
        owner=lead, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )

    assert "Approve acceptance" not in client_for(lead).get(risk.get_absolute_url()).content.decode()
    with pytest.raises(PermissionDenied):
        services.risk_approve_acceptance(risk=risk, user=lead)
    assert services.risk_approve_acceptance(risk=risk, user=other_lead).accepted_by == other_lead


def test_a_deputy_in_leadership_never_approves_the_acceptance_they_may_have_written(client_for, owner, lead):
    """A deputy changes the risk on its owner's behalf, rationale included: approving it too would
    leave no second pair of eyes, as with an action's effectiveness check."""
    risk = RiskFactory(
        owner=owner, residual_likelihood=4, residual_impact=3, strategy=Strategy.ACCEPT, acceptance_rationale="Why"
    )
    risk.deputies.add(lead)

    assert "Approve acceptance" not in client_for(lead).get(risk.get_absolute_url()).content.decode()
    assert client_for(lead).post(reverse("risks:risk_approve", args=[risk.pk])).status_code == 403
    assert "awaits your approval" not in client_for(lead).get(reverse("qms:dashboard")).content.decode()
    with pytest.raises(PermissionDenied):
        services.risk_approve_acceptance(risk=risk, user=lead)
