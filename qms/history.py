"""History: how every write is recorded, and how a record's History tab reads it.

Recording. simple-history stores a full snapshot per save, with the many-to-many links in separate
tables. Two gaps are closed here, once for every model:
- `RecordHistory` keeps one snapshot per write: a form, a serializer or a task saves a record and
  then sets its links, and those link changes complete the snapshot of that save (within its
  transaction) instead of adding snapshots of half-done states.
- `bulk_update_with_history` and `bulk_create_with_history` write their snapshots with the links as
  they are, so a bulk write never shows links as removed that nobody touched.

Reading. `record_history` compares neighbouring snapshots field by field and merges in the history
of the parts a person thinks of as belonging to the record (a process's inputs, a KPI's values, a
risk's reviews), which the parent model names in `history_parts` or another app adds with
`add_history_part` (evidence files, on every record that takes them). Names are resolved with one
query per related model, so the tab costs a fixed number of queries however long the history is.
The tab shows a page of changes at a time (`history_page`), reading the snapshots that page shows
and those they are compared with, so its time does not grow with the history either.
"""

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

BATCH = 1000
HIDDEN_FIELDS = frozenset({"id", "updated_at", "updated_by", "created_at", "created_by"})

# Recording
# ------------------------------------------------------------------------------


class RecordHistory(HistoricalRecords):
    """simple-history's HistoricalRecords with one snapshot per write (see the module docstring).

    A link change made on the instance that was just saved, in the same transaction, updates that
    save's snapshot of the links. A link changed from the other end (a user's records) snapshots
    each record whose links changed."""

    def post_save(self, instance, created, using=None, **kwargs):
        # A save of only the fields history leaves out (a sign-in's last_login) changes nothing it shows.
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def get_meta_options(self, model):
        # A History tab reads the snapshots of what points at its record through a generic foreign
        # key (the actions raised from it, its evidence files) by that key: index it, as on the model.
        options = super().get_meta_options(model)
        options["indexes"] = [
            *options.get("indexes", ()),
            *(
                models.Index(fields=[key.ct_field, key.fk_field])  # named by Django, for the table
                for key in model._meta.private_fields
                if isinstance(key, GenericForeignKey)
            ),
        ]
        return options

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or hasattr(instance, "skip_history_when_saving"):
            return
        if reverse:
            if pk_set:
                records = list(self.cls._default_manager.filter(pk__in=pk_set))
                history_bulk_record(records, self.cls, update=True)
            return
        row = instance.__dict__.get("_history_row")
        if row is None or not isinstance(row, instance.history.model):
            super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
            return
        m2m_field = instance._meta.get_field(attr)
        snapshots = self.m2m_models[m2m_field]
        snapshots.objects.filter(history=row).delete()
        _snapshot_links(snapshots, m2m_field, [(instance.pk, row)])


def _remember_snapshot(sender, instance, history_instance, **kwargs):
    """Link changes that follow a save in its transaction belong to that save's snapshot."""
    instance.__dict__["_history_row"] = history_instance
    transaction.on_commit(partial(instance.__dict__.pop, "_history_row", None))


post_create_historical_record.connect(_remember_snapshot, dispatch_uid="qms_history_one_snapshot_per_write")


def _snapshot_links(snapshots: type[models.Model], m2m_field: models.ManyToManyField, rows) -> None:
    """Store the current links of `m2m_field` for each (record pk, history row), in two queries."""
    through = m2m_field.remote_field.through
    own, other = m2m_field.m2m_field_name(), m2m_field.m2m_reverse_field_name()
    row_of = dict(rows)
    links = through.objects.filter(**{f"{own}__in": row_of}).values_list("pk", f"{own}_id", f"{other}_id")
    snapshots.objects.bulk_create(
        [
            snapshots(**{"history": row_of[record_id], "id": pk, f"{own}_id": record_id, f"{other}_id": other_id})
            for pk, record_id, other_id in links
        ],
        batch_size=BATCH,
    )


