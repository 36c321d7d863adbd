"""The demo data files and their loader: a mistake in a file stops the seed with a message that
names the file and the entry, and nothing is seeded. (tests/qms/test_seed_demo.py seeds the real
files and checks what they build.)"""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from objectives.models import Objective
from qms import demo_loader
from qms.demo_loader import Demo, DemoDataError, read_data
from qms.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def edit_data(monkeypatch, settings):
    """Seeding reads the demo data as `change(data)` leaves the file of `app`."""
    settings.DEBUG = True
    read = demo_loader.read_data

    def edit(app: str, change) -> None:
        def edited(path):
            data = read(path)
            if path.parent.name == app:
                change(data)
            return data

        monkeypatch.setattr(demo_loader, "read_data", edited)

    return edit


@pytest.fixture
def seed_with(edit_data):
    """Seed from the demo data as `change(data)` leaves the file of `app`, expecting it to fail;
    return the message."""

    def seed(app: str, change) -> str:
        edit_data(app, change)
        with pytest.raises(CommandError) as raised:
            call_command("seed_demo")
        assert not User.objects.exists()  # all or nothing
        return str(raised.value)

    return seed


def test_a_typo_in_a_username_names_the_file_and_the_entry(seed_with):
    message = seed_with("processes", lambda data: data["processes"]["sales"].update(owner="sails"))

    assert message == (
        "The demo data has a mistake, nothing was seeded. processes/demo.yaml, processes sales (Sales and "
        "contract review): there is no person 'sails'. Did you mean 'sales'?"
    )


def test_a_typo_in_a_process_key_names_the_file_and_the_entry(seed_with):
    message = seed_with("qms", lambda data: data["actions"][2].update(processes=["purchasing", "prodution"]))

    assert message.endswith(
        "qms/demo.yaml, actions 3 (Add second source for 6082 aluminium bar): there is no process 'prodution'. "
        "Did you mean 'production'?"
    )


def test_a_typo_in_a_field_name_is_refused(seed_with):
    message = seed_with("processes", lambda data: data["processes"]["review"].update(purpse="Review the QMS."))

    assert message.endswith(
        "processes/demo.yaml, processes review (Management review): a process has no field 'purpse'. "
        "Did you mean 'purpose'?"
    )


def test_a_typo_in_a_nested_entry_names_it_within_its_entry(seed_with):
    def change(data):
        data["processes"]["sales"]["resources"][1]["kind"] = "informaton"

    message = seed_with("processes", change)

    assert "processes sales (Sales and contract review), resources 2: kind: Value 'informaton' is not a" in message


def test_what_the_product_refuses_the_demo_may_not_hold(seed_with):
    """The demo goes through the app's rules: an effectiveness check needs its evidence."""
    effective = "Publish revised quality policy to all sites"

    def change(data):
        (action,) = [a for a in data["actions"] if a["title"] == effective]
        del action["effectiveness"]

    message = seed_with("qms", change)

    assert message.endswith(f"({effective}): verification_note: Say what showed whether the action worked.")


def test_a_section_no_builder_reads_is_refused(seed_with):
    message = seed_with("qms", lambda data: data.update(peeple={}))

    assert message.endswith("qms/demo.yaml: no builder reads the section(s) peeple.")


def test_an_objective_names_its_main_kpi_baseline_and_target_in_the_data(edit_data):
    """They are set once the objective's KPIs exist, as on its edit page."""
    edit_data("objectives", lambda data: data["objectives"]["otd"].update(main_kpi="otd", baseline=88, target=97.5))

    call_command("seed_demo", stdout=StringIO())

    objective = Objective.objects.get(title__startswith="Raise on-time delivery")
    assert (objective.main_kpi.name, objective.baseline, objective.target) == (
        "On-time delivery",
        Decimal("88"),
        Decimal("97.5"),
    )
    assert objective.history.first().history_user.username == "ops"  # its owner, on its edit page


def test_a_key_given_twice_is_refused_not_lost(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text("people:\n  lead: {first_name: Helen}\n  lead: {first_name: Priya}\n")

    with pytest.raises(DemoDataError, match="'lead' is given twice in this mapping"):
        read_data(path)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("-12d", date(2026, 1, 19)),
        ("+30d", date(2026, 3, 2)),
        ("+2w", date(2026, 2, 14)),
        ("+1m", date(2026, 2, 28)),  # the end of a shorter month
        ("-13m", date(2024, 12, 31)),
        ("+1y", date(2027, 1, 31)),
        ("today", date(2026, 1, 31)),
        (date(2025, 6, 30), date(2025, 6, 30)),
    ],
)
def test_dates_are_relative_to_the_day_of_seeding(written, expected):
    assert Demo(today=date(2026, 1, 31), password="").date(written) == expected


def test_a_date_that_is_not_one_says_how_to_write_it():
    with pytest.raises(DemoDataError, match="'12 days' is not a date: write -12d, "):
        Demo(today=date(2026, 1, 31), password="").date("12 days")


def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.exists()
