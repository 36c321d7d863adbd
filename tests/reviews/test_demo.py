"""The demo company's context: its issues and parties with dated history, and its policy and scope
versions, as seed_demo builds them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.choices import ContextStatus, StatementKind, StatementStatus
from reviews.models import ContextIssue, InterestedParty, QmsStatement

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def test_the_demo_has_issues_parties_and_two_policy_versions():
    assert ContextIssue.objects.filter(side="internal").count() >= 4
    assert ContextIssue.objects.filter(side="external").count() >= 4
    assert InterestedParty.objects.count() == 8
    policies = list(QmsStatement.objects.filter(kind=StatementKind.POLICY).order_by("version"))
    assert [(p.version, p.status) for p in policies] == [(1, StatementStatus.SUPERSEDED), (2, StatementStatus.APPROVED)]
    assert QmsStatement.objects.current(StatementKind.SCOPE).version == 1
    assert policies[1].approved_by.username == "ops" and policies[1].approved_at < timezone.now() - timedelta(days=30)


def test_the_demo_history_is_dated_as_the_data_says():
    recent = {i.title for i in ContextIssue.objects.changed_recently()}
    assert "Customers asking for carbon footprint per part" in recent  # written three months ago
    assert "Right-first-time culture on the shop floor" not in recent  # untouched for 18 months
    retired = ContextIssue.objects.get(status=ContextStatus.RETIRED)
    assert retired.history.first().history_date < timezone.now() - timedelta(days=100)
    a_year_ago = timezone.localdate() - timedelta(days=365)
    changed = ContextIssue.objects.changed_between(a_year_ago - timedelta(days=400), a_year_ago)
    assert changed.filter(added_in_period=True).exists()