# Sent once for each bulk write of history, with who made it (None for the system): simple-history
# sends post_create_historical_record for a record saved alone, and nothing for records in bulk.
bulk_history_recorded = Signal()


def history_bulk_record(
    objs, model: type[models.Model], *, update: bool, user=None, reason: str = "", when: datetime | None = None
) -> list:
    """Write the history of records changed in bulk: one snapshot per record, with its
    many-to-many links as they are now. Every bulk write goes through here."""
    if not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return []
    history_model = model.history.model
    rows = model.history.bulk_history_create(
        objs, batch_size=BATCH, update=update, default_user=user, default_change_reason=reason, default_date=when
    )
    for m2m_field in getattr(history_model, "_history_m2m_fields", []):
        snapshots = getattr(history_model, m2m_field.name).model
        _snapshot_links(snapshots, m2m_field, [(obj.pk, row) for obj, row in zip(objs, rows, strict=True)])
    bulk_history_recorded.send(sender=model, user_id=getattr(user, "pk", None))
    return rows


def bulk_update_with_history(
    objs, model: type[models.Model], fields: list[str], *, user=None, reason: str = "", when=None
) -> int:
    """`bulk_update` with a snapshot of each record, links included."""
    with transaction.atomic(savepoint=False):
        updated = model._default_manager.bulk_update(objs, fields, batch_size=BATCH) if objs else 0
        history_bulk_record(objs, model, update=True, user=user, reason=reason, when=when)
    return updated


def bulk_create_with_history(objs, model: type[models.Model], *, user=None, reason: str = "", when=None) -> list:
    """`bulk_create` with a snapshot of each new record (the database hands back their keys)."""
    with transaction.atomic(savepoint=False):
        created = model._default_manager.bulk_create(objs, batch_size=BATCH)
        history_bulk_record(created, model, update=False, user=user, reason=reason, when=when)
    return created


# Reading
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPart:
    """Records whose history shows on their parent's History tab. A parent model lists them in
    `history_parts`.

    - `related_name`: the parent's accessor of them ("inputs", "handoffs_in", "measurements");
      or, for records that point at any kind of record, `model` ("qms.Action") and the name of its
      generic foreign key in `generic` ("source").
    - `label`: what the part is called in an entry ("input", "value"); `title`: the attribute of
      the part that says which one it is (a period, a process); its str() when empty.
    - `fields`: the fields an entry lists (every tracked field when empty); `note`: a field shown as
      the entry's comment; `added` and `changed`: the words for a new one ("raised") and a change
      ("corrected").
    - `removed_when`: for parts removed by marking them and kept (evidence files), the field whose
      setting marks one removed; that change reads as its removal.
    """

    related_name: str = ""
    label: str = ""
    title: str = ""
    fields: tuple[str, ...] = ()
    note: str = ""
    added: str = ""
    changed: str = ""
    model: str = ""
    generic: str = ""
    removed_when: str = ""


@dataclass
class FieldChange:
    label: str
    old: str
    new: str
    name: str = ""


@dataclass
class HistoryEntry:
    when: datetime
    user: object
    kind: str  # "+" created, "~" changed, "-" deleted
    reason: str
    changes: list[FieldChange] = field(default_factory=list)
    part: str = ""  # which part of the record the entry is about; empty for the record itself
    subject: str = ""  # which one of them
    verb: str = ""


