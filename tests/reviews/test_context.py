"""Context issues and interested parties: their rules, the pages (register, filters, export, detail,
history, retire), permissions per role, the process hub, the to-do, and the selector of changes
between two dates that management review reads."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.choices import ContextStatus, IssueCategory, IssueSide, PartyKind
from reviews.models import ContextIssue, InterestedParty, period_bounds, recent_since
from reviews.selectors import context_changes
from tests.api import api
from tests.factories import ContextIssueFactory, InterestedPartyFactory, ProcessFactory, QmsStatementFactory
from tests.hub import process_page
from tests.qms.test_query_counts import MAX_HUB_QUERIES

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute, second))


def dated(record, when: datetime) -> None:
    """Move every history entry of `record` to `when`, as if it had been written then."""
    type(record).history.filter(id=record.pk).update(history_date=when)


def change(record, when: datetime, **fields) -> None:
    for name, value in fields.items():
        setattr(record, name, value)
    record._history_date = when
    record.save()
    del record._history_date


# Rules
# ------------------------------------------------------------------------------


def test_references_and_a_category_of_the_issues_side():
    issue = ContextIssueFactory(side=IssueSide.INTERNAL, category=IssueCategory.KNOWLEDGE)
    assert issue.reference.startswith("CTX-")
    assert InterestedPartyFactory().reference.startswith("IP-")

    issue.category = IssueCategory.POLITICAL  # an external category on an internal issue
    with pytest.raises(ValidationError) as refused:
        issue.full_clean()
    assert "internal issue choose one of" in str(refused.value.message_dict["category"])


def test_retiring_needs_a_reason_freezes_the_record_and_history_keeps_it(owner, outsider):
    issue = ContextIssueFactory(owner=owner)

    with pytest.raises(ValidationError):
        services.context_set_status(record=issue, user=owner, status=ContextStatus.RETIRED, reason=" ")
    with pytest.raises(PermissionDenied):
        services.context_set_status(record=issue, user=outsider, status=ContextStatus.RETIRED, reason="Gone")
    issue = services.context_set_status(record=issue, user=owner, status=ContextStatus.RETIRED, reason="Tariff lifted")

    assert issue.is_frozen and not issue.user_can_edit(owner)
    latest = issue.history.first()
    assert (latest.status, latest.history_change_reason, latest.history_user) == ("retired", "Tariff lifted", owner)
    issue = services.context_set_status(record=issue, user=owner, status=ContextStatus.ACTIVE)
    assert issue.user_can_edit(owner)


# The selector of changes between two dates
# ------------------------------------------------------------------------------


def test_changes_between_two_dates_include_both_whole_days_and_nothing_outside():
    start, end = date(2025, 1, 1), date(2025, 6, 30)
    cases = {
        "day before": at(date(2024, 12, 31), 23, 59, 59),
        "first instant": at(start),
        "last second": at(end, 23, 59, 59),
        "day after": at(date(2025, 7, 1)),
    }
    issues = {name: ContextIssueFactory(title=name) for name in cases}
    for name, when in cases.items():
        dated(issues[name], when)

    changed = ContextIssue.objects.changed_between(start, end)

    assert sorted(i.title for i in changed) == ["first instant", "last second"]
    assert period_bounds(start, end) == (at(start), at(date(2025, 7, 1)))


def test_instants_bound_a_period_half_open():
    issue = ContextIssueFactory()
    dated(issue, at(date(2025, 3, 1), 12))

    assert ContextIssue.objects.changed_between(at(date(2025, 3, 1), 12), at(date(2025, 3, 2))).count() == 1
    assert ContextIssue.objects.changed_between(at(date(2025, 2, 1)), at(date(2025, 3, 1), 12)).count() == 0


def test_changes_say_whether_a_record_was_added_in_the_period_and_when_it_last_changed(owner):
    old = ContextIssueFactory(owner=owner, title="Old")
    dated(old, at(date(2024, 5, 1)))
    change(old, at(date(2025, 2, 10)), title="Old, reworded")
    change(old, at(date(2025, 4, 20)), review_date=date(2025, 12, 1))
    new = ContextIssueFactory(title="New")
    dated(new, at(date(2025, 3, 3)))
    untouched = ContextIssueFactory(title="Untouched")
    dated(untouched, at(date(2024, 5, 1)))

    changed = {i.title: i for i in ContextIssue.objects.changed_between(date(2025, 1, 1), date(2025, 6, 30))}

    assert set(changed) == {"Old, reworded", "New"}
    assert changed["Old, reworded"].added_in_period is False
    assert changed["Old, reworded"].last_change_at == at(date(2025, 4, 20))
    assert changed["New"].added_in_period is True


def test_retiring_and_linking_a_process_count_as_changes(owner):
    retired, linked = InterestedPartyFactory(owner=owner), InterestedPartyFactory(owner=owner)
    dated(retired, at(date(2024, 1, 1)))
    dated(linked, at(date(2024, 1, 1)))
    services.context_set_status(record=retired, user=owner, status=ContextStatus.RETIRED, reason="Sold the site")
    # A link changed later, on the record as a later request loads it, without a save of its fields.
    InterestedParty.objects.get(pk=linked.pk).processes.add(ProcessFactory())

    today = timezone.localdate()
    assert set(InterestedParty.objects.changed_between(today, today)) == {retired, linked}
    assert not InterestedParty.objects.changed_between(date(2024, 6, 1), today - timedelta(days=1)).exists()


def test_the_selector_costs_one_query_whatever_the_history(django_assert_num_queries):
    for issue in ContextIssueFactory.create_batch(5):
        for n in range(4):
            change(issue, at(date(2025, 1, 1 + n)), title=f"{issue.title} {n}")

    with django_assert_num_queries(1):
        assert len(list(ContextIssue.objects.changed_between(date(2025, 1, 1), date(2025, 1, 31)))) == 5


def test_recently_changed_means_within_six_months():
    now = timezone.make_aware(datetime(2026, 8, 31, 10))
    assert recent_since(now) == timezone.make_aware(datetime(2026, 2, 28, 10))
    assert recent_since(timezone.make_aware(datetime(2026, 3, 15))) == timezone.make_aware(datetime(2025, 9, 15))
    recent, old = ContextIssueFactory(title="recent"), ContextIssueFactory(title="old")
    dated(old, timezone.now() - timedelta(days=200))

    assert list(ContextIssue.objects.changed_recently()) == [recent]
    assert list(ContextIssue.objects.changed_recently(False)) == [old]


# Pages
# ------------------------------------------------------------------------------


def test_the_register_filters_and_marks_recent_changes(client_for, viewer):
    process = ProcessFactory()
    ContextIssueFactory(title="Aerospace demand rising", category=IssueCategory.MARKET, processes=[process])
    old = ContextIssueFactory(title="Skills gap in five-axis programming", side=IssueSide.INTERNAL,
                              category=IssueCategory.KNOWLEDGE)  # fmt: skip
    dated(old, timezone.now() - timedelta(days=400))
    retired = ContextIssueFactory(title="Brexit customs paperwork")
    retired.status = ContextStatus.RETIRED
    retired.save()
    client = client_for(viewer)
    url = reverse("reviews:contextissue_list")

    def titles(query: str = "") -> list[str]:
        return sorted(i.title for i in client.get(f"{url}?{query}").context["object_list"])

    assert titles() == ["Aerospace demand rising", "Skills gap in five-axis programming"]  # active by default
    assert titles("status=") == ["Aerospace demand rising", "Brexit customs paperwork",
                                 "Skills gap in five-axis programming"]  # fmt: skip
    assert titles("side=internal") == ["Skills gap in five-axis programming"]
    assert titles(f"process={process.pk}") == ["Aerospace demand rising"]
    assert titles("changed_recently=true") == ["Aerospace demand rising"]
    assert titles("q=five-axis") == ["Skills gap in five-axis programming"]
    page = client.get(url).content.decode()
    assert page.count("Changed in the last 6 months</span>") == 1


def test_the_export_is_exactly_the_filtered_list(client_for, viewer):
    ContextIssueFactory(title="External one")
    ContextIssueFactory(title="Internal one", side=IssueSide.INTERNAL, category=IssueCategory.RESOURCES)

    response = client_for(viewer).get(reverse("reviews:contextissue_list") + "?side=internal&format=csv")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["reference", "title", "internal or external"]
    assert [row[1] for row in rows[1:]] == ["Internal one"]
    xlsx = client_for(viewer).get(reverse("reviews:interestedparty_list") + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_a_party_is_created_edited_and_its_history_shows_the_change(client_for, owner):
    client = client_for(owner)
    response = client.post(
        reverse("reviews:interestedparty_add"),
        {"name": "Meridian Aerospace", "kind": PartyKind.CUSTOMER, "requirements": "AS9100 flow-down",
         "owner": owner.pk},
    )  # fmt: skip
    party = InterestedParty.objects.get()
    assert response.status_code == 302 and response["Location"] == party.get_absolute_url()

    form = client.get(party.get_edit_url()).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None} | {
        "requirements": "AS9100 flow-down and first article inspection",
        "change_note": "New purchase order terms",
    }
    assert client.post(party.get_edit_url(), data).status_code == 302

    history = client.get(party.get_history_url()).content.decode()
    assert "first article inspection" in history and "New purchase order terms" in history


def test_a_bad_issue_keeps_the_input_and_says_what_is_wrong(client_for, owner):
    response = client_for(owner).post(
        reverse("reviews:contextissue_add"),
        {"title": "Energy prices", "side": IssueSide.INTERNAL, "category": IssueCategory.ECONOMIC,
         "effect": "negative", "owner": owner.pk},
    )  # fmt: skip

    assert response.status_code == 422
    page = response.content.decode()
    assert "internal issue choose one of" in page and 'value="Energy prices"' in page
    assert not ContextIssue.objects.exists()


def test_retire_asks_first_then_the_record_stays_as_retired(client_for, owner):
    issue = ContextIssueFactory(owner=owner)
    client = client_for(owner)
    url = reverse("reviews:contextissue_retire", args=[issue.pk])

    assert "Retire " in client.get(url).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Contract ended"}).status_code == 302
    issue.refresh_from_db()
    assert issue.status == ContextStatus.RETIRED
    assert client.get(issue.get_edit_url()).status_code == 403
    page = client.get(issue.get_absolute_url()).content.decode()
    assert reverse("reviews:contextissue_reactivate", args=[issue.pk]) in page and issue.get_edit_url() not in page


@pytest.mark.parametrize(
    "who, may_change", [("owner", True), ("deputy", True), ("quality", True), ("outsider", False), ("viewer", False)]
)
def test_who_may_change_context_records(request, client_for, owner, deputy, who, may_change):
    issue = ContextIssueFactory(owner=owner)
    issue.deputies.set([deputy])
    client = client_for(request.getfixturevalue(who))

    page = client.get(issue.get_absolute_url())
    assert page.status_code == 200
    assert (issue.get_edit_url() in page.content.decode()) is may_change
    assert client.get(issue.get_edit_url()).status_code == (200 if may_change else 403)
    retire = reverse("reviews:contextissue_retire", args=[issue.pk])
    assert client.post(retire, {"reason": "x"}).status_code == (302 if may_change else 403)


def test_viewers_create_nothing(client_for, viewer):
    assert client_for(viewer).get(reverse("reviews:interestedparty_add")).status_code == 403
    assert "New issue" not in client_for(viewer).get(reverse("reviews:contextissue_list")).content.decode()


def test_the_process_page_lists_its_issues_and_parties(client_for, viewer):
    process = ProcessFactory()
    ContextIssueFactory(title="Titanium lead times", processes=[process])
    InterestedPartyFactory(name="Meridian Aerospace", processes=[process])
    retired = InterestedPartyFactory(name="Old distributor", processes=[process])
    retired.status = ContextStatus.RETIRED
    retired.save()

    page = process_page(client_for(viewer), process)

    assert "Titanium lead times" in page and "Meridian Aerospace" in page and "Old distributor" not in page


def test_owners_get_a_todo_when_a_review_date_passed(client_for, owner):
    yesterday = timezone.localdate() - timedelta(days=1)
    ContextIssueFactory.create_batch(2, owner=owner, review_date=yesterday)
    ContextIssueFactory(owner=owner, review_date=timezone.localdate())
    InterestedPartyFactory(owner=owner, review_date=yesterday)
    gone = InterestedPartyFactory(owner=owner, review_date=yesterday)
    gone.status = ContextStatus.RETIRED
    gone.save()

    page = client_for(owner).get(reverse("qms:dashboard")).content.decode()

    assert "2 of your context issues are due for review" in page
    assert "1 of your interested parties is due for review" in page
    listed = client_for(owner).get(reverse("reviews:contextissue_list") + "?mine=true&review_overdue=true")
    assert len(listed.context["object_list"]) == 2


def test_the_reviews_menu_links_to_the_register_parties_policy_and_scope(client_for, viewer):
    page = client_for(viewer).get(reverse("reviews:index")).content.decode()

    for name in ("contextissue_list", "interestedparty_list", "policy", "scope", "managementreview_list"):
        assert reverse(f"reviews:{name}") in page


@pytest.mark.parametrize(
    "name", ["reviews:contextissue_list", "reviews:interestedparty_list", "reviews:index", "qms:dashboard"]
)
def test_lists_menu_and_dashboard_queries_do_not_grow(client_for, viewer, django_assert_max_num_queries, name):
    def build(n):
        process = ProcessFactory()
        for issue in ContextIssueFactory.create_batch(n, processes=[process], review_date=date(2020, 1, 1)):
            change(issue, timezone.now(), title=issue.title + "!")
        InterestedPartyFactory.create_batch(n, processes=[process], owner=viewer)

    client = client_for(viewer)
    build(3)
    with django_assert_max_num_queries(MAX_HUB_QUERIES if name == "qms:dashboard" else 22) as few:
        assert client.get(reverse(name)).status_code == 200
    build(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_the_process_page_and_record_pages_queries_do_not_grow(client_for, viewer, django_assert_max_num_queries):
    process = ProcessFactory()
    client = client_for(viewer)
    issue = ContextIssueFactory(processes=[process])
    party = InterestedPartyFactory(processes=[process])
    counts = {}
    for url in (process.get_absolute_url(), issue.get_absolute_url(), party.get_history_url()):
        with django_assert_max_num_queries(60) as few:
            client.get(url)
        counts[url] = len(few.captured_queries)
    ContextIssueFactory.create_batch(20, processes=[process])
    InterestedPartyFactory.create_batch(20, processes=[process])
    for n in range(5):
        change(issue, timezone.now(), title=f"Issue {n}")
        change(party, timezone.now(), name=f"Party {n}")
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200


def test_context_changes_gathers_issues_parties_and_approved_versions_of_a_period(quality, lead):
    issue, party = ContextIssueFactory(), InterestedPartyFactory()
    dated(party, at(date(2024, 1, 1)))
    policy = services.statement_approve(statement=QmsStatementFactory(owner=quality), user=lead)
    today = timezone.localdate()

    changes = context_changes(today - timedelta(days=1), today)

    assert list(changes.issues) == [issue] and changes.issues[0].added_in_period
    assert list(changes.parties) == []
    assert list(changes.statements) == [policy]


@pytest.mark.parametrize(
    ("factory", "path"), [(ContextIssueFactory, "context-issues"), (InterestedPartyFactory, "interested-parties")]
)
def test_the_api_retires_with_a_reason_and_reinstates_as_the_pages_do(owner, deputy, viewer, factory, path):
    record = factory(owner=owner)
    record.deputies.add(deputy)
    url = f"/api/{path}/{record.pk}/"

    assert api(viewer).post(f"{url}retire/", {"reason": "Not ours"}, format="json").status_code == 403
    no_reason = api(deputy).post(f"{url}retire/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    retired = api(deputy).post(f"{url}retire/", {"reason": "Market left"}, format="json")
    assert retired.status_code == 200 and retired.json()["status"] == ContextStatus.RETIRED
    assert api(deputy).post(f"{url}retire/", {"reason": "Again"}, format="json").status_code == 400
    record.refresh_from_db()
    assert (record.status, record.history.first().history_change_reason) == (ContextStatus.RETIRED, "Market left")
    assert record.history.first().history_user == deputy

    assert api(viewer).post(f"{url}reinstate/").status_code == 403
    reinstated = api(owner).post(f"{url}reinstate/")
    assert reinstated.status_code == 200 and reinstated.json()["status"] == ContextStatus.ACTIVE
