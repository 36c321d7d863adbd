"""People administered in the product: invite, change, deactivate (never delete), what a person
holds, and handing it all over in one step."""

import re

import factory
import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from qms import services
from qms.choices import ActionStatus, Role
from qms.forms import ActionForm
from qms.history import record_history
from qms.hub import record_kinds
from qms.models import Action, ApiToken, OutboxMessage, User
from qms.selectors import person_holdings
from risks.choices import RiskStatus
from tests import factories
from tests.api import api
from tests.factories import ActionFactory, KPIFactory, OrgUnitFactory, RiskFactory, UserFactory
from tests.mail import DOWN
from tests.qms.test_history_truth import assert_snapshot_is_the_stored_row

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["user_edit", "user_deactivate", "user_hand_over"]


def url(name: str, person: User) -> str:
    return reverse(f"qms:{name}", args=[person.pk])


def signs_in(username: str, password: str) -> bool:
    """Through the sign-in form, as a person does (django-axes watches it)."""
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def invite_data(**changes) -> dict:
    data = {
        "username": "nina",
        "first_name": "Nina",
        "last_name": "Kowalski",
        "email": "nina@example.com",
        "job_title": "CNC Team Leader",
        "role": Role.CONTRIBUTOR,
        "org_unit": OrgUnitFactory(name="Machining").pk,
    }
    return data | changes


def edit_data(person: User, **changes) -> dict:
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "job_title": person.job_title,
        "role": person.role,
        "org_unit": person.org_unit_id or "",
    }
    return data | changes


# Who may
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead", "owner", "auditor", "viewer"])
def test_only_quality_managers_administer_people(request, client_for, quality, deputy, who):
    client = client_for(request.getfixturevalue(who))

    page = client.get(url("user_detail", deputy))
    assert page.status_code == 200
    assert url("user_edit", deputy) not in page.text
    assert reverse("qms:user_invite") not in client.get(reverse("qms:user_list")).text
    assert client.get(reverse("qms:user_invite")).status_code == 403
    assert client.post(reverse("qms:user_invite"), invite_data()).status_code == 403
    for name in [*ADMIN_PAGES, "user_reactivate", "user_history"]:
        assert client.get(url(name, deputy)).status_code == 403, name
    assert client.post(url("user_edit", deputy), edit_data(deputy, role=Role.QUALITY_MANAGER)).status_code == 403
    assert client.post(url("user_deactivate", deputy)).status_code == 403

    deputy.refresh_from_db()
    assert deputy.role == Role.CONTRIBUTOR and deputy.is_active
    assert not User.objects.filter(username="nina").exists()


def test_quality_manager_sees_the_controls(client_for, quality, deputy):
    client = client_for(quality)
    assert url("user_hand_over", deputy) not in client.get(url("user_detail", deputy)).text  # holds nothing yet
    ActionFactory(owner=deputy)
    assert reverse("qms:user_invite") in client.get(reverse("qms:user_list")).text
    page = client.get(url("user_detail", deputy)).text
    for name in ADMIN_PAGES:
        assert url(name, deputy) in page
        assert client.get(url(name, deputy)).status_code == 200


@pytest.mark.parametrize("admin", [{"is_superuser": True, "is_staff": True}, {"is_staff": True}])
def test_an_account_that_signs_in_to_the_admin_is_changed_only_by_a_superuser(client_for, quality, admin):
    """A quality manager who could change its e-mail address could reset its password and take it over."""
    root = UserFactory(username="root", **admin)
    client = client_for(quality)

    assert url("user_edit", root) not in client.get(url("user_detail", root)).text
    assert client.post(url("user_edit", root), edit_data(root, email="quality@example.com")).status_code == 403
    assert client.post(url("user_deactivate", root)).status_code == 403
    root.refresh_from_db()
    assert root.email == "root@example.com" and root.is_active


# Invite
# ------------------------------------------------------------------------------


def test_invited_person_chooses_a_password_from_the_mail_and_signs_in(client, client_for, quality):
    response = client_for(quality).post(reverse("qms:user_invite"), invite_data())

    nina = User.objects.get(username="nina")
    assert response.status_code == 302 and response.url == url("user_detail", nina)
    assert not nina.has_usable_password()
    assert (nina.role, nina.job_title, str(nina.org_unit)) == (Role.CONTRIBUTOR, "CNC Team Leader", "Machining")
    created = nina.history.get()
    assert (created.history_type, created.history_user) == ("+", quality)

    (invite,) = mail.outbox
    assert invite.to == ["nina@example.com"]
    assert "nina" in invite.body and str(quality) in invite.body
    link = re.search(r"http://testserver(/accounts/reset/\S+)", invite.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "a long new pass", "new_password2": "a long new pass"}
    )
    assert done.status_code == 302
    assert signs_in("nina", "a long new pass")
    assert client.get(link, follow=True).context["validlink"] is False  # the link works once


