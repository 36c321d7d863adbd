"""The History tab tells the truth after every kind of write.

For every history-tracked model and each of its write paths (pages, API, imports, bulk updates,
Celery tasks, the admin) the walk below reads the record's real state (its fields, its
many-to-many links and the parts its History tab shows), makes the write, reads it again, and
checks that the entries the write added list exactly what changed: no more, no less. Each write is
made twice; a second write that changes nothing adds no entry. After each write the newest
snapshot of the record and of each of its parts equals the row as stored.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.forms import MultiWidget
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from objectives import tasks as objective_tasks
from objectives.choices import Source
from objectives.forms import KPIForm, ObjectiveForm, ThemeForm
from objectives.models import KPI, EffectivenessMeasure, Measurement
from objectives.periods import Period
from objectives.services import measurement_record
from processes.forms import ProcessForm
from processes.models import ProcessInput
from qms import services as qms_services
from qms.choices import ActionStatus, Role
from qms.forms import ActionForm
from qms.history import HIDDEN_FIELDS, format_value, record_history
from qms.models import Action
from qms.sso.services import sso_sign_in
from risks import services as risk_services
from risks.choices import Strategy
from risks.forms import RiskForm
from risks.models import Risk, RiskMatrix
from tests.api import api
from tests.factories import (
    ActionFactory,
    HandOffFactory,
    KPIFactory,
    ObjectiveFactory,
    OrgUnitFactory,
    ProcessFactory,
    RiskFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
# The last three closed months, newest first: values for them are never in the future.
P1 = Period.last_closed("monthly", timezone.localdate())
P2 = P1.previous()
P3 = P2.previous()


# Reading the real state and what the History tab says
# ------------------------------------------------------------------------------


def tracked(model: type[models.Model]) -> tuple[list[models.Field], list[models.ManyToManyField]]:
    history_model = model.history.model
    names = {f.name for f in history_model._meta.fields} - HIDDEN_FIELDS
    m2m = [f for f in getattr(history_model, "_history_m2m_fields", [])]
    return [f for f in model._meta.concrete_fields if f.name in names], m2m


def shown(record: models.Model, f: models.Field) -> str:
    """A field's value as a person reads it, taken from the live record."""
    if f.is_relation:
        related = getattr(record, f.name)
        return str(related) if related is not None else "—"
    if f.choices and getattr(record, f.attname) not in (None, ""):
        return str(getattr(record, f"get_{f.name}_display")())
    return format_value(getattr(record, f.attname))


def fields_state(record: models.Model, names=None, skip=()) -> dict[str, str]:
    fields, m2m = tracked(type(record))
    state = {f.name: shown(record, f) for f in fields if (names is None or f.name in names) and f.name not in skip}
    for f in m2m:
        if names is None or f.name in names:
            state[f.name] = ", ".join(sorted(str(x) for x in getattr(record, f.name).all())) or "—"
    return state


def part_children(record: models.Model, part) -> tuple[list[models.Model], tuple[str, ...]]:
    """The live records of one declared part of `record`, and the fields that link them to it."""
    if part.generic:
        model = Action if part.model == "qms.Action" else None
        link = model._meta.get_field(part.generic)
        content_type = ContentType.objects.get_for_model(record)
        children = model.objects.filter(**{link.ct_field: content_type, link.fk_field: record.pk})
        return list(children), (link.ct_field, link.fk_field)
    relation = type(record)._meta.get_field(part.related_name)
    return list(relation.related_model.objects.filter(**{relation.field.name: record})), (relation.field.name,)


def real_state(record: models.Model) -> dict:
    """The record as stored: its tracked fields and links under "", and each record of its parts
    under (the part's label, its note field, its pk)."""
    record = type(record)._base_manager.get(pk=record.pk)
    state = {"": fields_state(record)}
    for part in getattr(type(record), "history_parts", ()):
        children, link = part_children(record, part)
        listed = set(part.fields) | {part.note} if part.fields else None
        for child in children:
            label = str(part.label or child._meta.verbose_name)
            state[(label, part.note, child.pk)] = fields_state(child, names=listed, skip=link)
    return state


