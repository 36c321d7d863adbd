"""Writes that go beyond saving one form: action lifecycle, the overdue notifications, evidence files
(attach, remove), people (invite, change, deactivate, hand their records over) and their API tokens."""

from datetime import date, datetime
from functools import partial
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .choices import ActionStatus, Role
from .filetypes import identify
from .history import bulk_update_with_history
from .hub import record_kinds
from .models import Action, ApiToken, Attachment, Notification, OutboxMessage, User
from .models.attachments import files_frozen, is_attachable, user_can_attach
from .outbox import mail_queue
from .uploads import clean_file_name, file_problem, file_sha256, max_file_bytes, too_large_message, too_many_message

BATCH = 500


@transaction.atomic
def action_move(*, action: Action, user: User, status: str, note: str = "", on: date | None = None) -> Action:
    """Move an action along its lifecycle (start, complete, reopen, cancel). The note is kept in
    the history as the reason; cancelling needs one. `on` is the day it happened when that was
    before today (the demo's past); pages record moves as they happen."""
    _lock(action)
    if not action.user_can_change(user):
        raise PermissionDenied(_("You may not change this action."))
    if status == ActionStatus.CANCELLED and not note.strip():
        raise ValidationError({"note": _("Say why the action is cancelled: the history keeps the reason.")})
    action.move_to(status, on=on)
    action._change_reason = note
    action._history_user = user  # also outside a request (the API's services, tasks, the shell)
    action.save()
    return action


@transaction.atomic
def action_check_effectiveness(
    *, action: Action, user: User, effective: bool, note: str, at: datetime | None = None
) -> Action:
    """Record the effectiveness check of a done action, which closes it. `at` is when it was
    checked when that was before now (the demo's past); pages record checks as they happen."""
    _lock(action)
    if not action.user_can_verify(user):
        raise PermissionDenied(
            _("The effectiveness check is made by quality, leadership or an auditor, not the owner.")
        )
    action.record_effectiveness(effective=effective, by=user, note=note, at=at)
    action._history_user = user
    action.save()
    return action


def _lock(action: Action) -> None:
    """Hold the action's row for this transaction and work on it as stored, not as the caller saw it."""
    action.refresh_from_db(from_queryset=Action.objects.select_for_update())