@pytest.fixture(autouse=True)
def _links_in_mails_point_at_the_test_server(settings):
    settings.SITE_URL = "http://testserver"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "Owner@Example.COM"}, "email", "Someone else already has this e-mail address."),
        ({"username": "OWNER"}, "username", "This username is taken."),
        ({"email": ""}, "email", "This field is required."),
    ],
)
def test_invite_refuses_what_is_taken_or_missing_and_keeps_the_input(
    client_for, quality, owner, changes, field, message
):
    response = client_for(quality).post(reverse("qms:user_invite"), invite_data(**changes))

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert response.context["form"]["last_name"].value() == "Kowalski"
    assert not User.objects.filter(last_name="Kowalski").exists()
    assert mail.outbox == []


def test_the_database_refuses_an_address_in_other_capitals(owner):
    with pytest.raises(IntegrityError):
        UserFactory(username="twin", email="OWNER@example.com")


def test_an_invite_the_mail_server_refused_waits_in_the_outbox_and_can_be_sent_again(client_for, quality, settings):
    settings.EMAIL_BACKEND = DOWN
    client = client_for(quality)
    response = client.post(reverse("qms:user_invite"), invite_data(), follow=True)

    assert response.status_code == 200
    nina = User.objects.get(username="nina")
    assert url("user_invite_again", nina) in response.text
    (waiting,) = OutboxMessage.objects.failed()
    assert waiting.to == ["nina@example.com"] and waiting.kind == "invite"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.get(url("user_invite_again", nina)).status_code == 200
    sent = client.post(url("user_invite_again", nina), follow=True)
    assert "Invited Nina Kowalski" in sent.text
    assert [m.to for m in mail.outbox] == [["nina@example.com"]]


def test_no_invite_is_sent_to_someone_who_has_a_password(client_for, quality, owner):
    response = client_for(quality).post(url("user_invite_again", owner), follow=True)

    assert "has no invite waiting" in response.text
    assert mail.outbox == []


# Change
# ------------------------------------------------------------------------------


def test_a_role_change_is_in_history_with_who_made_it_and_why(client_for, quality, owner):
    client = client_for(quality)
    data = edit_data(owner, role=Role.LEADERSHIP, job_title="Operations Director", change_note="Promoted")
    response = client.post(url("user_edit", owner), data)

    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.role, owner.job_title) == (Role.LEADERSHIP, "Operations Director")
    (entry, *_older) = record_history(owner)
    assert (entry.user, entry.reason) == (quality, "Promoted")
    assert {(c.name, c.old, c.new) for c in entry.changes} == {
        ("role", "Process owner", "Leadership"),
        ("job_title", "—", "Operations Director"),
    }
    assert "Promoted" in client.get(url("user_history", owner)).text


def test_edit_refuses_an_address_someone_else_has(client_for, quality, owner, deputy):
    response = client_for(quality).post(url("user_edit", owner), edit_data(owner, email=deputy.email.upper()))

    assert response.status_code == 422
    assert response.context["form"].errors["email"] == ["Someone else already has this e-mail address."]
    assert response.context["person"].email == owner.email  # the heading keeps the stored person


def test_a_quality_manager_cannot_give_up_their_own_role(client_for, quality):
    UserFactory(username="second", role=Role.QUALITY_MANAGER)
    response = client_for(quality).post(url("user_edit", quality), edit_data(quality, role=Role.VIEWER))

    assert response.status_code == 422
    assert "cannot give up your own quality manager role" in response.context["form"].errors["role"][0]
    quality.refresh_from_db()
    assert quality.role == Role.QUALITY_MANAGER


def test_the_last_active_quality_manager_stays_one(client_for, quality):
    root = UserFactory(username="root", is_superuser=True, role=Role.CONTRIBUTOR)
    client = client_for(root)

    response = client.post(url("user_edit", quality), edit_data(quality, role=Role.VIEWER))
    assert response.status_code == 422
    assert "last active quality manager" in response.context["form"].errors["role"][0]
    refused = client.post(url("user_deactivate", quality))
    assert refused.status_code == 422 and "last active quality manager" in refused.text
    quality.refresh_from_db()
    assert quality.role == Role.QUALITY_MANAGER and quality.is_active

    UserFactory(username="second", role=Role.QUALITY_MANAGER)
    assert client.post(url("user_edit", quality), edit_data(quality, role=Role.VIEWER)).status_code == 302


