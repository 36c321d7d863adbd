"""The demo's nonconformities, worked through the product's own rules."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType

from nonconformities.choices import NCStatus, Origin, RootCauseMethod
from nonconformities.models import Nonconformity
from objectives.models import KPI
from qms.choices import ActionStatus
from qms.models import Action, Attachment, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def test_the_demo_has_nonconformities_in_every_state_worked_as_people_would(client_for):
    ncs = Nonconformity.objects.prefetch_related("deputies")

    assert set(ncs.values_list("status", flat=True)) == set(NCStatus.values)
    assert set(ncs.values_list("origin", flat=True)) >= {
        Origin.CUSTOMER_COMPLAINT, Origin.SUPPLIER, Origin.KPI_BREACH, Origin.PROCESS
    }  # fmt: skip
    assert {RootCauseMethod.FIVE_WHYS, RootCauseMethod.FREE_TEXT} <= set(
        ncs.values_list("root_cause_method", flat=True)
    )
    for nc in ncs.exclude(status__in=[NCStatus.REPORTED, NCStatus.CANCELLED]):
        assert nc.containment, nc
    for nc in ncs.filter(status__in=[NCStatus.ANALYSED, NCStatus.CORRECTIVE_ACTION, NCStatus.CLOSED]):
        assert nc.has_root_cause(), nc
    for nc in ncs.filter(status=NCStatus.CLOSED):
        assert nc.effective and nc.reviewed_by_id != nc.owner_id and nc.reviewed_by not in nc.deputies.all()
        assert nc.closed_on < date.today() and Action.objects.raised_by(nc).exists()
    assert ncs.filter(effective=False, status=NCStatus.CORRECTIVE_ACTION).exists()  # one review found it wanting
    assert ncs.get(origin=Origin.KPI_BREACH).source == KPI.objects.get(name="Scrap rate")
    answered = ncs.complaints().filter(responded_on__isnull=False)
    assert answered.count() >= 2 and all(nc.response_days >= 0 for nc in answered)
    assert (
        Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(Nonconformity), object_id__in=ncs.values("pk")
        ).count()
        == 2
    )
    for nc in ncs.exclude(root_cause=""):  # the owner found the cause, whoever recorded it
        assert nc.history.exclude(root_cause="").earliest("history_id").history_user == nc.owner, nc
    cancelled = ncs.get(status=NCStatus.CANCELLED)
    assert cancelled.history.first().history_change_reason.startswith("Measurement error")
    assert client_for(User.objects.get(username="auditor")).get("/nonconformities/?show=all").status_code == 200


def test_the_nonconformities_the_demo_audits_raised_are_worked_as_a_company_would():
    """Audit findings raise theirs on the audit's last day; none waits in "reported" for months:
    last year's are closed after their corrective actions and a review by someone else, this
    year's is in corrective action."""
    from_audits = Nonconformity.objects.filter(origin=Origin.AUDIT_FINDING).prefetch_related("deputies")
    assert from_audits.count() == 4
    today = date.today()
    for nc in from_audits:
        assert nc.status != NCStatus.REPORTED and nc.containment and nc.has_root_cause(), nc
        actions = list(Action.objects.raised_by(nc))
        assert actions, nc
        if (today - nc.detected_on).days > 365:
            assert nc.status == NCStatus.CLOSED and nc.effective, nc
            assert nc.reviewed_by_id != nc.owner_id and nc.reviewed_by not in nc.deputies.all()
            assert all(action.status == ActionStatus.VERIFIED_EFFECTIVE for action in actions), nc
            assert nc.detected_on < nc.closed_on < today
        else:
            assert nc.status == NCStatus.CORRECTIVE_ACTION, nc
            assert any(action.is_active for action in actions), nc
    # One review found the first actions wanting before the second closed it.
    reopened = from_audits.get(title="Complaints answered late")
    assert reopened.history.filter(effective=False).exists() and reopened.effective
