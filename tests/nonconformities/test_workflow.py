"""A nonconformity's gated workflow: no corrective action without a root cause, no closing without
an effectiveness review by someone other than its owner."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from nonconformities import services
from nonconformities.choices import NCStatus, Origin, RootCauseMethod
from qms.choices import ActionStatus
from tests.factories import ActionFactory, KPIFactory, NonconformityFactory, ProcessFactory

pytestmark = pytest.mark.django_db


def test_a_nonconformity_is_raised_from_the_record_it_was_found_in(owner, quality):
    kpi = KPIFactory(owner=owner)
    press = ProcessFactory()

    nc = services.nonconformity_raise(
        user=quality, owner=owner, title="Scrap above limit", description="Three months off target.",
        origin=Origin.KPI_BREACH, processes=[press], source=kpi,
    )  # fmt: skip

    assert nc.reference.startswith("NC-") and nc.source == kpi and list(nc.processes.all()) == [press]
    assert nc.history.get().history_user == quality


def test_a_complaint_needs_the_day_it_came_in_and_knows_its_response_time(owner):
    complaint = {"user": owner, "owner": owner, "title": "Burrs", "description": "On the mounting face."}

    with pytest.raises(ValidationError, match="complaint came in"):
        services.nonconformity_raise(origin=Origin.CUSTOMER_COMPLAINT, **complaint)
    nc = services.nonconformity_raise(
        origin=Origin.CUSTOMER_COMPLAINT, party="Arden Motors", received_on=date(2026, 9, 1),
        responded_on=date(2026, 9, 3), **complaint,
    )  # fmt: skip

    assert nc.response_days == 2


def test_no_corrective_action_without_a_root_cause(owner):
    nc = NonconformityFactory(owner=owner)

    with pytest.raises(ValidationError, match="root cause"):
        services.nonconformity_move(nc=nc, user=owner, status=NCStatus.ANALYSED)
    nc.root_cause_method, nc.whys = RootCauseMethod.FIVE_WHYS, ["No check signed", ""]
    nc.root_cause = "The night shift was never briefed."
    nc.save()
    with pytest.raises(ValidationError, match="two whys"):
        services.nonconformity_move(nc=nc, user=owner, status=NCStatus.ANALYSED)
    nc.whys = ["No check signed", "Nobody told the night shift"]
    nc.save()

    services.nonconformity_move(nc=nc, user=owner, status=NCStatus.ANALYSED)
    nc = services.nonconformity_move(nc=nc, user=owner, status=NCStatus.CORRECTIVE_ACTION)

    assert nc.status == NCStatus.CORRECTIVE_ACTION


def test_only_someone_other_than_the_owner_closes_it_by_reviewing_effectiveness(owner, deputy, auditor):
    nc = NonconformityFactory(
        owner=owner, status=NCStatus.EFFECTIVENESS_REVIEW, root_cause_method=RootCauseMethod.FREE_TEXT,
        root_cause="Worn fixture",
    )  # fmt: skip
    nc.deputies.add(deputy)

    for person in (owner, deputy):
        with pytest.raises(PermissionDenied):
            services.nonconformity_review_effectiveness(nc=nc, user=person, effective=True, note="Fine")
    with pytest.raises(ValidationError, match="closes with its effectiveness review"):
        services.nonconformity_move(nc=nc, user=owner, status=NCStatus.CLOSED)
    nc = services.nonconformity_review_effectiveness(nc=nc, user=auditor, effective=True, note="No repeat in 3 months")

    assert (nc.status, nc.reviewed_by, nc.closed_on is not None) == (NCStatus.CLOSED, auditor, True)


def test_an_ineffective_review_sends_it_back_to_corrective_action(owner, auditor):
    nc = NonconformityFactory(owner=owner, status=NCStatus.EFFECTIVENESS_REVIEW)

    nc = services.nonconformity_review_effectiveness(nc=nc, user=auditor, effective=False, note="Came back in May")

    assert nc.status == NCStatus.CORRECTIVE_ACTION and nc.effective is False


def test_cancelling_needs_a_reason_and_outsiders_change_nothing(owner, outsider):
    nc = NonconformityFactory(owner=owner)

    with pytest.raises(PermissionDenied):
        services.nonconformity_move(nc=nc, user=outsider, status=NCStatus.CANCELLED, note="Not ours")
    with pytest.raises(ValidationError, match="Say why"):
        services.nonconformity_move(nc=nc, user=owner, status=NCStatus.CANCELLED)
    nc = services.nonconformity_move(nc=nc, user=owner, status=NCStatus.CANCELLED, note="Raised twice")

    assert nc.history.first().history_change_reason == "Raised twice"


def test_its_effectiveness_is_reviewed_only_once_its_corrective_actions_are_done(owner):
    nc = NonconformityFactory(
        owner=owner, status=NCStatus.CORRECTIVE_ACTION, root_cause_method=RootCauseMethod.FREE_TEXT,
        root_cause="Worn fixture",
    )  # fmt: skip
    review = {"nc": nc, "user": owner, "status": NCStatus.EFFECTIVENESS_REVIEW}

    with pytest.raises(ValidationError, match="Raise a corrective action"):
        services.nonconformity_move(**review)
    ActionFactory(source=nc, status=ActionStatus.CANCELLED)
    with pytest.raises(ValidationError, match="cancelled actions do not count"):
        services.nonconformity_move(**review)
    done = ActionFactory(source=nc, status=ActionStatus.DONE)
    running = ActionFactory(source=nc, status=ActionStatus.IN_PROGRESS)
    with pytest.raises(ValidationError, match=f"first: {running.reference} still open"):
        services.nonconformity_move(**review)
    ActionFactory(source=done, status=ActionStatus.OPEN)  # raised from the action, not from the nonconformity
    running.status = ActionStatus.DONE
    running.save()

    assert services.nonconformity_move(**review).status == NCStatus.EFFECTIVENESS_REVIEW