def format_value(value) -> str:
    """A stored value as the pages show it: dates as "j M Y", times in the local zone, decimals
    without trailing zeros."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "j M Y, H:i")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{key} {item}" for key, item in value.items()) or "—"
    return str(value)


class _Reader:
    """Diffs neighbouring snapshots of one or more records of a model."""

    def __init__(
        self, model: type[models.Model], only: tuple[str, ...] = (), also: tuple[str, ...] = (), skip=()
    ) -> None:
        history_model = model.history.model
        tracked = {f.name for f in history_model._meta.fields}
        # A model may keep bulky fields (a frozen snapshot, say) out of its History tab: their hash shows instead.
        hidden = HIDDEN_FIELDS | set(getattr(model, "HISTORY_HIDDEN_FIELDS", ()))
        wanted = (set(only) if only else tracked - hidden) | set(also)
        self.fields = [
            f for f in model._meta.concrete_fields if f.name in tracked and f.name in wanted and f.name not in skip
        ]
        m2m_tracked = {f.name for f in getattr(history_model, "_history_m2m_fields", [])}
        accessors = {
            rel.related_model._meta.model_name: rel.get_accessor_name() for rel in history_model._meta.related_objects
        }
        self.m2m = {
            f: accessors[f"{history_model._meta.model_name}_{f.name}".lower()]
            for f in model._meta.many_to_many
            if f.name in m2m_tracked and (not only or f.name in only)
        }

    def m2m_ids(self, version, m2m_field) -> frozenset[int]:
        target = m2m_field.m2m_reverse_field_name()
        return frozenset(getattr(row, f"{target}_id") for row in getattr(version, self.m2m[m2m_field]).all())

    def want(self, versions, wanted: dict) -> None:
        for version in versions:
            for f in self.fields:
                if f.is_relation and (value := getattr(version, f.attname)) is not None:
                    wanted[f.related_model].add(value)
            for f in self.m2m:
                wanted[f.related_model].update(self.m2m_ids(version, f))

    def changes(self, previous, version, names: dict) -> list[FieldChange]:
        """What changed from `previous` to `version`; from nothing when `previous` is None."""
        changes = []
        for f in self.fields:
            old = getattr(previous, f.attname) if previous is not None else None
            new = getattr(version, f.attname) if version is not None else None
            # A change a person cannot see (seconds of a time, None for "") is no change on the tab.
            if old != new and (shown := (_show(f, old, names), _show(f, new, names)))[0] != shown[1]:
                changes.append(FieldChange(str(f.verbose_name), *shown, f.name))
        for f in self.m2m:
            old_ids = self.m2m_ids(previous, f) if previous is not None else frozenset()
            new_ids = self.m2m_ids(version, f) if version is not None else frozenset()
            if old_ids != new_ids:
                old, new = _show_set(f, old_ids, names), _show_set(f, new_ids, names)
                changes.append(FieldChange(str(f.verbose_name), old, new, f.name))
        return changes


def _show_set(f: models.Field, ids: frozenset[int], names: dict) -> str:
    related = names.get(f.related_model, {})
    return ", ".join(sorted(str(related.get(i, f"#{i}")) for i in ids)) or "—"


def _show(f: models.Field, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if f.is_relation:
        related = names.get(f.related_model, {}).get(value)
        return str(related) if related is not None else f"#{value}"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    return format_value(value)


# Parts another app adds to a model's tab (evidence files on every record that takes them), by model label.
_added_parts: dict[str, list[HistoryPart]] = defaultdict(list)


def add_history_part(model_label: str, part: HistoryPart) -> None:
    """Show `part` on the History tab of the model `model_label` ("audits.finding") as well as the
    parts the model declares itself."""
    if part not in _added_parts[model_label.lower()]:
        _added_parts[model_label.lower()].append(part)


def history_parts(model: type[models.Model]) -> tuple[HistoryPart, ...]:
    """The parts shown on a model's History tab: its own `history_parts`, then those added to it."""
    return (*getattr(model, "history_parts", ()), *_added_parts[model._meta.label_lower])


@dataclass
class HistoryPage:
    """Entries of a History tab, newest first: those made before `before` (any time when None), and
    the `before` of the page of older ones, if any."""

    entries: list[HistoryEntry]
    older: datetime | None = None
    before: datetime | None = None


def record_history(record: models.Model) -> list[HistoryEntry]:
    """Every change of the record and of its `history_parts`, newest first."""
    return history_page(record).entries


