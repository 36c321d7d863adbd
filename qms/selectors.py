"""Reads that combine the records of every app: what a person owns and deputises, and the evidence
files of a record."""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, CharField, Count, F, Model, QuerySet, Value, When
from django.urls import reverse

from .filetypes import ACCEPT
from .forms import AttachmentForm
from .hub import RecordKind, record_kinds
from .models import Attachment, User, prepared_rows
from .models.attachments import files_frozen, governing_record, user_can_attach
from .uploads import max_file_bytes

HOLDING_ROWS = 10
ROLES = (False, True)  # owner, deputy


@dataclass
class Holding:
    """What one person holds of one kind of record: how many they own and deputise (all and open),
    and the first of each, open ones first, then the newest."""

    kind: RecordKind
    owned: int = 0
    owned_open: int = 0
    deputised: int = 0
    deputised_open: int = 0
    owned_rows: list[Model] = field(default_factory=list)
    deputised_rows: list[Model] = field(default_factory=list)

    @property
    def owned_more(self) -> int:
        return self.owned - len(self.owned_rows)

    @property
    def deputised_more(self) -> int:
        return self.deputised - len(self.deputised_rows)


def _held(kind: RecordKind, person: User, as_deputy: bool) -> QuerySet:
    model = kind.model
    return (model.objects.filter(deputies=person) if as_deputy else model.objects.filter(owner=person)).order_by()


def _is_open(kind: RecordKind):
    if not kind.open_when:
        return Value(True)
    return Case(When(kind.open_when, then=Value(True)), default=Value(False), output_field=BooleanField())


def _has_status(model: type[Model]) -> bool:
    return any(f.name == "status" and f.choices for f in model._meta.concrete_fields)


def person_holdings(person: User, *, rows: int = HOLDING_ROWS) -> list[Holding]:
    """What `person` owns and deputises, per kind of record they hold any of, in app registry order.

    Two queries whatever the number of kinds and records: one UNION of counts, one UNION of the
    first `rows` records per kind and role (each picked by a LIMITed subquery, which SQLite allows
    where it refuses LIMIT in the parts of a UNION). With `rows=0`, only the counts: one query."""
    kinds = record_kinds()
    holdings = {i: Holding(kind) for i, kind in enumerate(kinds)}
    for i, as_deputy, total, open_count in prepared_rows("holdings", person, lambda person: _counts(kinds, person)):
        holding = holdings[i]
        if as_deputy:
            holding.deputised, holding.deputised_open = total, open_count
        else:
            holding.owned, holding.owned_open = total, open_count
    held = {i: h for i, h in holdings.items() if h.owned or h.deputised}
    if not held or not rows:
        return list(held.values())

    firsts = prepared_rows(
        "holding_rows", person, lambda person: _firsts(held, person, rows), shape=(tuple(held), rows)
    )
    found = sorted(firsts, key=lambda row: (row[0], row[1], not row[5], -row[2]))
    for i, as_deputy, pk, reference, title, is_open, status in found:
        holding = held[i]
        record = _shown(holding.kind, pk=pk, reference=reference, title=title, status=status)
        record.held_open, record.shown_title = bool(is_open), title
        (holding.deputised_rows if as_deputy else holding.owned_rows).append(record)
    return list(held.values())


def _counts(kinds: list[RecordKind], person: User) -> QuerySet:
    """How many records of each kind `person` owns and deputises, all and open: one UNION."""
    counts = [
        _held(kind, person, as_deputy)
        .annotate(x_kind=Value(i), x_deputy=Value(as_deputy))
        .values("x_kind", "x_deputy")
        .annotate(x_all=Count("pk"), x_open=Count("pk", filter=kind.open_when or None))
        .values_list("x_kind", "x_deputy", "x_all", "x_open")
        for i, kind in enumerate(kinds)
        for as_deputy in ROLES
    ]
    return counts[0].union(*counts[1:], all=True)


def _firsts(held: dict[int, Holding], person: User, rows: int) -> QuerySet:
    """The first `rows` records of each kind held, as owner and as deputy: one UNION."""
    firsts = []
    for i, holding in held.items():
        kind = holding.kind
        status = F("status") if _has_status(kind.model) else Value("", output_field=CharField())
        for as_deputy in ROLES:
            # Open ones first; PostgreSQL refuses a constant to order by, for kinds where all are open.
            order = (_is_open(kind).desc(), "-pk") if kind.open_when else ("-pk",)
            first = _held(kind, person, as_deputy).order_by(*order).values("pk")[:rows]
            firsts.append(
                kind.model.objects.filter(pk__in=first)
                .order_by()
                .annotate(
                    x_kind=Value(i),
                    x_deputy=Value(as_deputy),
                    x_open=_is_open(kind),
                    x_title=F(kind.title),
                    x_status=status,
                )
                .values_list("x_kind", "x_deputy", "pk", "reference", "x_title", "x_open", "x_status")
            )
    return firsts[0].union(*firsts[1:], all=True)


def _shown(kind: RecordKind, *, pk: int, reference: str, title: str, status: str) -> Model:
    """An unsaved stand-in of the record with what its row on a person's page shows (its link,
    reference, title and status), built without a query."""
    values = {"pk": pk, "reference": reference, kind.title: title}
    if status:
        values["status"] = status
    return kind.model(**values)


# Evidence files
# ------------------------------------------------------------------------------


@dataclass
class EvidencePanel:
    """What components/attachments.html shows of a record's files, and what the user may do."""

    record: Model
    section_id: str
    files: list[Attachment]
    can_attach: bool
    can_remove: bool
    upload_url: str
    form: AttachmentForm | None
    max_mb: int = field(default_factory=lambda: settings.EVIDENCE_MAX_UPLOAD_MB)
    max_files: int = field(default_factory=lambda: settings.EVIDENCE_MAX_FILES)
    max_bytes: int = field(default_factory=max_file_bytes)
    accept: str = ACCEPT


def evidence_section_id(record: Model) -> str:
    """The id of a record's files section, unique on a page that shows several records' files."""
    return f"evidence-{ContentType.objects.get_for_model(record).pk}-{record.pk}"


def evidence_panel(
    record: Model, user: User, form: AttachmentForm | None = None, *, may_change: bool | None = None
) -> EvidencePanel:
    """The record's current files, oldest first, with who uploaded them, and the user's permissions:
    two queries whatever the number of files (the files, and whether the user may change the record
    that governs them). `form` is an upload form with its errors, to show again. `may_change` is
    whether the user may change `record`, where the page has asked already: a record that governs
    its own files needs no second query."""
    section_id = evidence_section_id(record)
    files = list(Attachment.objects.of(record).current().select_related("uploaded_by"))
    if may_change is not None and governing_record(record) is record:
        can_attach = may_change
    else:
        can_attach = user_can_attach(user, record)
    if can_attach and form is None:
        form = AttachmentForm(auto_id=f"{section_id}-%s")
    return EvidencePanel(
        record=record,
        section_id=section_id,
        files=files,
        can_attach=can_attach,
        can_remove=can_attach and not files_frozen(record),
        upload_url=reverse("qms:attachment_list", args=[record._meta.label_lower, record.pk]),
        form=form if can_attach else None,
    )
