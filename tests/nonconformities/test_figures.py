"""A mistake in the nonconformities' demo data, and the complaint figures a KPI can take."""

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from nonconformities.choices import Origin
from nonconformities.selectors import complaint_figures
from objectives.choices import Frequency
from objectives.periods import Period
from qms.models import User
from tests.factories import NonconformityFactory

pytestmark = pytest.mark.django_db


def test_a_mistake_in_the_data_names_the_entry(settings, monkeypatch):
    from qms import demo_loader

    settings.DEBUG = True
    read = demo_loader.read_data

    def edited(path):
        data = read(path)
        if path.parent.name == "nonconformities":
            data["nonconformities"][0]["status"] = "analysed"  # never contained: the gate holds
        return data

    monkeypatch.setattr(demo_loader, "read_data", edited)
    with pytest.raises(CommandError, match="nonconformities 1 .*Coolant.*Say how it was contained"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_complaint_figures_per_period_count_and_average_response(owner):
    def complaint(received: date, answered: date | None):
        NonconformityFactory(
            origin=Origin.CUSTOMER_COMPLAINT, party="Arden", received_on=received, responded_on=answered,
            detected_on=received,
        )  # fmt: skip

    complaint(date(2026, 3, 2), date(2026, 3, 4))
    complaint(date(2026, 3, 30), date(2026, 4, 9))
    complaint(date(2026, 3, 31), None)
    complaint(date(2026, 5, 15), date(2026, 5, 16))
    NonconformityFactory(origin=Origin.PROCESS, detected_on=date(2026, 3, 3))  # not a complaint

    figures = complaint_figures(Frequency.MONTHLY, Period(Frequency.MONTHLY, date(2026, 2, 1)),
                                Period(Frequency.MONTHLY, date(2026, 5, 1)))  # fmt: skip
    quarters = complaint_figures(Frequency.QUARTERLY, Period(Frequency.QUARTERLY, date(2026, 1, 1)),
                                 Period(Frequency.QUARTERLY, date(2026, 4, 1)))  # fmt: skip

    assert [(str(f.period), f.received, f.answered, f.average_response_days) for f in figures] == [
        ("2026-02", 0, 0, None), ("2026-03", 3, 2, 6.0), ("2026-04", 0, 0, None), ("2026-05", 1, 1, 1.0),
    ]  # fmt: skip
    assert [(f.received, f.average_response_days) for f in quarters] == [(3, 6.0), (1, 1.0)]
    assert complaint_figures(Frequency.MONTHLY, Period.containing(Frequency.MONTHLY, date.today() - timedelta(days=40)))
