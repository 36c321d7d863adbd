"""A record's page address is reversed once and filled in after (qms.models.records.detail_url):
it must be exactly what Django's reverse() gives, for every kind of record and behind a prefix."""

import pytest
from django.urls import reverse, set_script_prefix

from audits.models import Finding
from objectives.models import Measurement
from qms.hub import record_kinds
from qms.models import detail_url
from qms.templatetags.qms import fixed_url
from reviews.pack import link


@pytest.fixture
def prefixed():
    set_script_prefix("/qms/")
    yield
    set_script_prefix("/")


@pytest.mark.parametrize("pk", [1, 7, 987654321, 2**40])
def test_every_record_page_address_is_what_reverse_gives(pk):
    kinds = record_kinds()
    assert len(kinds) > 10
    for kind in kinds:
        record = kind.model(pk=pk)
        assert record.get_absolute_url() == reverse(kind.model.url_name("detail"), args=[pk])


def test_findings_and_the_review_pack_link_the_same_way(prefixed):
    finding = Finding(pk=5)
    assert finding.get_absolute_url() == reverse("audits:finding_detail", args=[5])
    assert finding.get_absolute_url().startswith("/qms/") and link(finding) == finding.get_absolute_url()


def test_behind_a_script_prefix(prefixed):
    for kind in record_kinds():
        record = kind.model(pk=42)
        assert record.get_absolute_url() == reverse(kind.model.url_name("detail"), args=[42])
        assert record.get_absolute_url().startswith("/qms/")


@pytest.mark.parametrize("kpi_pk, pk", [(3, 7), (7, 3), (987654321, 987654322), (987654322, 987654321)])
def test_an_address_of_two_ids_fills_each_in_its_place(kpi_pk, pk, prefixed):
    measurement = Measurement(pk=pk, kpi_id=kpi_pk)
    assert measurement.get_edit_url() == reverse("objectives:measurement_edit", args=[kpi_pk, pk])


def test_the_layout_links_are_what_reverse_gives(prefixed):
    for name in ("qms:dashboard", "processes:process_list", "logout", "api-docs", "admin:index"):
        assert fixed_url(name) == reverse(name)
    assert fixed_url("qms:user_detail", 42) == reverse("qms:user_detail", args=[42]) == "/qms/people/42/"


@pytest.mark.parametrize("part", ["inputs", "handoffs_out", "resources"])
def test_a_slug_in_the_address_is_filled_in_as_reverse_gives(part):
    assert detail_url("processes:process_part_remove", 3, part, 12) == reverse(
        "processes:process_part_remove", args=[3, part, 12]
    )


@pytest.mark.parametrize("part", ["../admin", "a b", "x/y", "{0}", "-1", "7", "\u0661\u0662"])
def test_what_is_not_a_slug_is_refused(part):
    with pytest.raises(ValueError, match="not a slug"):
        detail_url("processes:process_part_remove", 3, part, 12)