def history_page(record: models.Model, newest: int | None = None, before: datetime | None = None) -> HistoryPage:
    """The changes of the record and of its `history_parts` made before `before` (any time when None),
    newest first: all of them, or with `newest`, the last changes that many snapshots make, and any
    made at the same moment as the oldest of those. The snapshots read are those and the ones their
    first changes are compared with (`_read_versions`), so a page's cost does not grow with the length
    of the record's history, only the database's finding where the page starts (`_page_start`)."""
    own = _Reader(type(record))
    own_stream = record.history.all()
    parts = [_PartReader(record, part) for part in history_parts(type(record))]
    streams = [own_stream, *(part.stream for part in parts)]
    if before is not None:
        streams = [stream.filter(history_date__lt=before) for stream in streams]
    cut = _page_start(streams, newest) if newest else None
    versions = _read_versions(streams[0], None, cut, prefetch=own.m2m.values())
    for part, stream in zip(parts, streams[1:], strict=True):
        part.versions = _read_versions(stream, part.model._meta.pk.attname, cut)
    wanted: dict[type[models.Model], set] = defaultdict(set)
    own.want(versions, wanted)
    for part in parts:
        part.reader.want(part.versions, wanted)
        if part.title_field is not None and part.title_field.is_relation:
            wanted[part.title_field.related_model].update(getattr(v, part.title_field.attname) for v in part.versions)
    names = {model: model._base_manager.in_bulk(ids) for model, ids in wanted.items()}

    entries = []
    previous = None
    for version in versions:
        entry = HistoryEntry(
            when=version.history_date,
            user=version.history_user,
            kind=version.history_type,
            reason=version.history_change_reason or "",
        )
        if previous is not None:
            entry.changes = own.changes(previous, version, names)
        if previous is None or entry.changes or entry.kind == "-":
            entries.append(entry)
        previous = version
    for part in parts:
        entries.extend(part.entries(names))
    if cut is not None:  # the snapshots before the cut were read only to compare the first ones with
        entries = [entry for entry in entries if entry.when >= cut]
    entries.sort(key=operator.attrgetter("when"), reverse=True)
    return HistoryPage(entries, older=cut, before=before)


def _dates(streams: list[models.QuerySet]) -> models.QuerySet:
    """The times of all the streams' snapshots, as one query."""
    dates = [stream.order_by().values_list("history_date", flat=True) for stream in streams]
    return dates[0].union(*dates[1:], all=True) if len(dates) > 1 else dates[0]


def _page_start(streams: list[models.QuerySet], n: int) -> datetime | None:
    """The time of the n-th newest snapshot of all the streams, when there are older ones: the page
    shows the changes from then on, the next page those before. None: there are no older ones, and
    the page shows them all. (The database looks at every snapshot's time to find it; only the page's
    snapshots are read.)"""
    newest = list(_dates(streams).order_by("-history_date")[n - 1 : n + 1])
    if len(newest) < 2:
        return None
    if newest[1] < newest[0]:
        return newest[0]
    # The next one shares the n-th's moment: all of those are on this page, and it ends there only if
    # something is older still.
    return newest[0] if _dates([stream.filter(history_date__lt=newest[0]) for stream in streams])[:1] else None


def _read_versions(stream: models.QuerySet, key: str | None, cut: datetime | None, prefetch=()) -> list:
    """The snapshots of `stream` from `cut` on (all of them when `cut` is None) with those their
    first changes are worked out against: the record's snapshot before the cut (`key` None), or the
    earlier snapshots of each of the parts among them (`key` tells parts apart; a part's own history
    is short, a value corrected or an action moved along, and picking only the latest of each cost
    more than reading them). Read in one query (and the prefetches), in time order for each record."""
    if cut is not None:
        recent = models.Q(history_date__gte=cut)
        if key is None:
            before = stream.filter(history_date__lt=cut).order_by("-history_date", "-history_id")[:1]
            stream = stream.filter(recent | models.Q(history_id=models.Subquery(before.values("history_id"))))
        else:
            stream = stream.filter(**{f"{key}__in": stream.filter(recent).values(key)})
    order = ("history_date", "history_id") if key is None else (key, "history_date", "history_id")
    return list(stream.select_related("history_user").prefetch_related(*prefetch).order_by(*order))