def notification_claim(*, kind: str, record, key: str, recipient: User | None) -> bool:
    """Stamp that `kind` was sent for `record` and `key`. False when it was already sent, by this
    run or a concurrent one: the caller then sends nothing."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                kind=kind,
                content_type=ContentType.objects.get_for_model(record),
                object_id=record.pk,
                key=key,
                recipient=recipient,
            )
    except IntegrityError:
        return False
    return True


def notification_mail(*, kind: str, record, key: str, recipient: User, subject: str, body: str, attachments=()) -> bool:
    """Queue an e-mail to `recipient` once per `kind`, `record` and `key`: its Notification stamp and
    the message are written in one transaction, so the mail is queued exactly when the stamp is
    (qms.outbox sends it). False when it was queued before, by this run or a concurrent one."""
    with transaction.atomic():
        if not notification_claim(kind=kind, record=record, key=key, recipient=recipient):
            return False
        mail_queue(to=[recipient.email], subject=subject, body=body, attachments=attachments, kind=kind.split(":")[0])
    return True


def actions_notify_overdue(*, today: date | None = None) -> int:
    """E-mail the owner of each overdue action, at most once per action and day, and return how
    many were queued."""
    today = today or timezone.localdate()
    sent = 0
    overdue = Action.objects.overdue(today).exclude(owner__email="").select_related("owner")
    for action in overdue.in_batches(BATCH):
        sent += notification_mail(
            kind="action_overdue",
            record=action,
            key=today.isoformat(),
            recipient=action.owner,
            subject=_("Overdue action %(ref)s: %(title)s") % {"ref": action.reference, "title": action.title},
            body=render_to_string("emails/action_overdue.txt", {"action": action, "site_url": settings.SITE_URL}),
        )
    return sent


# Evidence files
# ------------------------------------------------------------------------------


def attachment_add(*, record, user: User, files: list, description: str = "") -> list[Attachment]:
    """Attach `files` (uploaded files) to `record` as evidence, all or none.

    1. The user must be allowed to change the record that governs its files.
    2. Each file is checked by its size and its content (qms.filetypes), never its name; a
       ValidationError on "files" names every refused file and why.
    3. Each is stored under a generated name, outside the database transaction (a large copy does
       not hold SQLite's write lock); its SHA-256 is the one taken as it streamed in
       (qms.uploads.EvidenceUploadHandler), or is taken here for files from elsewhere.
    4. The rows are written in one transaction with their history; if that fails, the stored copies
       are deleted again, as nothing refers to them.
    """
    if not is_attachable(record):
        raise ValidationError(_("Files cannot be attached to %(kind)s.") % {"kind": record._meta.verbose_name_plural})
    if not user_can_attach(user, record):
        raise PermissionDenied(_("You may view %(record)s but not attach files to it.") % {"record": record})
    if not files:
        raise ValidationError({"files": _("Choose the files to attach.")})
    if len(files) > settings.EVIDENCE_MAX_FILES:
        raise ValidationError({"files": too_many_message()})
    content_type = ContentType.objects.get_for_model(record)
    attachments, errors = [], []
    for upload in files:
        try:
            if upload.size > max_file_bytes():
                raise ValidationError(too_large_message())
            file_type = identify(upload)
        except ValidationError as error:
            errors.append(file_problem(upload.name, " ".join(error.messages)))
            continue
        attachment = Attachment(
            content_type=content_type,
            object_id=record.pk,
            name=clean_file_name(upload.name, file_type),
            description=description.strip(),
            media_type=file_type.media_type,
            size=upload.size,
            sha256=getattr(upload, "sha256", None) or file_sha256(upload),
            uploaded_by=user,
        )
        attachments.append((attachment, upload))
    if errors:
        raise ValidationError({"files": errors})
    stored = []
    try:
        for attachment, upload in attachments:
            attachment.file.save(attachment.name, upload, save=False)
            stored.append(attachment.file)
        with transaction.atomic():
            for attachment, _upload in attachments:
                attachment.full_clean(exclude=["file"])
                attachment._history_user = user
                attachment.save()
    except BaseException:
        for file in stored:
            file.storage.delete(file.name)
        raise
    return [attachment for attachment, _upload in attachments]


@transaction.atomic
def attachment_remove(*, attachment: Attachment, user: User, reason: str) -> Attachment:
    """Remove an evidence file from its record: it leaves the record's pages, and its history says
    who removed it, when and why. The row and the stored file stay (evidence is never destroyed by
    the product), so a pack made before can still account for it. Not on a frozen record."""
    attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
    record = attachment.record
    if not user_can_attach(user, record):
        raise PermissionDenied(_("You may view %(record)s but not remove its files.") % {"record": record})
    if files_frozen(record):
        raise PermissionDenied(_("%(record)s is closed: its evidence files stay as they were.") % {"record": record})
    if attachment.is_removed:
        raise ValidationError(_("“%(name)s” was removed already.") % {"name": attachment.name})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the file is removed: the history keeps the reason.")})
    attachment.removed_at, attachment.removed_by, attachment.removal_reason = timezone.now(), user, reason.strip()
    attachment._history_user = user
    attachment.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    return attachment


# People
# ------------------------------------------------------------------------------


def person_may_manage(user: User, person: User) -> bool:
    """Quality managers administer people. An account that signs in to the admin (a superuser's or
    a staff member's) is changed only by a superuser, or a quality manager could take it over by
    changing its e-mail address and resetting its password."""
    if not (user.is_authenticated and user.is_active and user.administers_qms):
        return False
    return user.is_superuser or not (person.is_superuser or person.is_staff)


def _may_manage(user: User, person: User) -> None:
    if not person_may_manage(user, person):
        if user.is_authenticated and user.is_active and user.administers_qms:
            raise PermissionDenied(_("Only a superuser may change an account that signs in to the admin."))
        raise PermissionDenied(_("Only quality managers administer people."))


def is_last_quality_manager(person: User) -> bool:
    """Whether no other active quality manager remains besides `person`. Their rows stay locked
    until the transaction ends, so two demotions at once cannot both pass."""
    others = User.objects.select_for_update().filter(role=Role.QUALITY_MANAGER, is_active=True).exclude(pk=person.pk)
    return not list(others.values_list("pk", flat=True))


def person_change_check(person: User, *, user: User, role: str, is_active: bool) -> None:
    """Refuse what would leave the QMS without someone to administer it, before `user` gives
    `person` the `role` and `is_active` asked: a quality manager does not demote or deactivate
    themselves, nobody deactivates themselves, and the last active quality manager stays one and
    active. Raises ValidationError by field. Every path that changes a role or deactivates asks it:
    the app's pages and the admin alike (single sign-on keeps the role instead: qms.sso)."""
    if person.is_active and not is_active and (person.pk == user.pk or person.role == Role.QUALITY_MANAGER):
        _keep_a_quality_manager(person, user=user, field="is_active", refusal=_("You cannot deactivate yourself."))
    if person.role == Role.QUALITY_MANAGER and role != Role.QUALITY_MANAGER:
        refusal = _("You cannot give up your own quality manager role: ask another quality manager.")
        _keep_a_quality_manager(person, user=user, field="role", refusal=refusal)


def _keep_a_quality_manager(person: User, *, user: User, field: str, refusal: str) -> None:
    if person.pk == user.pk:
        raise ValidationError({field: refusal})
    if is_last_quality_manager(person):
        raise ValidationError(
            {
                field: _("%(person)s is the last active quality manager: make someone else quality manager first.")
                % {"person": person}
            }
        )


@transaction.atomic
def person_invite(*, user: User, **details) -> User:
    """Add a person without a password and queue their invite in the same transaction (they choose
    a password from it, see person_send_invite).
    `details`: username, first_name, last_name, email, job_title, role, org_unit."""
    person = User(**details)
    _may_manage(user, person)
    person.set_unusable_password()
    person._history_user = user
    person.save()
    person_send_invite(person=person, user=user)
    return person


def person_send_invite(*, person: User, user: User) -> OutboxMessage:
    """Queue an e-mail to `person` with a link to choose their password (Django's password reset
    token: it works once, until they sign in or the timeout passes). A mail server that is down
    delays it (the outbox tries again); it can also be sent again from their page."""
    _may_manage(user, person)
    if not person.is_active:
        raise ValidationError(_("%(person)s is deactivated: reactivate them first.") % {"person": person})
    if person.has_usable_password():
        raise ValidationError(
            _("%(person)s has chosen a password already; they can use “Forgot your password?” to set a new one.")
            % {"person": person}
        )
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
            "token": default_token_generator.make_token(person),
        },
    )
    context = {
        "person": person,
        "inviter": user,
        "link": f"{settings.SITE_URL}{path}",
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "site_name": settings.SITE_NAME,
    }
    return mail_queue(
        to=[person.email],
        subject=render_to_string("emails/invite_subject.txt", context),
        body=render_to_string("emails/invite.txt", context),
        kind="invite",
    )


