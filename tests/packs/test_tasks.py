"""The rendering task: its effect, and that running it again changes nothing more."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from packs import services
from packs.choices import PackStatus
from packs.models import EvidencePack
from packs.tasks import render_pack, resume_stalled_packs
from qms.history import record_history
from qms.models import Notification
from tests.packs.conftest import scope_pack

pytestmark = pytest.mark.django_db


def test_requesting_queues_the_pack_and_the_commit_starts_its_rendering(
    world, auditor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(
            user=auditor, period_from=world.audit.planned_start, period_to=world.audit.planned_end
        )
        assert EvidencePack.objects.get(pk=pack.pk).status == PackStatus.QUEUED
    pack.refresh_from_db()
    assert pack.status == PackStatus.DONE and pack.progress == 100
    assert pack.page_count > 3 and pack.size > 10_000 and len(pack.sha256) == 64
    assert pack.file.name.startswith("packs/") and pack.file.name.endswith(".pdf")


def test_the_task_renders_once_and_tells_the_requester_once(world, auditor):
    pack = scope_pack(auditor)
    assert render_pack(pack.pk) == PackStatus.DONE
    pack.refresh_from_db()
    made = (pack.file.name, pack.sha256, pack.finished_at, pack.history.count())
    assert len(mail.outbox) == 1 and pack.sha256 in mail.outbox[0].body
    assert mail.outbox[0].to == [auditor.email]

    assert render_pack(pack.pk) == PackStatus.DONE
    pack.refresh_from_db()
    assert (pack.file.name, pack.sha256, pack.finished_at, pack.history.count()) == made
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(kind="evidence_pack", object_id=pack.pk).count() == 1


def test_a_pack_being_rendered_elsewhere_is_left_alone(world, auditor):
    pack = scope_pack(auditor)
    EvidencePack.objects.filter(pk=pack.pk).update(status=PackStatus.RENDERING, progress=40)
    assert render_pack(pack.pk) == PackStatus.RENDERING
    pack.refresh_from_db()
    assert pack.progress == 40 and not pack.file


def test_a_pack_that_cannot_be_made_fails_with_the_reason(world, auditor, monkeypatch):
    def broken(pack):
        raise RuntimeError("the template broke")

    monkeypatch.setattr(services, "pack_content", broken)
    pack = scope_pack(auditor)
    assert render_pack(pack.pk) == PackStatus.FAILED
    pack.refresh_from_db()
    assert "the template broke" in pack.error and not pack.file
    assert "could not be made" in mail.outbox[0].body
    assert render_pack(pack.pk) == PackStatus.FAILED and len(mail.outbox) == 1


def test_progress_is_not_part_of_the_history(world, auditor):
    pack = scope_pack(auditor)
    render_pack(pack.pk)
    statuses = list(pack.history.order_by("history_date", "history_id").values_list("status", flat=True))
    assert statuses[0] == PackStatus.QUEUED and statuses[-1] == PackStatus.DONE
    assert "progress" not in {f.name for f in EvidencePack.history.model._meta.fields}


def test_packs_a_worker_lost_are_made_after_an_hour_and_a_second_run_changes_nothing(world, auditor):
    lost, waiting = scope_pack(auditor), scope_pack(auditor)
    busy, fresh = scope_pack(auditor), scope_pack(auditor)
    two_hours_ago = timezone.now() - timedelta(hours=2)
    EvidencePack.objects.filter(pk__in=[lost.pk, waiting.pk, busy.pk]).update(requested_at=two_hours_ago)
    EvidencePack.objects.filter(pk=lost.pk).update(status=PackStatus.RENDERING, started_at=two_hours_ago)
    EvidencePack.objects.filter(pk=busy.pk).update(status=PackStatus.RENDERING, started_at=timezone.now())

    assert resume_stalled_packs() == 2
    statuses = dict(EvidencePack.objects.values_list("pk", "status"))
    assert statuses[lost.pk] == statuses[waiting.pk] == PackStatus.DONE
    assert statuses[busy.pk] == PackStatus.RENDERING and statuses[fresh.pk] == PackStatus.QUEUED
    made = list(EvidencePack.objects.order_by("pk").values_list("status", "sha256", "finished_at"))

    assert resume_stalled_packs() == 0
    assert list(EvidencePack.objects.order_by("pk").values_list("status", "sha256", "finished_at")) == made


def test_every_step_of_the_rendering_is_in_the_history_by_no_one_with_what_happened(world, auditor):
    pack = scope_pack(auditor)
    render_pack(pack.pk)
    rows = list(pack.history.order_by("history_date", "history_id"))
    assert [row.status for row in rows] == [PackStatus.QUEUED, PackStatus.RENDERING, PackStatus.DONE]
    assert rows[0].history_user == auditor
    claimed = rows[1]
    assert claimed.history_user is None and claimed.history_change_reason == "Rendering started"
    assert list(claimed.processes.values_list("process_id", flat=True)) == list(
        pack.processes.values_list("pk", flat=True)
    )  # the snapshot keeps the pack's links as they are

    [entry] = [e for e in record_history(pack) if e.reason == "Rendering started"]
    assert entry.user is None
    assert [(c.name, c.old, c.new) for c in entry.changes] == [("status", "Queued", "Rendering")]


def test_a_pack_queued_again_after_its_worker_was_lost_says_so_in_its_history(world, auditor):
    lost = scope_pack(auditor)
    two_hours_ago = timezone.now() - timedelta(hours=2)
    EvidencePack.objects.filter(pk=lost.pk).update(
        status=PackStatus.RENDERING, started_at=two_hours_ago, requested_at=two_hours_ago
    )
    services.packs_resume_stalled(now=timezone.now())
    requeued = lost.history.filter(history_change_reason__startswith="Queued again").get()
    assert requeued.status == PackStatus.QUEUED and requeued.history_user is None
