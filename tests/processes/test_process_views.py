from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from processes.choices import ProcessStatus
from processes.models import Process
from tests.factories import ActionFactory, ProcessFactory

pytestmark = pytest.mark.django_db


def payload(process: Process, **changes) -> dict:
    data = {
        "name": process.name,
        "purpose": process.purpose,
        "type": process.type,
        "status": process.status,
        "owner": process.owner_id,
        "next_review_date": "",
        "version": process.updated_at.isoformat(),
    }
    return {**data, **changes}


def test_only_a_quality_manager_creates_processes(client_for, quality, owner):
    data = {"name": "Calibration", "type": "support", "status": "draft", "owner": owner.pk}

    assert client_for(owner).post(reverse("processes:process_add"), data).status_code == 403
    response = client_for(quality).post(reverse("processes:process_add"), data)

    assert response.status_code == 302
    process = Process.objects.get()
    assert process.reference == "PRC-001"
    assert process.created_by == quality


def test_owner_edits_their_process_but_cannot_retire_it(client_for, owner):
    process = ProcessFactory(owner=owner, status=ProcessStatus.ACTIVE)

    response = client_for(owner).post(
        reverse("processes:process_edit", args=[process.pk]),
        payload(process, purpose="Make good parts", status=ProcessStatus.RETIRED),
    )

    assert response.status_code == 302
    process.refresh_from_db()
    assert process.purpose == "Make good parts"
    assert process.status == ProcessStatus.ACTIVE


def test_quality_manager_retires_a_process_and_it_stays_readable(client_for, quality, viewer):
    process = ProcessFactory()

    client_for(quality).post(
        reverse("processes:process_edit", args=[process.pk]), payload(process, status=ProcessStatus.RETIRED)
    )

    process.refresh_from_db()
    assert process.status == ProcessStatus.RETIRED
    assert client_for(viewer).get(process.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "viewer"])
def test_others_cannot_edit_a_process(request, client_for, who):
    process = ProcessFactory(name="Untouched")
    client = client_for(request.getfixturevalue(who))

    assert (
        client.post(reverse("processes:process_edit", args=[process.pk]), payload(process, name="X")).status_code == 403
    )
    process.refresh_from_db()
    assert process.name == "Untouched"


def test_process_page_is_the_hub_for_its_actions(client_for, viewer):
    process = ProcessFactory()
    linked = ActionFactory(processes=[process], title="Linked to the process")
    ActionFactory(title="Elsewhere")

    body = client_for(viewer).get(process.get_absolute_url()).content.decode()

    assert linked.title in body
    assert "Elsewhere" not in body


def test_register_filters_by_status_and_search(client_for, viewer):
    ProcessFactory(name="Purchasing", status=ProcessStatus.ACTIVE)
    ProcessFactory(name="Old packing", status=ProcessStatus.RETIRED)
    client = client_for(viewer)

    def names(query):
        return {p.name for p in client.get(f"{reverse('processes:process_list')}?{query}").context["object_list"]}

    assert names("status=retired") == {"Old packing"}
    assert names("q=purch") == {"Purchasing"}


def test_my_work_lists_my_processes_due_for_review(client_for, owner):
    today = timezone.localdate()
    ProcessFactory(owner=owner, name="Due soon", next_review_date=today + timedelta(days=5))
    ProcessFactory(owner=owner, name="Reviewed recently", next_review_date=today + timedelta(days=300))
    ProcessFactory(name="Not mine", next_review_date=today - timedelta(days=5))

    body = client_for(owner).get(reverse("qms:my_work")).content.decode()

    assert "Due soon" in body
    assert "Reviewed recently" not in body
    assert "Not mine" not in body