@transaction.atomic
def person_update(*, person: User, user: User, note: str = "", **changes) -> User:
    """Change a person's names, e-mail, job title, role or unit; history keeps who did it and the note."""
    person = User.objects.select_for_update().get(pk=person.pk)
    _may_manage(user, person)
    person_change_check(person, user=user, role=changes.get("role", person.role), is_active=person.is_active)
    for name, value in changes.items():
        setattr(person, name, value)
    person._change_reason = note
    person._history_user = user
    person.save()
    return person


@transaction.atomic
def person_deactivate(*, person: User, user: User, reason: str = "") -> User:
    """Deactivate a person (people are never deleted: their records and history keep them). They
    are signed out everywhere, and no longer offered as owner or deputy. Reversible."""
    person = User.objects.select_for_update().get(pk=person.pk)
    _may_manage(user, person)
    if not person.is_active:
        return person
    person_change_check(person, user=user, role=person.role, is_active=False)
    # Before the person's own snapshot, so the deactivation heads their History tab.
    api_tokens_revoke_all(person=person, user=user, reason=reason or _("Deactivated."))
    person.is_active = False
    person._change_reason = reason
    person._history_user = user
    person.save()
    transaction.on_commit(partial(_sign_out_everywhere, person.pk))
    return person


@transaction.atomic
def person_reactivate(*, person: User, user: User, reason: str = "") -> User:
    """Let a deactivated person sign in again and be chosen as owner or deputy."""
    person = User.objects.select_for_update().get(pk=person.pk)
    _may_manage(user, person)
    if person.is_active:
        return person
    person.is_active = True
    person._change_reason = reason
    person._history_user = user
    person.save()
    return person