# Deactivate
# ------------------------------------------------------------------------------


def test_deactivation_asks_first_showing_what_they_hold_and_offering_a_hand_over(client_for, quality, owner, deputy):
    ActionFactory(owner=owner)
    ActionFactory(owner=owner, status=ActionStatus.CANCELLED)
    RiskFactory(owner=deputy).deputies.add(owner)

    page = client_for(quality).get(url("user_deactivate", owner), headers={"HX-Request": "true"})

    assert page.status_code == 200
    assert "still holds 2 open records" in page.text
    assert ("Actions", "owns 2 (1 open)") in page.context["confirm"].details
    assert ("Risks and opportunities", "deputy on 1 (1 open)") in page.context["confirm"].details
    assert f'hx-get="{url("user_hand_over", owner)}"' in page.text
    assert owner.is_active


def test_deactivating_signs_them_out_hides_them_from_pickers_and_keeps_their_records(
    client, client_for, quality, owner, django_capture_on_commit_callbacks
):
    action = ActionFactory(owner=owner)
    client.force_login(owner)
    token, _key = ApiToken.issue(user=owner, name="Export")
    token.save()
    other_session = client_for(quality)

    assert other_session.get(url("user_deactivate", owner)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = other_session.post(url("user_deactivate", owner), {"reason": "Left the company"})

    assert response.status_code == 302
    owner.refresh_from_db()
    assert not owner.is_active
    assert record_history(owner)[0].reason == "Left the company"
    assert not [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(owner.pk)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(reverse("qms:my_work")).status_code == 302  # signed out
    assert other_session.get(reverse("qms:my_work")).status_code == 200  # the quality manager is not

    form = ActionForm(user=quality)  # a new action
    assert owner not in form.fields["owner"].queryset and owner not in form.fields["deputies"].queryset
    action.refresh_from_db()
    assert action.owner == owner
    assert str(owner) in other_session.get(action.get_absolute_url()).text


def test_people_deactivated_since_stay_on_a_record_edited_on_the_page_or_through_the_api(client_for, quality, owner):
    leaver, gone = UserFactory(username="leaver"), UserFactory(username="gone")
    action = ActionFactory(owner=owner, deputies=[owner, leaver])
    User.objects.filter(pk__in=[owner.pk, leaver.pk, gone.pk]).update(is_active=False)

    form = ActionForm(instance=action, user=quality)
    assert set(form.fields["owner"].queryset.filter(is_active=False)) == {owner}
    assert set(form.fields["deputies"].queryset.filter(is_active=False)) == {owner, leaver}
    data = {name: form[name].value() for name in ("kind", "description", "owner", "deputies", "processes")}
    data |= {
        "title": "Renamed on the page",
        "due_date": action.due_date.isoformat(),
        "version": form["version"].value(),
    }
    response = client_for(quality).post(action.get_edit_url(), data)
    assert response.status_code == 302, response.context["form"].errors
    assert (action.owner, set(action.deputies.all())) == (owner, {owner, leaver})

    body = api(quality).get(f"/api/actions/{action.pk}/").data
    sent_back = api(quality).put(
        f"/api/actions/{action.pk}/", body | {"title": "Renamed through the API"}, format="json"
    )
    assert sent_back.status_code == 200, sent_back.data
    assert sent_back.data["owner"] == owner.pk and set(sent_back.data["deputies"]) == {owner.pk, leaver.pk}

    # No one deactivated is newly chosen.
    added = api(quality).patch(f"/api/actions/{action.pk}/", {"deputies": [leaver.pk, gone.pk]}, format="json")
    assert added.status_code == 400 and "deputies" in added.data
    data["deputies"] = [leaver.pk, gone.pk]
    data["version"] = ActionForm(instance=Action.objects.get(pk=action.pk), user=quality)["version"].value()
    assert client_for(quality).post(action.get_edit_url(), data).status_code == 422


def test_people_list_hides_deactivated_people_unless_asked(client_for, quality, owner):
    owner.is_active = False
    owner.save()
    client = client_for(quality)

    assert owner not in client.get(reverse("qms:user_list")).context["object_list"]
    assert list(client.get(reverse("qms:user_list"), {"status": "deactivated"}).context["object_list"]) == [owner]
    assert owner in client.get(reverse("qms:user_list"), {"status": "all"}).context["object_list"]


def test_nobody_deactivates_themselves(client_for, quality):
    UserFactory(username="second", role=Role.QUALITY_MANAGER)
    client = client_for(quality)

    assert url("user_deactivate", quality) not in client.get(url("user_detail", quality)).text
    response = client.post(url("user_deactivate", quality))
    assert response.status_code == 422 and "You cannot deactivate yourself." in response.text
    quality.refresh_from_db()
    assert quality.is_active


def test_a_deactivated_person_is_reactivated(client, client_for, quality, owner):
    client_for(quality).post(url("user_deactivate", owner))
    page = client_for(quality).get(url("user_detail", owner)).text
    assert "Deactivated" in page and url("user_reactivate", owner) in page

    assert client_for(quality).post(url("user_reactivate", owner), {"reason": "Back from leave"}).status_code == 302
    owner.refresh_from_db()
    assert owner.is_active
    assert signs_in("owner", "correct-horse-battery")


# What a person holds
# ------------------------------------------------------------------------------


def factory_for(model):
    """The factory in tests/factories.py that makes `model`: every kind of record needs one."""
    found = [
        f
        for f in vars(factories).values()
        if isinstance(f, type) and issubclass(f, factory.django.DjangoModelFactory) and f._meta.model is model
    ]
    assert found, f"tests/factories.py has no factory for {model.__name__}: add one so people tests cover it"
    return found[0]


def hold_of_every_kind(person: User, n: int, others: list[User]) -> dict:
    """`n` records of every kind owned by `person` with `others` as deputies, and `n` owned by the
    first of `others` with `person` as deputy."""
    made = {}
    for kind in record_kinds():
        make = factory_for(kind.model)
        owned = make.create_batch(n, owner=person)
        deputised = make.create_batch(n, owner=others[0])
        for record in owned:
            record.deputies.set(others)
            assert kind.model.objects.filter(kind.open_when, pk=record.pk).exists(), "made open"
        for record in deputised:
            record.deputies.set([person])
        made[kind.model] = (owned, deputised)
    return made


def test_person_page_lists_what_they_hold_of_every_kind_open_first(client_for, viewer, owner, deputy):
    made = hold_of_every_kind(owner, 2, [deputy])
    closed = ActionFactory(owner=owner, status=ActionStatus.CANCELLED)  # the newest, yet listed after the open ones

    holdings = {h.kind.model: h for h in client_for(viewer).get(url("user_detail", owner)).context["holdings"]}

    assert list(holdings) == [kind.model for kind in record_kinds()]
    for model, (owned, deputised) in made.items():
        holding = holdings[model]
        assert (holding.owned, holding.deputised) == (len(owned) + (model is Action), len(deputised))
        assert {r.pk for r in holding.deputised_rows} == {r.pk for r in deputised}
    actions = holdings[Action]
    assert (actions.owned_open, [r.held_open for r in actions.owned_rows]) == (2, [True, True, False])
    assert actions.owned_rows[-1].pk == closed.pk


def test_person_page_with_nothing_held_says_so(client_for, viewer, owner):
    page = client_for(viewer).get(url("user_detail", owner))
    assert "owns no records and is deputy on none" in page.text


def test_person_page_costs_the_same_queries_whatever_they_hold(
    client_for, quality, owner, deputy, django_assert_max_num_queries
):
    client = client_for(quality)
    ActionFactory(owner=owner)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url("user_detail", owner)).status_code == 200

    hold_of_every_kind(owner, 15, [deputy, quality])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url("user_detail", owner))
    assert "and 10 more" in page.text


