"""Records as they stood at a moment, read from their history (django-simple-history).

`versions_as_of` reads the latest snapshot of each record up to a moment, in one query, with the
many-to-many links of that snapshot prefetched (one query per link), so a pack's queries do not grow
with the number of records. `fingerprint` is the SHA-256 of a canonical JSON of one snapshot: the
record's fields and links as they stood, keys sorted, so the same version always hashes the same.
"""

import hashlib
import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Exists, OuterRef, Q

HISTORY_FIELDS = frozenset({"history_id", "history_date", "history_change_reason", "history_type", "history_user"})


def _links(model: type[models.Model]) -> dict[str, tuple[str, str]]:
    """Each tracked many-to-many field of `model`: (accessor on the snapshot, the linked model's id
    attribute on the link rows)."""
    history_model = model.history.model
    accessors = {rel.related_model: rel.get_accessor_name() for rel in history_model._meta.related_objects}
    links = {}
    for m2m_field in getattr(history_model, "_history_m2m_fields", []):
        rows = getattr(history_model, m2m_field.name).model
        links[m2m_field.name] = (accessors[rows], f"{m2m_field.m2m_reverse_field_name()}_id")
    return links


def versions_as_of(
    model: type[models.Model], as_of: datetime, where: Q | None = None, *, linked: dict[str, list[int]] | None = None
) -> list[models.Model]:
    """The snapshot of each record of `model` as it stood at `as_of` (records deleted by then left
    out), filtered by `where` on the snapshot's own fields and by `linked` ({"processes": [ids]}: those
    whose links at that moment include one of the ids). Ordered by record id.

    Each snapshot carries `link_ids` ({"processes": {1, 2}}) and its `history_user`."""
    history_model = model.history.model
    links = _links(model)
    snapshots = history_model.objects.filter(history_date__lte=as_of)
    later = snapshots.filter(id=OuterRef("id")).filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
    )
    latest = snapshots.filter(~Exists(later)).exclude(history_type="-")
    if where is not None:
        latest = latest.filter(where)
    for name, ids in (linked or {}).items():
        rows = getattr(history_model, name).model
        target = links[name][1]
        latest = latest.filter(history_id__in=rows.objects.filter(**{f"{target}__in": ids}).values("history_id"))
    latest = latest.select_related("history_user").prefetch_related(*(accessor for accessor, _id in links.values()))
    versions = list(latest.order_by("id"))
    for version in versions:
        version.link_ids = {
            name: {getattr(row, target) for row in getattr(version, accessor).all()}
            for name, (accessor, target) in links.items()
        }
    return versions


def canonical_json(version: models.Model) -> str:
    """The record's fields and links as one snapshot holds them, as JSON with sorted keys and no
    spaces: the same version always gives the same text."""
    values = {
        f.attname: getattr(version, f.attname)
        for f in version._meta.concrete_fields
        if f.name not in HISTORY_FIELDS and not f.attname.startswith("history_")
    }
    values |= {name: sorted(ids) for name, ids in getattr(version, "link_ids", {}).items()}
    record = {"model": version.instance_type._meta.label_lower, "fields": values}
    return json.dumps(record, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(version: models.Model) -> str:
    """The SHA-256 of the version's canonical JSON."""
    return hashlib.sha256(canonical_json(version).encode()).hexdigest()