class _PartReader:
    """The snapshots of one part of a record (`stream`, read by history_page into `versions`) and
    the entries they make."""

    def __init__(self, record: models.Model, part: HistoryPart):
        self.part = part
        self.record = record
        if part.generic:
            model = apps.get_model(part.model)
            link = model._meta.get_field(part.generic)
            content_type = ContentType.objects.get_for_model(record)
            where = {f"{link.ct_field}_id": content_type.pk, link.fk_field: record.pk}
            self.link_name = None
            skip = (link.ct_field, link.fk_field)
        else:
            relation = type(record)._meta.get_field(part.related_name)
            model, link = relation.related_model, relation.field
            where = {link.attname: record.pk}
            self.link_name = link.name
            skip = (link.name,)
        self.model = model
        self.reader = _Reader(model, only=part.fields, also=(part.note,) if part.note else (), skip=skip)
        self.label = str(part.label or model._meta.verbose_name)
        self.title_field = self._field(part.title)
        self.stream = model.history.filter(**where)
        self.versions: list = []

    def _field(self, name: str) -> models.Field | None:
        try:
            return self.model._meta.get_field(name) if name else None
        except FieldDoesNotExist:  # a property such as "period.label"
            return None

    def title(self, version, names: dict) -> str:
        """Which one of the part the entry is about, read from its snapshot without a query."""
        if self.title_field is not None:
            return _show(self.title_field, getattr(version, self.title_field.attname), names)
        concrete = [f for f in self.model._meta.concrete_fields if hasattr(version, f.attname)]
        instance = self.model(**{f.attname: getattr(version, f.attname) for f in concrete})
        for f in concrete:
            if f.is_relation and (value := getattr(version, f.attname)) is not None:
                related = self.record if f.name == self.link_name else names.get(f.related_model, {}).get(value)
                if related is not None:
                    setattr(instance, f.name, related)
        value = operator.attrgetter(self.part.title)(instance) if self.part.title else instance
        return format_value(value) if not isinstance(value, str | models.Model) else str(value)

    def marks_removal(self, previous, version) -> bool:
        """Whether `version` is the snapshot that marked the part removed (see HistoryPart.removed_when)."""
        field = self.part.removed_when
        return bool(field) and previous is not None and getattr(previous, field) is None and getattr(version, field)

    def entries(self, names: dict) -> list[HistoryEntry]:
        """One entry per snapshot that added, changed or removed one of the part."""
        entries = []
        pk = self.model._meta.pk.attname
        words = {"+": self.part.added or _("added"), "~": self.part.changed or _("changed"), "-": _("removed")}
        verbs = {kind: str(word) for kind, word in words.items()}
        previous = None
        for version in self.versions:
            if previous is not None and getattr(previous, pk) != getattr(version, pk):
                previous = None
            kind = version.history_type
            if self.marks_removal(previous, version):
                kind, changes = "-", []
            else:
                # A removal's snapshot holds the part as it was when removed.
                before = None if kind == "+" else version if kind == "-" else previous
                changes = self.reader.changes(before, None if kind == "-" else version, names)
                if kind == "~" and before is None:  # written before its history was kept: the old value is unknown
                    for change in changes:
                        change.old = str(_("not recorded"))
            previous = version
            if kind == "~" and not changes:
                continue
            note = getattr(version, self.part.note) if self.part.note else ""
            entries.append(
                HistoryEntry(
                    when=version.history_date,
                    user=version.history_user,
                    kind=kind,
                    reason=note or version.history_change_reason or "",
                    changes=[c for c in changes if not self.part.note or c.name != self.part.note],
                    part=self.label,
                    subject=self.title(version, names),
                    verb=verbs[kind],
                )
            )
        return entries


__all__ = [
    "FieldChange",
    "HistoryEntry",
    "HistoryPart",
    "RecordHistory",
    "add_history_part",
    "bulk_create_with_history",
    "bulk_update_with_history",
    "format_value",
    "history_bulk_record",
    "HistoryPage",
    "history_page",
    "history_parts",
    "record_history",
]