# Hand-over
# ------------------------------------------------------------------------------


def test_hand_over_moves_every_kind_of_record_in_one_step_with_truthful_history(
    client_for, quality, owner, deputy, lead
):
    made = hold_of_every_kind(owner, 2, [deputy, lead])
    before = {
        record: len(record_history(record)) for owned, deputised in made.values() for record in (*owned, *deputised)
    }
    choice = {"to": lead.pk, "only_open": "on", "deputies": "on", "reason": "Marco moves to the Leeds plant"}
    client = client_for(quality)

    preview = client.post(url("user_hand_over", owner), choice)
    total = sum(len(owned) + len(deputised) for owned, deputised in made.values())
    assert f"{total} records move from {owner} to {lead}" in preview.text
    assert not Action.objects.filter(owner=lead).exists()  # nothing changes before the confirmation

    assert client.post(url("user_hand_over", owner), choice | {"confirmed": "True"}).status_code == 302

    for model, (owned, deputised) in made.items():
        for record in owned:
            record.refresh_from_db()
            assert record.owner == lead, model
            (entry, *_older) = record_history(record)
            assert len(record_history(record)) == before[record] + 1, model
            assert (entry.user, entry.reason) == (quality, "Marco moves to the Leeds plant")
            assert [(c.name, c.old, c.new) for c in entry.changes] == [("owner", str(owner), str(lead))], model
            assert set(record.deputies.all()) == {deputy, lead}, model
            assert_snapshot_is_the_stored_row(record)
        for record in deputised:
            assert set(record.deputies.all()) == {lead}, model
            (entry, *_older) = record_history(record)
            assert len(record_history(record)) == before[record] + 1, model
            assert (entry.user, entry.reason) == (quality, "Marco moves to the Leeds plant")
            assert [(c.name, c.old, c.new) for c in entry.changes] == [("deputies", str(owner), str(lead))], model
            assert_snapshot_is_the_stored_row(record)
    assert not person_holdings(owner)


