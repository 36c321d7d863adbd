"""Reads a record's history as a list of changes: who changed which field from what to what, and when.

simple-history stores a full snapshot per save (and per change of a many-to-many field). We compare
neighbouring snapshots field by field and resolve foreign keys to names in one query per related
model, so the History tab costs a fixed number of queries however long the history is.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    user: object
    kind: str  # "+" created, "~" changed, "-" deleted
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def _tracked_fields(record: models.Model) -> list[models.Field]:
    history_model = record.history.model
    tracked = {f.name for f in history_model._meta.fields}
    return [f for f in record._meta.concrete_fields if f.name in tracked and f.name not in ("updated_at", "updated_by")]


def _m2m_fields(record: models.Model) -> dict[models.Field, str]:
    """The many-to-many fields whose history is kept, each with the accessor of its snapshot rows."""
    history_model = record.history.model
    tracked = {f.name for f in getattr(history_model, "_history_m2m_fields", [])}
    accessors = {
        rel.related_model._meta.model_name: rel.get_accessor_name() for rel in history_model._meta.related_objects
    }
    return {
        f: accessors[f"{history_model._meta.model_name}_{f.name}".lower()]
        for f in record._meta.many_to_many
        if f.name in tracked
    }


def record_history(record: models.Model) -> list[HistoryEntry]:
    """The record's changes, newest first."""
    fields = _tracked_fields(record)
    m2m_fields = _m2m_fields(record)
    versions = list(
        record.history.select_related("history_user")
        .prefetch_related(*m2m_fields.values())
        .order_by("history_date", "history_id")
    )

    def m2m_ids(version, m2m_field) -> frozenset[int]:
        target = m2m_field.m2m_reverse_field_name()
        return frozenset(getattr(row, f"{target}_id") for row in getattr(version, m2m_fields[m2m_field]).all())

    # Collect every foreign key id that appears, to name them with one query per related model.
    wanted: dict[type[models.Model], set] = {}
    for version in versions:
        for f in fields:
            if f.is_relation and (value := getattr(version, f.attname)) is not None:
                wanted.setdefault(f.related_model, set()).add(value)
        for f in m2m_fields:
            wanted.setdefault(f.related_model, set()).update(m2m_ids(version, f))
    names = {model: model._base_manager.in_bulk(ids) for model, ids in wanted.items()}

    def show(f: models.Field, value) -> str:
        if value is None or value == "":
            return "—"
        if f.is_relation:
            related = names.get(f.related_model, {}).get(value)
            return str(related) if related is not None else f"#{value}"
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    def show_set(f: models.Field, ids: frozenset[int]) -> str:
        related = names.get(f.related_model, {})
        return ", ".join(sorted(str(related.get(i, f"#{i}")) for i in ids)) or "—"

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
            for f in fields:
                old, new = getattr(previous, f.attname), getattr(version, f.attname)
                if old != new:
                    entry.changes.append(FieldChange(str(f.verbose_name), show(f, old), show(f, new)))
            for f in m2m_fields:
                old_ids, new_ids = m2m_ids(previous, f), m2m_ids(version, f)
                if old_ids != new_ids:
                    entry.changes.append(FieldChange(str(f.verbose_name), show_set(f, old_ids), show_set(f, new_ids)))
        if previous is None or entry.changes or entry.kind == "-":
            entries.append(entry)
        previous = version
    entries.reverse()
    return entries


__all__ = ["FieldChange", "HistoryEntry", "record_history"]
