"""Every audit page and section reads the same number of queries with little and with much data."""

import pytest
from django.urls import reverse

from audits import services
from qms.choices import Role
from tests.factories import (
    ActionFactory,
    AuditFactory,
    AuditProgrammeFactory,
    FindingFactory,
    NonconformityFactory,
    ProcessFactory,
    RiskFactory,
    UserFactory,
)
from tests.hub import process_page

pytestmark = pytest.mark.django_db
MAX_QUERIES = 25


def build(programme, n: int, lead):
    """n audits, each of two processes with a risk, a team, auditees, a checklist and findings."""
    for _ in range(n):
        processes = ProcessFactory.create_batch(2)
        for process in processes:
            RiskFactory(processes=[process])
        audit = AuditFactory(programme=programme, owner=lead, processes=processes)
        audit.team.add(*UserFactory.create_batch(2, role=Role.AUDITOR))
        audit.auditees.add(*UserFactory.create_batch(2))
        services.checklist_build(audit=audit, user=lead)
        for process in processes:
            FindingFactory(audit=audit, process=process)


def pages(programme, audit, finding, process):
    return [
        reverse("audits:auditprogramme_list"),
        reverse("audits:auditprogramme_detail", args=[programme.pk]),
        reverse("audits:audit_list"),
        reverse("audits:audit_detail", args=[audit.pk]),
        reverse("audits:finding_list"),
        reverse("audits:finding_detail", args=[finding.pk]),
        reverse("processes:process_detail", args=[process.pk]),
        reverse("qms:dashboard"),
        reverse("qms:my_work"),
        "/api/audits/",
        "/api/findings/",
        f"/api/checklist-items/?audit={audit.pk}",
    ]


@pytest.mark.parametrize("index", range(12))
def test_pages_read_a_fixed_number_of_queries(index, quality, auditor, client_for, django_assert_max_num_queries):
    programme = AuditProgrammeFactory()
    client = client_for(auditor)
    build(programme, 1, auditor)
    audit = programme.audits.get()
    finding, process = audit.findings.first(), audit.processes.first()
    url = pages(programme, audit, finding, process)[index]
    hubs = (reverse("qms:dashboard"), reverse("qms:my_work"), process.get_absolute_url())
    limit = 60 if url in hubs else MAX_QUERIES

    def get():
        if url == process.get_absolute_url():  # the page and each section it loads
            process_page(client, process)
        else:
            assert client.get(url).status_code == 200

    with django_assert_max_num_queries(limit) as few:
        get()

    build(programme, 6, auditor)
    # The same audit, now with a longer checklist and more findings.
    services.checklist_add(audit=audit, user=auditor, question="One more?")
    FindingFactory(audit=audit, process=process)
    with django_assert_max_num_queries(len(few.captured_queries)):
        get()


def test_the_finding_list_shows_what_each_finding_raised_in_fixed_queries(
    auditor, client_for, django_assert_max_num_queries
):
    def raise_two():
        return [
            FindingFactory(nonconformity=NonconformityFactory()),
            FindingFactory(kind="ofi", action=ActionFactory()),
        ]

    client = client_for(auditor)
    raised = raise_two()
    with django_assert_max_num_queries(25) as few:
        page = client.get(reverse("audits:finding_list")).content.decode()
    assert raised[0].nonconformity.reference in page and raised[1].action.reference in page

    raised = [*raise_two(), *raise_two()]
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("audits:finding_list")).content.decode()
    assert all(f.nonconformity.reference in page for f in raised[::2])
    assert all(f.action.reference in page for f in raised[1::2])


def test_the_audit_page_shows_each_questions_findings_in_fixed_queries(
    auditor, client_for, django_assert_max_num_queries
):
    audit = AuditFactory(owner=auditor, processes=ProcessFactory.create_batch(2))
    services.checklist_build(audit=audit, user=auditor)
    questions = list(audit.checklist.all())
    client = client_for(auditor)

    def answer(question):
        return FindingFactory(audit=audit, process=audit.processes.first(), checklist_item=question)

    raised = [answer(questions[0])]
    client.get(audit.get_absolute_url())
    with django_assert_max_num_queries(MAX_QUERIES) as few:
        client.get(audit.get_absolute_url())
    raised += [answer(questions[0]), answer(questions[1]), answer(questions[2])]
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(audit.get_absolute_url()).content.decode()

    for finding in raised:
        assert f"{finding.reference} {finding.title}</a>" in page