def test_hand_over_of_open_records_leaves_the_closed_ones_and_deputy_roles_when_asked(quality, owner, deputy, lead):
    open_risk, closed_risk = RiskFactory(owner=owner), RiskFactory(owner=owner, status=RiskStatus.CLOSED)
    kept_deputy_role = KPIFactory(owner=deputy)
    kept_deputy_role.deputies.add(owner)

    changed = services.records_hand_over(person=owner, to=lead, user=quality, reason="Reorganised", only_open=True)

    assert changed == {"Risks and opportunities": 1}
    assert [r.owner for r in (open_risk, closed_risk) if not r.refresh_from_db()] == [lead, owner]
    assert list(kept_deputy_role.deputies.all()) == [owner]


@pytest.mark.parametrize(
    ("target", "message"),
    [("owner", "Choose someone other than"), ("gone", "is deactivated: choose an active person")],
)
def test_hand_over_goes_to_another_active_person(quality, owner, target, message):
    people = {"owner": owner, "gone": UserFactory(username="gone", is_active=False)}
    ActionFactory(owner=owner)

    with pytest.raises(ValidationError, match=message):
        services.records_hand_over(person=owner, to=people[target], user=quality, reason="Left")
    assert Action.objects.get().owner == owner


def test_hand_over_page_refuses_a_missing_reason_and_an_empty_choice(client_for, quality, owner, lead):
    client = client_for(quality)
    missing = client.post(url("user_hand_over", owner), {"to": lead.pk, "confirmed": "True"})
    assert missing.status_code == 422 and missing.context["confirm"].form.errors["reason"]

    nothing = client.post(url("user_hand_over", owner), {"to": lead.pk, "reason": "Left"})
    assert nothing.status_code == 422 and "no record moves" in nothing.text


def test_hand_over_choices_can_be_changed_before_confirming(client_for, quality, owner, lead):
    ActionFactory(owner=owner)
    client = client_for(quality)
    preview = client.post(url("user_hand_over", owner), {"to": lead.pk, "reason": "Left", "only_open": "on"})
    ((_label, change_url),) = preview.context["confirm"].links

    form = client.get(change_url).context["confirm"].form
    assert (form["to"].value(), form["reason"].value(), form["only_open"].value(), form["deputies"].value()) == (
        str(lead.pk),
        "Left",
        "on",
        "",
    )


def test_an_owner_who_is_also_deputy_hands_over_without_becoming_both(quality, owner, lead):
    action = ActionFactory(owner=owner, deputies=[owner])

    services.records_hand_over(person=owner, to=lead, user=quality, reason="Left", deputies=True)

    action.refresh_from_db()
    assert (action.owner, list(action.deputies.all())) == (lead, [])
    assert_snapshot_is_the_stored_row(action)


def test_an_invite_that_loses_a_race_for_the_username_says_so(client_for, quality, monkeypatch):
    def taken_meanwhile(**kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(services, "person_invite", taken_meanwhile)
    response = client_for(quality).post(reverse("qms:user_invite"), invite_data())

    assert response.status_code == 422
    assert "meanwhile" in response.context["form"].non_field_errors()[0]
    assert mail.outbox == []


def test_a_hand_over_of_everything_still_leaves_closed_actions_as_they_were_closed(quality, owner, lead):
    open_action = ActionFactory(owner=owner)
    closed = ActionFactory(owner=owner)
    services.action_move(action=closed, user=owner, status=ActionStatus.CANCELLED, note="Not needed")

    changed = services.records_hand_over(person=owner, to=lead, user=quality, reason="Left", only_open=False)

    open_action.refresh_from_db()
    closed.refresh_from_db()
    assert (open_action.owner, closed.owner) == (lead, owner)
    assert changed["Actions"] == 1


def test_viewers_are_never_offered_as_owners_or_deputies(client_for, owner, viewer):
    form = client_for(owner).get(reverse("qms:action_add")).context["form"]

    assert viewer not in form.fields["owner"].queryset
    assert viewer not in form.fields["deputies"].queryset
    assert owner in form.fields["owner"].queryset
