import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from processes.choices import ProcessStatus
from processes.models import Process
from qms.hub import section, section_names
from tests.factories import ActionFactory, ProcessFactory
from tests.hub import PLACEHOLDER, get_section, process_page, section_url

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

    body = process_page(client_for(viewer), process)

    assert linked.title in body
    assert "Elsewhere" not in body


def test_the_page_loads_its_sections_after_it_shows_in_their_places(client_for, viewer):
    process = ProcessFactory()
    page = client_for(viewer).get(process.get_absolute_url()).content.decode()

    urls = [html.unescape(url) for url in PLACEHOLDER.findall(page)]
    assert urls == [section_url(process, name) for name in section_names("process")]
    assert section_names("process")[:3] == ["process_kpis", "process_objectives", "process_risks"]
    assert section_names("process")[-1] == "process_actions"


def test_a_section_is_a_fragment_for_htmx_and_the_page_otherwise(client_for, viewer):
    process = ProcessFactory()
    ActionFactory(processes=[process], title="Calibrate the gauges")
    client = client_for(viewer)

    section = get_section(client, process, "process_actions")
    assert section.status_code == 200 and "Calibrate the gauges" in section.content.decode()
    assert "<html" not in section.content.decode()
    assert client.get(section_url(process, "process_actions")).url == process.get_absolute_url()
    assert get_section(client, process, "no_such_section").status_code == 404
    missing = reverse("processes:process_section", args=[process.pk + 1, "process_actions"])
    assert client.get(missing, headers={"HX-Request": "true"}).status_code == 404


def test_a_section_with_nothing_to_show_leaves_the_page(client_for, viewer):
    process = ProcessFactory()  # no objectives: that section says nothing rather than "none"
    response = get_section(client_for(viewer), process, "process_objectives")
    assert response.status_code == 200 and response.content == b""


def test_two_sections_of_a_page_cannot_share_a_name():
    def process_kpis(request, process):
        return None

    with pytest.raises(ValueError, match="process_kpis"):
        section("process", place=1)(process_kpis)
    assert section_names("process").count("process_kpis") == 1


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
