"""An audit's checklist is built from the clauses in scope and the process's own turtle, and answered
one row at a time in place."""

import pytest
from django.urls import reverse

from audits import services
from audits.choices import AuditStatus, QuestionOrigin, Result
from audits.models import ChecklistItem, QuestionTemplate

pytestmark = pytest.mark.django_db


def test_the_checklist_names_the_process_s_own_items(audit, auditor):
    added = services.checklist_build(audit=audit, user=auditor)

    items = list(audit.checklist.all())
    assert added == len(items)
    text = "\n".join(item.question for item in items)
    for name in ("Aluminium bar", "Metals Ltd", "Machined housings", "Arden Motors", "Five-axis cell",
                 "Set-up instruction SI-12", "Released work orders", "First-off parts", "Scrap rate",
                 "Spindle breakdown"):  # fmt: skip
        assert name in text
    origins = {item.origin for item in items}
    assert set(QuestionOrigin.values) - {QuestionOrigin.OWN} <= origins
    templates = QuestionTemplate.objects.filter(clause__in=["7.1", "8.5"])
    assert {i.question for i in items if i.origin == QuestionOrigin.TEMPLATE} == {t.text for t in templates}
    assert not {i.clause for i in items if i.origin == QuestionOrigin.TEMPLATE} - {"7.1", "8.5"}


def test_building_again_adds_only_what_is_new(audit, auditor, machining):
    services.checklist_build(audit=audit, user=auditor)
    count = audit.checklist.count()
    assert services.checklist_build(audit=audit, user=auditor) == 0
    audit.clauses = ["7.1", "8.5", "9.1"]
    audit.save()
    assert services.checklist_build(audit=audit, user=auditor) == QuestionTemplate.objects.filter(clause="9.1").count()
    assert audit.checklist.count() > count


def test_every_clause_has_questions_in_our_own_words():
    from qms.clauses import Clause

    assert set(QuestionTemplate.objects.values_list("clause", flat=True)) == set(Clause.values)


def test_a_row_is_answered_in_place_and_history_keeps_who_and_when(audit, auditor, client_for):
    services.checklist_build(audit=audit, user=auditor)
    item = audit.checklist.first()
    client = client_for(auditor)
    url = reverse("audits:checklist_item", args=[item.pk])

    form = client.get(f"{url}?answer=1", headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert 'name="result"' in form.text

    response = client.post(
        url, {"result": Result.CONFORMS, "notes": "Saw calibration tags"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'id="item-{item.pk}"' in response.text and "Conforms" in response.text
    item.refresh_from_db()
    assert (item.result, item.notes, item.answered_by) == (Result.CONFORMS, "Saw calibration tags", auditor)
    assert item.answered_at is not None
    assert item.history.latest().history_user == auditor
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS  # the first answer starts the audit


def test_a_row_without_a_result_is_refused_and_keeps_the_notes(audit, auditor, client_for):
    item = services.checklist_add(audit=audit, user=auditor, question="Are gauges labelled?")
    response = client_for(auditor).post(
        reverse("audits:checklist_item", args=[item.pk]), {"notes": "typed"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Choose a result." in response.text and "typed" in response.text


def test_own_questions_are_added_and_removed_with_a_reason(audit, auditor, client_for):
    client = client_for(auditor)
    response = client.post(reverse("audits:checklist_add", args=[audit.pk]), {"question": "Is the floor clean?"})
    assert response.status_code == 302
    item = ChecklistItem.objects.get(question="Is the floor clean?")
    assert item.origin == QuestionOrigin.OWN

    assert client.get(reverse("audits:checklist_remove", args=[item.pk])).status_code == 200
    client.post(reverse("audits:checklist_remove", args=[item.pk]), {"reason": "Duplicate"})
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()
    removed = ChecklistItem.history.filter(id=item.pk, history_type="-").get()
    assert removed.history_change_reason == "Duplicate"


def test_outsiders_cannot_answer(audit, outsider, client_for):
    item = services.checklist_add(audit=audit, user=audit.owner, question="Q?")
    response = client_for(outsider).post(reverse("audits:checklist_item", args=[item.pk]), {"result": "conforms"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.result == ""
