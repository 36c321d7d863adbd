"""Nonconformity pages: recording one (a complaint, from a process or a KPI), working it through its
gates, the effectiveness review by someone other than its owner, corrective actions, the register
with its filters and exports, and the sections on shared pages."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from nonconformities.choices import NCStatus, Origin, RootCauseMethod, Severity
from nonconformities.models import Nonconformity
from qms.choices import ActionStatus
from qms.models import Action
from tests.factories import ActionFactory, KPIFactory, NonconformityFactory, ProcessFactory, UserFactory
from tests.hub import process_page

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def nc_url(nc: Nonconformity, view: str = "detail") -> str:
    return reverse(f"nonconformities:nonconformity_{view}", args=[nc.pk])


def analysed(**fields) -> Nonconformity:
    """A nonconformity whose root cause is found."""
    given = {"status": NCStatus.ANALYSED, "containment": "Quarantined the batch.",
             "root_cause_method": RootCauseMethod.FREE_TEXT, "root_cause": "The fixture wore out."}  # fmt: skip
    return NonconformityFactory(**(given | fields))


# Recording
# ------------------------------------------------------------------------------


def test_a_complaint_is_recorded_with_its_customer_and_dates(client_for, owner):
    press = ProcessFactory()
    client = client_for(owner)
    page = client.get(reverse("nonconformities:nonconformity_add"), {"origin": "customer_complaint"})
    assert "Customer" in page.content.decode() and "received_on" in page.content.decode()

    data = {
        "origin": Origin.CUSTOMER_COMPLAINT, "title": "Burrs on bracket edges", "description": "Arden found burrs.",
        "severity": Severity.MAJOR, "detected_on": TODAY.isoformat(), "party": "", "received_on": "",
        "owner": owner.pk, "processes": [press.pk],
    }  # fmt: skip
    refused = client.post(reverse("nonconformities:nonconformity_add") + "?origin=customer_complaint", data)
    assert refused.status_code == 422 and not Nonconformity.objects.exists()
    assert "Burrs on bracket edges" in refused.content.decode()  # nothing typed is lost

    data |= {"party": "Arden Motors", "received_on": (TODAY - timedelta(days=3)).isoformat()}
    response = client.post(reverse("nonconformities:nonconformity_add"), data)

    nc = Nonconformity.objects.get()
    assert response.status_code == 302 and response.url == nc_url(nc)
    assert (nc.party, nc.origin, list(nc.processes.all())) == ("Arden Motors", Origin.CUSTOMER_COMPLAINT, [press])
    assert nc.history.get().history_user == owner


def test_a_nonconformity_is_raised_from_a_kpi_with_its_processes(client_for, owner):
    press = ProcessFactory()
    kpi = KPIFactory(owner=owner)
    kpi.processes.set([press])
    client = client_for(owner)
    url = reverse("nonconformities:nonconformity_add") + f"?kpi={kpi.pk}"

    page = client.get(url)
    assert page.status_code == 200 and f'value="{press.pk}" selected' in page.content.decode()
    response = client.post(
        url, {"title": "Scrap above limit", "description": "Three months off target.", "severity": "minor",
              "detected_on": TODAY.isoformat(), "owner": owner.pk, "processes": [press.pk]},
    )  # fmt: skip

    nc = Nonconformity.objects.get()
    assert response.status_code == 302 and (nc.origin, nc.source) == (Origin.KPI_BREACH, kpi)
    edit = client.get(nc_url(nc, "edit")).content.decode()
    assert 'value="Scrap above limit"' in edit and "Three months off target." in edit  # its own, not the KPI's


def test_the_process_page_lists_its_nonconformities_open_first_with_age_and_raises_one(client_for, owner):
    press = ProcessFactory()
    old = NonconformityFactory(processes=[press], title="Old open one", detected_on=TODAY - timedelta(days=120))
    closed = NonconformityFactory(processes=[press], title="Closed one", status=NCStatus.CANCELLED)

    page = process_page(client_for(owner), press)

    assert page.index(old.title) < page.index(closed.title) and "120 days" in page
    assert f"{reverse('nonconformities:nonconformity_add')}?process={press.pk}" in page
    form = client_for(owner).get(reverse("nonconformities:nonconformity_add"), {"process": press.pk})
    assert f'value="{press.pk}" selected' in form.content.decode()


@pytest.mark.parametrize("bad", ["%C2%B2", "%D9%A3", "99999999999999999999", str(2**63), "0", "-1", "1.5", "x"])
def test_a_bad_process_or_kpi_in_the_address_is_ignored(client_for, owner, bad):
    add = reverse("nonconformities:nonconformity_add")

    for name in ("process", "kpi", "processes", "owner"):
        page = client_for(owner).get(f"{add}?{name}={bad}")
        assert page.status_code == 200 and 'name="title"' in page.content.decode(), name
    assert client_for(owner).get(f"{reverse('nonconformities:nonconformity_list')}?process={bad}").status_code == 200


# Workflow through the pages
# ------------------------------------------------------------------------------


def test_steps_are_offered_only_to_those_who_may_take_them(client_for, owner, deputy, quality, auditor, viewer):
    nc = NonconformityFactory(owner=owner)
    nc.deputies.add(deputy)
    move = nc_url(nc, "move")

    for person in (owner, deputy, quality):
        assert f"{move}?status=contained" in client_for(person).get(nc_url(nc)).content.decode()
    for person in (auditor, viewer):
        assert move not in client_for(person).get(nc_url(nc)).content.decode()
        assert client_for(person).post(move, {"status": "contained"}).status_code == 403


def test_a_gate_says_what_is_missing_and_keeps_the_note(client_for, owner):
    nc = NonconformityFactory(owner=owner)
    client = client_for(owner)

    asked = client.get(nc_url(nc, "move"), {"status": "contained"})
    assert asked.status_code == 200 and "Is it contained?" in asked.content.decode()
    refused = client.post(nc_url(nc, "move"), {"status": "contained", "note": "Batch 4411 on hold"})

    page = refused.content.decode()
    assert refused.status_code == 422 and "Say how it was contained" in page and "Batch 4411 on hold" in page
    nc.refresh_from_db()
    assert nc.status == NCStatus.REPORTED


def test_the_review_waits_for_done_corrective_actions_and_the_dialog_says_so(client_for, owner):
    nc = analysed(owner=owner, status=NCStatus.CORRECTIVE_ACTION)
    running = ActionFactory(source=nc, status=ActionStatus.IN_PROGRESS)
    client = client_for(owner)

    refused = client.post(nc_url(nc, "move"), {"status": NCStatus.EFFECTIVENESS_REVIEW, "note": "Both fixes in"})

    page = refused.content.decode()
    assert refused.status_code == 422 and "Are the corrective actions done?" in page and "Both fixes in" in page
    assert f"Finish its corrective actions first: {running.reference} still open or in progress." in page
    nc.refresh_from_db()
    assert nc.status == NCStatus.CORRECTIVE_ACTION


def test_a_step_not_open_now_is_refused_with_a_message(client_for, owner):
    nc = NonconformityFactory(owner=owner)

    response = client_for(owner).post(nc_url(nc, "move"), {"status": NCStatus.CLOSED}, follow=True)

    assert "that step is not open to it" in response.content.decode()
    nc.refresh_from_db()
    assert nc.status == NCStatus.REPORTED


def test_the_workflow_through_the_pages_keeps_its_history(client_for, owner, auditor):
    nc = NonconformityFactory(owner=owner, containment="Sorted 400 parts.")
    client = client_for(owner)

    client.post(nc_url(nc, "move"), {"status": "contained", "note": "All stock sorted"})
    edit = client.get(nc_url(nc, "edit")).content.decode()
    assert 'name="whys_0"' in edit and 'name="whys_4"' in edit
    data = {
        "origin": nc.origin, "title": nc.title, "description": nc.description, "severity": nc.severity,
        "detected_on": nc.detected_on.isoformat(), "owner": owner.pk, "containment": nc.containment,
        "root_cause_method": RootCauseMethod.FIVE_WHYS, "whys_0": "No first-off check", "whys_1": "",
        "whys_2": "Nobody told the night shift", "whys_3": "", "whys_4": "", "root_cause": "No briefing.",
        "version": Nonconformity.objects.get(pk=nc.pk).updated_at.isoformat(),
    }  # fmt: skip
    assert client.post(nc_url(nc, "edit"), data).status_code == 302
    nc.refresh_from_db()
    assert nc.whys == ["No first-off check", "Nobody told the night shift"]
    for status in (NCStatus.ANALYSED, NCStatus.CORRECTIVE_ACTION):
        assert client.post(nc_url(nc, "move"), {"status": status}).status_code == 302
    ActionFactory(source=nc, status=ActionStatus.DONE)
    assert client.post(nc_url(nc, "move"), {"status": NCStatus.EFFECTIVENESS_REVIEW}).status_code == 302

    refused = client.post(nc_url(nc, "review"), {"effective": "yes", "note": "Fine"})
    assert refused.status_code == 403
    page = client_for(auditor).get(nc_url(nc)).content.decode()
    assert 'id="effectiveness-review"' in page
    reviewed = client_for(auditor).post(nc_url(nc, "review"), {"effective": "yes", "note": "No repeat in 3 months"})

    nc.refresh_from_db()
    assert reviewed.status_code == 302 and (nc.status, nc.reviewed_by, nc.closed_on) == ("closed", auditor, TODAY)
    reasons = [h.history_change_reason for h in nc.history.order_by("history_id")]
    assert "All stock sorted" in reasons
    assert [h.status for h in nc.history.order_by("history_id")][-1] == NCStatus.CLOSED
    assert nc.history.first().history_user == auditor
    assert client.get(nc_url(nc, "edit")).status_code == 403  # closed stays as it was closed


def test_the_review_form_shows_only_to_those_allowed(
    client_for, owner, deputy, quality, lead, auditor, outsider, viewer
):
    nc = analysed(owner=owner, status=NCStatus.EFFECTIVENESS_REVIEW)
    nc.deputies.add(deputy)

    for person, shown in [(owner, False), (deputy, False), (outsider, False), (viewer, False),
                          (quality, True), (lead, True), (auditor, True)]:  # fmt: skip
        page = client_for(person).get(nc_url(nc)).content.decode()
        assert ('id="effectiveness-review"' in page) is shown, person
    assert client_for(viewer).post(nc_url(nc, "review"), {"effective": "yes", "note": "x"}).status_code == 403
    refused = client_for(quality).post(nc_url(nc, "review"), {"effective": "no", "note": ""})
    assert refused.status_code == 422 and refused.templates[0].name == "nonconformities/nonconformity_detail.html"
    assert refused.context["tab"] == "overview" and refused.context["effectiveness_form"].errors
    assert 'id="effectiveness-review"' in refused.content.decode()


def test_corrective_actions_are_raised_from_the_nc_with_its_processes_and_listed(client_for, owner):
    press = ProcessFactory()
    nc = analysed(owner=owner, processes=[press])
    client = client_for(owner)
    page = client.get(nc_url(nc)).content.decode()
    link = reverse("qms:action_add")
    assert "Raise a corrective action" in page and link in page

    form = client.get(link, {"source_type": nc_content_type(nc), "source_id": nc.pk}).content.decode()
    assert f'value="{press.pk}" selected' in form
    client.post(
        f"{link}?source_type={nc_content_type(nc)}&source_id={nc.pk}",
        {"title": "New fixture", "kind": "corrective", "owner": owner.pk, "processes": [press.pk],
         "due_date": (TODAY + timedelta(days=20)).isoformat()},
    )  # fmt: skip

    action = Action.objects.get()
    assert action.source == nc
    assert "New fixture" in client.get(nc_url(nc)).content.decode()


def nc_content_type(nc) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(nc).pk


# The register
# ------------------------------------------------------------------------------


def test_the_register_opens_on_open_ones_and_filters(client_for, owner, quality):
    press = ProcessFactory()
    mine = NonconformityFactory(owner=owner, title="Mine and new", processes=[press])
    old = NonconformityFactory(title="Old one", detected_on=TODAY - timedelta(days=100), severity=Severity.MAJOR)
    closed = NonconformityFactory(title="Closed one", status=NCStatus.CANCELLED)
    complaint = NonconformityFactory(
        title="A complaint", origin=Origin.CUSTOMER_COMPLAINT, party="Arden", received_on=TODAY
    )
    waiting = analysed(title="Waiting review", status=NCStatus.EFFECTIVENESS_REVIEW)
    client = client_for(quality)
    url = reverse("nonconformities:nonconformity_list")

    def shown(**query) -> set[str]:
        page = client.get(url, query).content.decode()
        return {nc.title for nc in (mine, old, closed, complaint, waiting) if nc.title in page}

    assert shown() == {"Mine and new", "Old one", "A complaint", "Waiting review"}
    assert shown(show="closed") == {"Closed one"}
    assert shown(age="old") == {"Old one"}
    assert shown(severity="major") == {"Old one"}
    assert shown(origin="customer_complaint") == {"A complaint"}
    assert shown(process=press.pk) == {"Mine and new"}
    assert shown(owner=owner.pk) == {"Mine and new"}
    assert shown(status="cancelled") == {"Closed one"}
    assert shown(awaiting_review="true") == {"Waiting review"}
    assert {nc.title for nc in [mine] if nc.title in client_for(owner).get(url, {"mine": "true"}).content.decode()}
    assert "Old one" not in client_for(owner).get(url, {"mine": "true"}).content.decode()
    assert "100 days" in client.get(url).content.decode()


def test_the_export_is_exactly_the_filtered_list_with_age(client_for, viewer):
    NonconformityFactory(title="Open one", detected_on=TODAY - timedelta(days=12))
    NonconformityFactory(title="Cancelled one", status=NCStatus.CANCELLED)
    complaint = NonconformityFactory(
        title="Complaint", origin=Origin.CUSTOMER_COMPLAINT, party="Arden", received_on=TODAY - timedelta(days=5),
        responded_on=TODAY - timedelta(days=2),
    )  # fmt: skip

    response = client_for(viewer).get(reverse("nonconformities:nonconformity_list"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert {row["title"] for row in rows} == {"Open one", "Complaint"}
    by_title = {row["title"]: row for row in rows}
    assert by_title["Open one"]["age (days)"] == "12"
    assert (by_title["Complaint"]["customer or supplier"], by_title["Complaint"]["response (days)"]) == ("Arden", "3")
    xlsx = client_for(viewer).get(reverse("nonconformities:nonconformity_list"), {"format": "xlsx", "show": "all"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    assert complaint.reference


@pytest.mark.parametrize("name", ["nonconformities:nonconformity_list", "qms:dashboard", "qms:my_work"])
def test_register_and_shared_pages_issue_constant_queries(client_for, auditor, django_assert_max_num_queries, name):
    def build(n):
        process = ProcessFactory()
        for _number in range(n):
            nc = analysed(processes=[process], status=NCStatus.EFFECTIVENESS_REVIEW)
            nc.deputies.add(UserFactory())
            NonconformityFactory(origin=Origin.CUSTOMER_COMPLAINT, party="Arden", received_on=TODAY, responded_on=TODAY)

    client = client_for(auditor)
    build(12)  # My work's sections count their rows apart once they fill them: both sizes fill them
    with django_assert_max_num_queries(40) as few:
        assert client.get(reverse(name)).status_code == 200
    build(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_the_detail_and_process_pages_issue_constant_queries(client_for, owner, django_assert_max_num_queries):
    press = ProcessFactory()
    nc = analysed(owner=owner, processes=[press])

    def build(n):
        for _number in range(n):
            Action.objects.create(title="Fix", owner=owner, due_date=TODAY, source=nc)
            NonconformityFactory(processes=[press])

    client = client_for(owner)
    build(1)
    counts = []
    for url in (nc_url(nc), press.get_absolute_url()):
        with django_assert_max_num_queries(60) as few:
            assert client.get(url).status_code == 200
        counts.append(len(few.captured_queries))
    build(15)
    for url, count in zip((nc_url(nc), press.get_absolute_url()), counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200


# Sections
# ------------------------------------------------------------------------------


def test_my_work_and_todos_show_what_i_own_and_what_awaits_my_review(client_for, owner, auditor):
    mine = NonconformityFactory(owner=owner, title="Owned by me")
    to_review = analysed(owner=owner, title="To review", status=NCStatus.EFFECTIVENESS_REVIEW)
    NonconformityFactory(title="Deputised").deputies.add(owner)
    NonconformityFactory(owner=owner, title="Closed", status=NCStatus.CLOSED)

    owners_work = client_for(owner).get(reverse("qms:my_work")).content.decode()
    owners_dashboard = client_for(owner).get(reverse("qms:dashboard")).content.decode()
    auditors_work = client_for(auditor).get(reverse("qms:my_work")).content.decode()
    auditors_dashboard = client_for(auditor).get(reverse("qms:dashboard")).content.decode()

    assert mine.title in owners_work and "My open nonconformities" in owners_work
    assert "awaiting my effectiveness review" not in owners_work  # never the owner's to review
    assert to_review.title in auditors_work and mine.title not in auditors_work
    assert "1 nonconformity awaits your effectiveness review" in auditors_dashboard
    assert "3 open nonconformities of yours" in owners_dashboard  # owned or deputised, not closed
    assert "awaits your effectiveness review" not in owners_dashboard


def test_the_dashboard_card_counts_open_ones_by_age_and_complaints_response(client_for, viewer):
    for days in (5, 40, 45, 200):
        NonconformityFactory(detected_on=TODAY - timedelta(days=days))
    NonconformityFactory(status=NCStatus.CANCELLED, detected_on=TODAY - timedelta(days=300))
    for received, answered in ((10, 6), (20, 12)):
        NonconformityFactory(
            origin=Origin.CUSTOMER_COMPLAINT, party="Arden", detected_on=TODAY - timedelta(days=received),
            received_on=TODAY - timedelta(days=received), responded_on=TODAY - timedelta(days=answered),
        )  # fmt: skip

    from nonconformities.sections import nonconformity_summary

    request = type("Request", (), {"user": viewer})()
    context = nonconformity_summary(request).context

    assert [(band.key, n) for band, n in context["bands"]] == [("new", 3), ("month", 2), ("old", 1)]
    assert (context["complaints"], context["unanswered"], context["average_response_days"]) == (2, 0, 6.0)
    assert ">6.0</span> days on average" in client_for(viewer).get(reverse("qms:dashboard")).content.decode()
