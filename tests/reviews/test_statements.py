"""The versioned quality policy and QMS scope: drafted by the quality manager, approved by a
Leadership member other than the drafter, numbered and superseding on approval, frozen once
approved, on the pages and through the API."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from qms.choices import Role
from reviews import services
from reviews.choices import ContextStatus, StatementKind, StatementStatus
from reviews.models import QmsStatement
from tests.api import api
from tests.factories import ContextIssueFactory, InterestedPartyFactory, QmsStatementFactory, UserFactory

pytestmark = pytest.mark.django_db


def approved(text: str, quality, lead) -> QmsStatement:
    return services.statement_approve(statement=QmsStatementFactory(owner=quality, text=text), user=lead)


def test_approving_numbers_the_version_and_supersedes_the_one_in_force(quality, lead):
    first = approved("First", quality, lead)
    draft = QmsStatementFactory(owner=quality, text="Second", change_summary="Adds medical devices")
    assert (first.version, draft.version, draft.title) == (1, None, "Quality policy, draft")

    second = services.statement_approve(statement=draft, user=lead, comment="Agreed at the board")

    first.refresh_from_db()
    assert (second.version, second.status, second.approved_by) == (2, StatementStatus.APPROVED, lead)
    assert first.status == StatementStatus.SUPERSEDED and first.text == "First"
    assert QmsStatement.objects.current(StatementKind.POLICY) == second
    assert second.history.first().history_change_reason == "Approved: Agreed at the board"
    assert first.history.first().history_change_reason == "Superseded by version 2"
    assert QmsStatement.objects.current(StatementKind.SCOPE) is None  # the scope is numbered on its own


@pytest.mark.parametrize("who", ["quality", "owner", "auditor", "viewer", "drafter"])
def test_only_leadership_other_than_the_drafter_approves(request, quality, who):
    drafter = UserFactory(username="drafter", role=Role.LEADERSHIP)
    draft = QmsStatementFactory(owner=drafter if who == "drafter" else quality)
    user = drafter if who == "drafter" else request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        services.statement_approve(statement=draft, user=user)
    assert not draft.user_can_approve(user)


def test_an_approved_version_is_not_approved_again(quality, lead):
    statement = approved("Once", quality, lead)
    with pytest.raises(ValidationError):
        services.statement_approve(statement=statement, user=lead)


def test_the_database_keeps_one_approved_version_per_kind(quality, lead):
    approved("One", quality, lead)
    other = QmsStatementFactory(owner=quality)
    with pytest.raises(IntegrityError), transaction.atomic():
        QmsStatement.objects.filter(pk=other.pk).update(status=StatementStatus.APPROVED, version=9)


def test_the_quality_manager_drafts_from_the_text_in_force_and_others_may_not(client_for, quality, lead, owner):
    approved("We deliver right first time.", quality, lead)
    add = reverse("reviews:qmsstatement_add") + "?kind=policy"

    assert client_for(lead).get(add).status_code == 403
    assert client_for(owner).get(add).status_code == 403
    form = client_for(quality).get(add).context["form"]
    assert form["text"].value() == "We deliver right first time."
    response = client_for(quality).post(
        add, {"text": "We deliver right first time, every time.", "change_summary": "x"}
    )
    draft = QmsStatement.objects.get(status=StatementStatus.DRAFT)
    assert response.status_code == 302 and (draft.owner, draft.kind) == (quality, StatementKind.POLICY)
    assert client_for(quality).get(reverse("reviews:qmsstatement_add") + "?kind=nonsense").status_code == 400


def test_approved_and_superseded_versions_refuse_edits_on_the_page(client_for, quality, lead):
    first = approved("First", quality, lead)
    second = approved("Second", quality, lead)
    first.refresh_from_db()

    for version in (first, second):
        assert client_for(quality).get(version.get_edit_url()).status_code == 403
        assert client_for(quality).post(version.get_edit_url(), {"text": "Rewritten"}).status_code == 403
        version.refresh_from_db()
        assert version.text in ("First", "Second")
        assert version.get_edit_url() not in client_for(quality).get(version.get_absolute_url()).content.decode()


def test_the_policy_page_shows_the_version_in_force_drafts_and_earlier_versions(client_for, quality, lead, viewer):
    approved("Old words", quality, lead)
    approved("Words in force", quality, lead)
    draft = QmsStatementFactory(owner=quality, text="Proposed words")
    url = reverse("reviews:policy")

    page = client_for(viewer).get(url)
    assert page.context["current"].text == "Words in force"
    assert [v.text for v in page.context["earlier"]] == ["Old words"]
    assert [d.text for d in page.context["drafts"]] == ["Proposed words"]
    approve = reverse("reviews:qmsstatement_approve", args=[draft.pk])
    assert approve not in page.content.decode()
    assert approve in client_for(lead).get(url).content.decode()
    assert "Draft a new version" in client_for(quality).get(url).content.decode()


def test_approving_on_the_page_asks_first(client_for, quality, lead, owner):
    approved("Old", quality, lead)
    draft = QmsStatementFactory(owner=quality, text="New")
    url = reverse("reviews:qmsstatement_approve", args=[draft.pk])

    assert client_for(owner).get(url).status_code == 403
    assert "version 2; version 1 is superseded" in client_for(lead).get(url).content.decode()
    dialog = client_for(lead).get(url)
    shown = dialog.context["confirm"].form["text_marker"].value()
    assert f'name="text_marker" value="{shown}"' in dialog.content.decode()
    assert client_for(lead).post(url, {"reason": "Board minute 14", "text_marker": shown}).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (StatementStatus.APPROVED, 2)


def test_an_approval_is_of_the_text_the_approver_read(client_for, quality, lead):
    draft = QmsStatementFactory(owner=quality, text="We deliver on time.")
    url = reverse("reviews:qmsstatement_approve", args=[draft.pk])
    shown = client_for(lead).get(url).context["confirm"].form["text_marker"].value()
    draft.text = "We deliver on time, mostly."
    draft.save()

    refused = client_for(lead).post(url, {"reason": "Agreed", "text_marker": shown}, follow=True)

    draft.refresh_from_db()
    assert draft.status == StatementStatus.DRAFT
    assert "changed since you read it: nothing was approved" in refused.content.decode()
    with pytest.raises(ValidationError, match="changed since you read it"):
        services.statement_approve(statement=draft, user=lead, text_marker=shown)


@pytest.mark.parametrize("role_in_draft", ["deputy", "last_editor"])
def test_leadership_who_co_own_or_last_changed_the_draft_do_not_approve_it(quality, lead, role_in_draft):
    draft = QmsStatementFactory(owner=quality)
    if role_in_draft == "deputy":
        draft.deputies.add(lead)
    else:
        QmsStatement.objects.filter(pk=draft.pk).update(updated_by=lead)
        draft.refresh_from_db()

    assert not draft.user_can_approve(lead)
    with pytest.raises(PermissionDenied):
        services.statement_approve(statement=draft, user=lead)


def test_the_approval_date_falls_in_the_period_it_happened(quality, lead):
    from django.utils import timezone

    old = services.statement_approve(
        statement=QmsStatementFactory(owner=quality),
        user=lead,
        at=timezone.make_aware(timezone.datetime(2025, 3, 31, 23, 59)),
    )
    assert list(QmsStatement.objects.approved_between(date(2025, 1, 1), date(2025, 3, 31))) == [old]
    assert not QmsStatement.objects.approved_between(date(2025, 4, 1), date(2025, 6, 30)).exists()


# API
# ------------------------------------------------------------------------------


def test_the_api_drafts_approves_and_refuses_changes_to_approved_versions(quality, lead):
    created = api(quality).post("/api/qms-statements/", {"kind": "scope", "text": "Machining of parts"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["owner"], body["status"], body["version"]) == (quality.pk, "draft", None)
    url = f"/api/qms-statements/{body['id']}/"

    assert api(quality).post(url + "approve/").status_code == 403  # not Leadership
    stale = api(lead).post(url + "approve/", {"text_marker": "not what is there"}, format="json")
    assert stale.status_code == 400 and "changed since you read it" in str(stale.json())
    read = api(lead).get(url).json()["text_marker"]
    assert api(lead).post(url + "approve/", {"text_marker": read}, format="json").status_code == 200
    assert api(lead).post(url + "approve/").status_code == 400  # approved already
    etag = api(quality).get(url)["ETag"]
    refused = api(quality).patch(url, {"text": "Changed"}, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 400 and "stays as it is" in str(refused.json())
    assert QmsStatement.objects.get().text == "Machining of parts"
    assert api(lead).post("/api/qms-statements/", {"kind": "policy", "text": "x"}, format="json").status_code == 403


def test_the_api_creates_and_updates_context_records_with_etags(owner, viewer, outsider):
    created = api(owner).post(
        "/api/context-issues/",
        {"title": "Energy prices", "side": "external", "category": "economic", "owner": owner.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = f"/api/context-issues/{created.json()['id']}/"
    etag = api(owner).get(url)["ETag"]

    assert api(owner).patch(url, {"title": "Energy prices, 2026"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert api(owner).patch(url, {"title": "Stale"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert api(outsider).patch(url, {"title": "Not mine"}, format="json").status_code == 403
    assert api(viewer).post("/api/interested-parties/", {}, format="json").status_code == 403
    bad = api(owner).post(
        "/api/context-issues/",
        {"title": "x", "side": "internal", "category": "political", "owner": owner.pk},
        format="json",
    )
    assert bad.status_code == 400 and "category" in bad.json()


def test_the_api_refuses_to_change_a_retired_party_and_filters_by_recent_change(owner):
    party = InterestedPartyFactory(owner=owner)
    services.context_set_status(record=party, user=owner, status=ContextStatus.RETIRED, reason="Closed")
    ContextIssueFactory()

    refused = api(owner).patch(f"/api/interested-parties/{party.pk}/", {"name": "Renamed"}, format="json")
    assert refused.status_code == 400
    assert len(api(owner).get("/api/context-issues/?changed_recently=true").json()["results"]) == 1
    assert "qms-statements" in api(owner).get("/api/").json()