def expected_entries(before: dict, after: dict) -> Counter:
    """The entries a truthful History tab adds for the change from `before` to `after`."""
    expected = Counter()
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        label, note = (key[0], key[1]) if key else ("", "")
        if old is None:
            kind, changes = "+", {(n, "—", v) for n, v in new.items() if v != "—" and n != note}
        elif new is None:
            kind, changes = "-", {(n, v, "—") for n, v in old.items() if v != "—" and n != note}
        else:
            kind, changes = "~", {(n, old[n], new[n]) for n in old if old[n] != new[n]}
            if not changes:
                continue
            changes = {c for c in changes if c[0] != note}
        expected[(label, kind, frozenset(changes))] += 1
    return expected


def entries_as_written(entries) -> Counter:
    return Counter((e.part, e.kind, frozenset((c.name, c.old, c.new) for c in e.changes)) for e in entries)


def assert_snapshot_is_the_stored_row(record: models.Model) -> None:
    """The newest history row of `record` holds what the database holds, links included."""
    live = type(record)._base_manager.get(pk=record.pk)
    latest = record.history.order_by("-history_date", "-history_id").first()
    fields, m2m = tracked(type(record))
    assert {f.name: getattr(latest, f.attname) for f in fields} == {f.name: getattr(live, f.attname) for f in fields}
    for f in m2m:
        target = f.m2m_reverse_field_name()
        snapshot = {getattr(row, f"{target}_id") for row in getattr(latest, f.name).all()}
        assert snapshot == set(getattr(live, f.name).values_list("pk", flat=True)), f.name


# The cast and the ways to write
# ------------------------------------------------------------------------------