def _sign_out_everywhere(person_id: int) -> None:
    """End the person's sessions (their API tokens are revoked with the deactivation). Sessions are
    found by reading each live one: the idle timeout keeps them few."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    live = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for key, data in list(live.values_list("session_key", "session_data")):
        if store().decode(data).get(SESSION_KEY) == str(person_id):
            store(session_key=key).delete()


# API tokens
# ------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Give `user` a new named API token; returns it and its key, which is never shown again.
    `days` until it expires: API_TOKEN_DAYS unless given, at most API_TOKEN_MAX_DAYS."""
    if not user.is_active:
        raise PermissionDenied(_("A deactivated person gets no API token."))
    if not name.strip():
        raise ValidationError({"name": _("Name the token after where it is used, so you can tell it apart later.")})
    token, key = ApiToken.issue(user=user, name=name, days=days)
    token.full_clean()
    token._history_user = user
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: User, reason: str = "") -> ApiToken:
    """Revoke one of `user`'s own tokens: it stops working at once and stays listed as revoked."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != user.pk:
        raise PermissionDenied(_("You may revoke only your own API tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token._change_reason = reason
        token._history_user = user
        token.save(update_fields=["revoked_at"])
    return token


def api_tokens_revoke_all(*, person: User, user: User | None, reason: str) -> int:
    """Revoke every token of `person` still unrevoked (deactivation; `user` did it). Returns how many.
    A password change needs no call: it ends the tokens by itself (see qms.models.tokens)."""
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user=person, revoked_at__isnull=True))
    for token in tokens:
        token.revoked_at = now
    bulk_update_with_history(tokens, ApiToken, ["revoked_at"], user=user, reason=reason)
    return len(tokens)


@transaction.atomic
def records_hand_over(
    *, person: User, to: User, user: User, reason: str, only_open: bool = False, deputies: bool = False
) -> dict[str, int]:
    """Hand every record `person` owns (only the open ones with `only_open`; never one closed for
    good, such as a checked action) to `to`, and with
    `deputies` make `to` deputy wherever `person` is one, in one transaction over every kind of
    record. Each changed record gets one history entry by `user` with `reason`, its deputies as
    they now are included. Returns how many records of each kind changed, by kind label."""
    _may_manage(user, person)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the records are handed over: the history keeps the reason.")})
    if to.pk == person.pk:
        raise ValidationError({"to": _("Choose someone other than %(person)s.") % {"person": person}})
    if not to.is_active:
        raise ValidationError({"to": _("%(person)s is deactivated: choose an active person.") % {"person": to}})
    now = timezone.now()
    changed = {}
    for kind in record_kinds():
        model = kind.model
        scope = model.objects.filter(kind.open_when) if only_open else model.objects.all()
        if model.FROZEN_WHEN is not None:  # closed for good: they stay as they were closed
            scope = scope.exclude(model.FROZEN_WHEN)
        records = {r.pk: r for r in scope.filter(owner=person).select_for_update(of=("self",)).order_by("pk")}
        for record in records.values():
            record.owner = to
        if deputies:
            deputised = list(scope.filter(deputies=person).select_for_update(of=("self",)).order_by("pk"))
            _deputy_replace(model, [r.pk for r in deputised], old=person, new=to, new_owns=set(records))
            for record in deputised:
                records.setdefault(record.pk, record)
        if not records:
            continue
        for record in records.values():
            record.updated_by, record.updated_at = user, now
        bulk_update_with_history(
            list(records.values()), model, ["owner", "updated_by", "updated_at"], user=user, reason=reason.strip()
        )
        changed[kind.label] = len(records)
    return changed


def _deputy_replace(model, record_ids: list[int], *, old: User, new: User, new_owns: set[int]) -> None:
    """Put `new` in place of `old` among the deputies of these records; never as deputy of a record
    `new` owns or is about to own (`new_owns`), nor twice. The caller snapshots the records
    afterwards, links included."""
    field = model._meta.get_field("deputies")
    through = field.remote_field.through
    own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
    links = through.objects.filter(**{f"{own}__in": record_ids})
    links.filter(**{other: old}).delete()
    skip = new_owns | set(links.filter(**{other: new}).values_list(f"{own}_id", flat=True))
    skip |= set(model.objects.filter(pk__in=record_ids, owner=new).values_list("pk", flat=True))
    through.objects.bulk_create(
        [through(**{f"{own}_id": pk, f"{other}_id": new.pk}) for pk in record_ids if pk not in skip]
    )
