import pytest
from django.core.management import CommandError, call_command

from processes.models import Process
from qms.choices import ActionStatus, Role
from qms.models import Action, User

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_whole_organisation(settings):
    settings.DEBUG = True

    call_command("seed_demo", password="demo-password")

    assert User.objects.count() >= 20
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(Action.objects.values_list("status", flat=True)) == set(ActionStatus.values)
    assert Action.objects.overdue().exists()
    assert Process.objects.count() >= 12
    for username in ("lead", "quality", "owner", "auditor", "viewer"):
        assert User.objects.get(username=username).check_password("demo-password"), username


def test_seed_demo_twice_adds_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Action.objects.count(), Process.objects.count())

    call_command("seed_demo")

    assert (User.objects.count(), Action.objects.count(), Process.objects.count()) == counts


def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.exists()

    call_command("seed_demo", force=True)
    assert User.objects.filter(username="quality").exists()