@pytest.fixture
def cast(quality, lead, owner, deputy, auditor):
    return SimpleNamespace(
        quality=quality,
        lead=lead,
        owner=owner,
        deputy=deputy,
        auditor=auditor,
        admin=UserFactory(username="admin", role=Role.QUALITY_MANAGER, is_staff=True, is_superuser=True),
        process=ProcessFactory(owner=owner, name="Machining"),
        other=ProcessFactory(name="Assembly"),
    )


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def form_data(form, changes: dict) -> dict:
    """What a browser sends for `form` as it is shown, with `changes` typed in."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(field.widget, MultiWidget):  # the admin's date and time, side by side
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = str(part)
        else:
            data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    data.update(changes)
    return data


def page_edit(form_class, user: str, **changes) -> Callable:
    def write(cast, record):
        record = type(record).objects.get(pk=record.pk)
        form = form_class(instance=record, user=getattr(cast, user))
        data = form_data(form, {k: v(cast) if callable(v) else v for k, v in changes.items()})
        response = client(getattr(cast, user)).post(record.get_edit_url(), data)
        assert response.status_code == 302, response.context["form"].errors if response.context else response

    return write


def api_patch(prefix: str, user: str, **changes) -> Callable:
    def write(cast, record):
        data = {k: v(cast) if callable(v) else v for k, v in changes.items()}
        response = api(getattr(cast, user)).patch(f"/api/{prefix}/{record.pk}/", data, format="json")
        assert response.status_code == 200, response.data

    return write


def admin_change(**changes) -> Callable:
    def write(cast, record):
        opts = record._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
        browser = client(cast.admin)
        form = browser.get(url).context["adminform"].form
        data = form_data(form, {k: v(cast) if callable(v) else v for k, v in changes.items()})
        response = browser.post(url, data | {"_save": "Save"})
        assert response.status_code == 302, response.context["adminform"].form.errors

    return write


def post(url_name: str, user: str, data: dict | Callable, *, api_url: str = "", allowed=(200, 201, 302, 400, 422)):
    """A POST to a page (url_name with the record's pk) or, with api_url, to the API."""

    def write(cast, record):
        body = data(cast) if callable(data) else data
        if api_url:
            response = api(getattr(cast, user)).post(api_url.format(pk=record.pk), body, format="json")
        else:
            response = client(getattr(cast, user)).post(reverse(url_name, args=[record.pk]), body)
        assert response.status_code in allowed

    return write


# Records to write to
# ------------------------------------------------------------------------------


def an_action(cast):
    return ActionFactory(owner=cast.owner, deputies=[cast.deputy], processes=[cast.process])


def a_done_action(cast):
    action = an_action(cast)
    return qms_services.action_move(action=action, user=cast.owner, status=ActionStatus.DONE)


def an_action_judged_by_a_kpi(cast):
    """Done three months ago; its KPI on target in the two months since, so the nightly run finds
    it effective."""
    action = a_done_action(cast)
    action.completed_on = P3.start + timedelta(days=9)
    action.save()
    kpi = KPIFactory(owner=cast.owner)
    for period in (P2, P1):
        measurement_record(kpi=kpi, period=period, value=D(97), user=cast.owner)
    EffectivenessMeasure.objects.create(action=action, kpi=kpi, periods=2)
    return action


def a_process(cast):
    cast.process.deputies.set([cast.deputy])
    return cast.process


def a_kpi(cast):
    return KPIFactory(owner=cast.owner, processes=[cast.process], objectives=[ObjectiveFactory()])


def a_kpi_with_a_value(cast):
    kpi = a_kpi(cast)
    measurement_record(kpi=kpi, period=P1, value=D("1.72"), user=cast.owner)
    return kpi


def a_kpi_off_target(cast):
    kpi = KPIFactory(owner=cast.owner, processes=[cast.process], raise_action_after=2)
    for period in (P3, P2, P1):
        measurement_record(kpi=kpi, period=period, value=D(50), user=cast.owner)
    return kpi


def a_calculated_kpi(cast):
    source = KPIFactory(owner=cast.owner)
    measurement_record(kpi=source, period=P1, value=D("0.86"), user=cast.owner)
    kpi = KPIFactory(owner=cast.owner, source=Source.FORMULA, formula=f"{source.reference} * 2")
    Measurement.objects.filter(kpi=kpi).delete()
    return kpi


def a_risk(cast):
    risk = RiskFactory(owner=cast.owner, processes=[cast.process], objectives=[ObjectiveFactory()])
    risk.deputies.set([cast.deputy])
    return risk


def a_risk_to_approve(cast):
    """Accepted at high (4 × 3 = 12), with deputies, processes and objectives."""
    risk = RiskFactory(
        owner=cast.owner,
        processes=[cast.process],
        objectives=[ObjectiveFactory()],
        residual_likelihood=4,
        residual_impact=3,
        strategy=Strategy.ACCEPT,
        acceptance_rationale="Second source costs more than the exposure.",
    )
    risk.deputies.set([cast.deputy])
    return risk


def an_accepted_risk(cast):
    """The same with Leadership's approval."""
    return risk_services.risk_approve_acceptance(risk=a_risk_to_approve(cast), user=cast.lead)


def a_theme(cast):
    theme = ThemeFactory(owner=cast.lead)
    theme.deputies.set([cast.deputy])
    return theme


def an_objective(cast):
    objective = ObjectiveFactory(owner=cast.lead, processes=[cast.process])
    objective.deputies.set([cast.deputy])
    return objective


def the_matrix(cast):
    an_accepted_risk(cast)
    return RiskMatrix.current()


# Writes that need more than one request
# ------------------------------------------------------------------------------


def matrix_toggle(cast, record):
    """Critical from 12 and back to 16: the round trip that once showed links as removed. The
    page shows the moves first; the second POST confirms them."""
    critical = 16 if RiskMatrix.current().band_thresholds["critical"] == 12 else 12
    data = {
        "likelihood_levels": "Rare\nUnlikely\nPossible\nLikely\nAlmost certain",
        "impact_levels": "Negligible\nMinor\nModerate\nMajor\nSevere",
        "benefit_levels": "Slight\nMinor\nModerate\nMajor\nExceptional",
        "medium_from": 5,
        "high_from": 10,
        "critical_from": critical,
    }
    browser = client(cast.quality)
    shown_first = browser.post(reverse("risks:matrix_edit"), data)
    assert shown_first.status_code == 200
    response = browser.post(reverse("risks:matrix_edit"), data | {"confirmed": shown_first.context["confirm_key"]})
    assert response.status_code == 302


def import_csv(cast, record):
    upload = SimpleUploadedFile(
        "values.csv", f"KPI,Period,Value,Comment\n{record.reference},{P1},1.65,Recount\n".encode(), "text/csv"
    )
    browser = client(cast.owner)
    preview = browser.post(reverse("objectives:measurement_import"), {"file": upload})
    assert preview.status_code == 200
    if preview.context["token"]:
        browser.post(reverse("objectives:measurement_import"), {"rows": preview.context["token"], "confirm": "1"})


def enter_value(value: str, comment: str = "") -> Callable:
    return post("objectives:measurement_enter", "owner", {"period": str(P1), "value": value, "comment": comment})


def api_value(cast, record):
    body = {"kpi": record.reference, "period": str(P1), "value": "1.72", "comment": "From the ERP"}
    assert api(cast.owner).post("/api/measurements/", body, format="json").status_code in (200, 201)


def api_bulk_values(cast, record):
    rows = [{"kpi": record.reference, "period": str(period), "value": "1.5"} for period in (P2, P1)]
    assert api(cast.owner).post("/api/measurements/bulk/", rows, format="json").status_code == 200


def nightly(cast, record):
    objective_tasks.recalculate_kpis.delay()


def add_input(cast, record):
    url = reverse("processes:process_part_add", args=[record.pk, "inputs"])
    client(cast.owner).post(url, {"name": "Customer order", "supplier": "Customers"})


def remove_input(cast, record):
    line = ProcessInput.objects.filter(process=record).first()
    if line is not None:
        client(cast.owner).post(reverse("processes:process_part_remove", args=[record.pk, "inputs", line.pk]))


def add_handoff_page(cast, record):
    url = reverse("processes:process_part_add", args=[record.pk, "handoffs"])
    client(cast.owner).post(url, {"direction": "to", "other": cast.other.pk, "item": "Machined parts"})


def handoff_api(cast, record):
    """Records a hand-off through the API, or removes it when it is there."""
    existing = record.handoffs_in.first()
    if existing is None:
        body = {"source": cast.other.pk, "target": record.pk, "item": "Drawings"}
        assert api(cast.owner).post("/api/hand-offs/", body, format="json").status_code == 201
    else:
        assert api(cast.owner).delete(f"/api/hand-offs/{existing.pk}/").status_code == 204


def a_process_with_an_input(cast):
    process = a_process(cast)
    ProcessInput.objects.create(process=process, name="Steel bar", supplier="Mill")
    HandOffFactory(source=cast.other, target=process, item="Drawings")
    return process


def raise_treatment(cast, record):
    content_type = ContentType.objects.get_for_model(record)
    url = reverse("qms:action_add") + f"?source_type={content_type.pk}&source_id={record.pk}"
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = {"title": "Second supplier", "kind": "preventive", "owner": cast.owner.pk, "due_date": due}
    assert client(cast.owner).post(url, data | {"processes": [cast.process.pk]}).status_code == 302


def review(cast):
    return {"likelihood": 2, "impact": 3, "note": "Checked at the line", "next_review_date": "2027-02-01"}


def set_effectiveness_measure(cast, record):
    action = an_action(cast)
    url = reverse("objectives:effectiveness_measure_set", args=[record.pk])
    client(cast.owner).post(url, {"action": action.pk, "periods": 3})


def hand_over(who: str) -> Callable:
    """A quality manager hands `who`'s records and deputy roles over to the auditor."""

    def write(cast, record):
        data = {"to": cast.auditor.pk, "reason": "Moved to Leeds", "deputies": "on", "confirmed": "True"}
        response = client(cast.quality).post(reverse("qms:user_hand_over", args=[getattr(cast, who).pk]), data)
        assert response.status_code == 302

    return write


def person_edit(**changes) -> Callable:
    def write(cast, record):
        data = {"first_name": record.first_name, "last_name": record.last_name, "email": record.email}
        data |= {"job_title": record.job_title, "role": record.role, "org_unit": record.org_unit_id or ""}
        response = client(cast.quality).post(reverse("qms:user_edit", args=[record.pk]), data | changes)
        assert response.status_code == 302, response.context["form"].errors

    return write


def single_sign_on(**claims) -> Callable:
    """The person signs in through the identity provider, which has their e-mail verified."""

    def write(cast, record):
        with override_settings(OIDC_ROLE_MAP=[("qms-audit", Role.AUDITOR)]):
            sso_sign_in(claims={"sub": f"sub-{record.pk}", "email": record.email, "email_verified": True, **claims})

    return write


# The walk
# ------------------------------------------------------------------------------


@dataclass
class WritePath:
    name: str
    make: Callable  # the record whose History tab should show the write
    write: Callable  # makes the write
    changes_nothing_tracked: bool = False  # its first run changes nothing the history keeps either


PATHS = [
    # Actions
    WritePath("action: page edit", an_action, page_edit(
        ActionForm, "owner", title="Replace the seal", deputies=lambda c: [c.auditor.pk],
        processes=lambda c: [c.process.pk, c.other.pk], change_note="Agreed on the line")),
    WritePath("action: API update", an_action, api_patch(
        "actions", "owner", title="Replace the seal", deputies=lambda c: [], processes=lambda c: [c.other.pk])),
    WritePath("action: page status", an_action, post("qms:action_move", "owner", {"status": "in_progress"})),
    WritePath("action: API status", an_action, post(
        "", "owner", {"status": "done"}, api_url="/api/actions/{pk}/status/")),
    WritePath("action: page effectiveness check", a_done_action, post(
        "qms:action_effectiveness", "auditor", {"effective": "yes", "note": "No leaks for 3 months"})),
    WritePath("action: API effectiveness check", a_done_action, post(
        "", "auditor", {"effective": False, "note": "Leaked again"}, api_url="/api/actions/{pk}/effectiveness/")),
    WritePath("action: nightly check by its KPI", an_action_judged_by_a_kpi, nightly),
    WritePath("action: admin", an_action, admin_change(
        title="Replace the seal", deputies=lambda c: [c.auditor.pk], processes=lambda c: [])),
    # Processes and their turtle
    WritePath("process: page edit", a_process, page_edit(
        ProcessForm, "quality", name="Machining and turning", deputies=lambda c: [c.auditor.pk])),
    WritePath("process: API update", a_process, api_patch("processes", "owner", purpose="Parts to drawing")),
    WritePath("process: admin", a_process, admin_change(purpose="Parts to drawing", deputies=lambda c: [])),
    WritePath("process: input added", a_process, add_input),
    WritePath("process: input removed", a_process_with_an_input, remove_input),
    WritePath("process: hand-off added on the page", a_process, add_handoff_page),
    WritePath("process: hand-off through the API", a_process_with_an_input, handoff_api),
    # Themes and objectives
    WritePath("theme: page edit", a_theme, page_edit(ThemeForm, "lead", title="Delight customers", deputies=[])),
    WritePath("theme: API update", a_theme, api_patch("themes", "lead", order=3, deputies=lambda c: [c.owner.pk])),
    WritePath("objective: page edit", an_objective, page_edit(
        ObjectiveForm, "lead", title="Halve scrap", processes=lambda c: [c.other.pk])),
    WritePath("objective: API update", an_objective, api_patch("objectives", "lead", evaluation="Monthly")),
    # KPIs and their values
    WritePath("KPI: page edit", a_kpi, page_edit(
        KPIForm, "owner", target="97.5", deputies=lambda c: [c.deputy.pk], processes=lambda c: [c.other.pk])),
    WritePath("KPI: API update", a_kpi, api_patch("kpis", "owner", warning="92.25", objectives=lambda c: [])),
    WritePath("KPI: value on the page", a_kpi, enter_value("1.72")),
    WritePath("KPI: value corrected on the page", a_kpi_with_a_value, enter_value("1.65", "Recount after audit")),
    WritePath("KPI: value through the API", a_kpi, api_value),
    WritePath("KPI: values in bulk through the API", a_kpi, api_bulk_values),
    WritePath("KPI: values imported from CSV", a_kpi, import_csv),
    WritePath("KPI: nightly status refresh", a_kpi_off_target, nightly),
    WritePath("KPI: nightly calculation", a_calculated_kpi, nightly),
    WritePath("KPI: effectiveness measure set", a_kpi, set_effectiveness_measure),
    # Risks
    WritePath("risk: page edit", a_risk, page_edit(
        RiskForm, "owner", title="Coolant leak", residual_likelihood="2", objectives=lambda c: [],
        deputies=lambda c: [c.deputy.pk, c.auditor.pk])),
    WritePath("risk: API update", a_risk, api_patch("risks", "owner", controls="Daily check", processes=lambda c: [])),
    WritePath("risk: review on the page", a_risk, post("risks:risk_review", "owner", review)),
    WritePath("risk: review through the API", a_risk, post(
        "", "owner", review, api_url="/api/risks/{pk}/reviews/")),
    WritePath("risk: acceptance approved on the page", a_risk_to_approve, post("risks:risk_approve", "lead", {})),
    WritePath("risk: acceptance approved through the API", a_risk_to_approve, post(
        "", "lead", {}, api_url="/api/risks/{pk}/approve/")),
    WritePath("risk: treatment raised", a_risk, raise_treatment),
    WritePath("risk: matrix changed and changed back", an_accepted_risk, matrix_toggle),
    WritePath("risk matrix: page", the_matrix, matrix_toggle),
    # Hand-over of a person's records
    WritePath("action: hand-over of its owner", an_action, hand_over("owner")),
    WritePath("action: hand-over of its deputy", an_action, hand_over("deputy")),
    WritePath("process: hand-over of its deputy", a_process, hand_over("deputy")),
    WritePath("theme: hand-over of its owner", a_theme, hand_over("lead")),
    WritePath("objective: hand-over of its deputy", an_objective, hand_over("deputy")),
    WritePath("KPI: hand-over of its owner", a_kpi, hand_over("owner")),
    WritePath("risk: hand-over of its deputy", a_risk, hand_over("deputy")),
    # People
    WritePath("person: admin", lambda cast: cast.deputy, admin_change(job_title="Setter")),
    WritePath("person: page edit", lambda cast: cast.deputy, person_edit(role="auditor", change_note="Trained")),
    WritePath("person: deactivated", lambda cast: cast.deputy, post("qms:user_deactivate", "quality", {})),
    WritePath("person: single sign-on", lambda cast: cast.deputy, single_sign_on(
        given_name="Ada", groups=["qms-audit"])),
    WritePath("unit: admin", lambda cast: OrgUnitFactory(), admin_change(name="Toolroom")),
]  # fmt: skip


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_history_lists_exactly_what_each_write_changed(path, cast):
    record = path.make(cast)
    for run in (1, 2):
        before, entries_before = real_state(record), record_history(record)
        path.write(cast, record)
        after, entries_after = real_state(record), record_history(record)

        expected = expected_entries(before, after)
        if run == 1 and not path.changes_nothing_tracked:
            assert expected, "the write changed nothing: the walk would prove nothing"
        added = entries_after[: len(entries_after) - len(entries_before)]
        assert entries_as_written(added) == expected, f"run {run}"
        assert_snapshot_is_the_stored_row(record)


CREATE_PATHS = {
    "action: page": lambda cast: client(cast.owner).post(
        reverse("qms:action_add"),
        {"title": "New", "kind": "corrective", "owner": cast.owner.pk, "deputies": [cast.deputy.pk],
         "processes": [cast.process.pk], "due_date": (timezone.localdate() + timedelta(days=9)).isoformat()},
    ),
    "action: API": lambda cast: api(cast.owner).post(
        "/api/actions/",
        {"title": "New", "kind": "corrective", "owner": cast.owner.pk, "deputies": [cast.deputy.pk],
         "processes": [cast.process.pk], "due_date": (timezone.localdate() + timedelta(days=9)).isoformat()},
        format="json",
    ),
    "risk: API": lambda cast: api(cast.owner).post(
        "/api/risks/",
        {"title": "New", "category": "product", "owner": cast.owner.pk, "deputies": [cast.deputy.pk],
         "processes": [cast.process.pk], "objectives": [ObjectiveFactory().pk]},
        format="json",
    ),
    "KPI: API": lambda cast: api(cast.owner).post(
        "/api/kpis/",
        {"name": "New", "owner": cast.owner.pk, "target": "95", "deputies": [cast.deputy.pk],
         "processes": [cast.process.pk]},
        format="json",
    ),
    "action: raised by the nightly run": lambda cast: (a_kpi_off_target(cast), nightly(cast, None)),
}  # fmt: skip


@pytest.mark.parametrize("create", CREATE_PATHS.values(), ids=CREATE_PATHS.keys())
def test_a_record_created_with_its_links_has_one_entry_and_a_full_snapshot(create, cast):
    models_ = (Action, Risk, KPI)
    known = {model: set(model.objects.values_list("pk", flat=True)) for model in models_}

    create(cast)

    created = [r for model in models_ for r in model.objects.exclude(pk__in=known[model])]
    assert created, "nothing was created"
    for record in created:
        assert [e.kind for e in record_history(record) if not e.part] == ["+"]
        assert_snapshot_is_the_stored_row(record)
