"""Retention: history snapshots and sent e-mail are kept for ever unless the organisation decides
otherwise with RETENTION_ARCHIVE_AFTER_YEARS. Then `records_archive` moves what is older than that
many years out of the database into compressed JSON-lines files under VAR_DIR/archive, each with a
manifest of its SHA-256 and what it holds. Each record keeps its last snapshot from before the
cut-off, so its state on any day since then stays in the database.

A row is deleted only after it is in an archive file on disk (written and fsynced), and each batch
is one gzip member, so a run killed at any moment loses nothing: a batch it wrote but did not
delete is archived again by the next run (an archive may then hold a row twice, never lack one),
and the next run first finishes the file the killed one left (cut after its last whole batch).
A run with nothing old enough writes nothing, so running it again is harmless.
"""

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from simple_history.models import HistoricalChanges

from .models import OutboxMessage

BATCH = 1000
SUFFIX = ".jsonl.gz"


@dataclass
class ArchiveRun:
    """What one run archived: rows per model label, and the file and its manifest (None when
    nothing was old enough)."""

    cutoff: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    path: Path | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def archive_dir() -> Path:
    return Path(settings.VAR_DIR) / "archive"


def retained_models() -> list[tuple[type[models.Model], str, list[type[models.Model]]]]:
    """What retention covers: each history model with its date field and the models of its
    many-to-many snapshots (archived and deleted with it), then sent outbox messages."""
    snapshots: dict[type[models.Model], list[type[models.Model]]] = {}
    history = []
    for model in apps.get_models():
        if not issubclass(model, HistoricalChanges):
            continue
        parent = next((f.related_model for f in model._meta.fields if f.name == "history" and f.is_relation), None)
        if parent is not None:  # a many-to-many snapshot: it lives and goes with its history row
            snapshots.setdefault(parent, []).append(model)
        else:
            history.append(model)
    return [
        *((model, "history_date", snapshots.get(model, [])) for model in history),
        (OutboxMessage, "sent_at", []),
    ]


def records_archive(*, now: datetime | None = None, batch: int = BATCH) -> ArchiveRun:
    """Archive, then delete, history rows and sent e-mail older than RETENTION_ARCHIVE_AFTER_YEARS;
    nothing at all when it is not set.

    1. Finish the file a killed run left, if any.
    2. For each model, oldest first and `batch` rows at a time: append the rows (with their
       many-to-many snapshots) to the run's file as one gzip member, fsync it, then delete them in
       one transaction.
    3. Name the file for good and write its manifest (SHA-256, cutoff, rows per model) beside it,
       and its line in SHA256SUMS (`sha256sum -c SHA256SUMS` checks every archive).
    """
    years = settings.RETENTION_ARCHIVE_AFTER_YEARS
    if not years:
        return ArchiveRun()
    now = now or timezone.now()
    run = ArchiveRun(cutoff=now - relativedelta(years=years))
    folder = archive_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for left in folder.glob(f"*{SUFFIX}.part"):
        _finish(left, cutoff=None, counts=None)
    part = folder / f"records-{now:%Y%m%dT%H%M%S%f}{SUFFIX}.part"
    for model, date_field, snapshots in retained_models():
        old = _archivable(model, date_field, run.cutoff).order_by(date_field, "pk")
        while rows := list(old[:batch]):
            keys = [row.pk for row in rows]
            linked = [(snapshot, list(snapshot._default_manager.filter(history__in=keys))) for snapshot in snapshots]
            _append(part, [rows, *(items for _snapshot, items in linked)])
            with transaction.atomic():
                for snapshot, items in linked:
                    snapshot._default_manager.filter(pk__in=[item.pk for item in items]).delete()
                model._default_manager.filter(pk__in=keys).delete()
            run.counts[model._meta.label] = run.counts.get(model._meta.label, 0) + len(rows)
            for snapshot, items in linked:
                run.counts[snapshot._meta.label] = run.counts.get(snapshot._meta.label, 0) + len(items)
    if part.exists():
        run.path = _finish(part, cutoff=run.cutoff, counts=run.counts)
    return run


def _archivable(model: type[models.Model], date_field: str, cutoff: datetime) -> models.QuerySet:
    """The rows older than `cutoff`. Of history, only snapshots that a later snapshot of the same
    record, itself older than `cutoff`, replaced: the last one before the cut-off stays, so what each
    record said on any day since the cut-off (its History tab, evidence packs as of a date) stays
    reproducible from the database."""
    old = model._default_manager.filter(**{f"{date_field}__lt": cutoff})
    if model is OutboxMessage:
        return old
    record_key = model.instance_type._meta.pk.attname
    replaced = model._default_manager.filter(
        **{record_key: OuterRef(record_key), f"{date_field}__lt": cutoff, "pk__gt": OuterRef("pk")}
    )
    return old.filter(Exists(replaced))


def _append(part: Path, groups: list[list[models.Model]]) -> None:
    """Append the rows as one gzip member of JSON lines, on disk before this returns."""
    lines = b"".join(
        json.dumps(item, cls=DjangoJSONEncoder, sort_keys=True).encode() + b"\n"
        for rows in groups
        for item in serializers.serialize("python", rows)
    )
    with part.open("ab") as file:
        file.write(gzip.compress(lines, mtime=0))
        file.flush()
        os.fsync(file.fileno())


def _whole_members(data: bytes) -> int:
    """Where the last whole gzip member of `data` ends."""
    end = 0
    while end < len(data):
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            member.decompress(data[end:])
        except zlib.error:
            break
        if not member.eof:
            break
        end = len(data) - len(member.unused_data)
    return end


def _finish(part: Path, *, cutoff: datetime | None, counts: dict[str, int] | None) -> Path:
    """Cut `part` after its last whole batch, give it its final name and write its manifest.
    A file a killed run left has no counts: its manifest says so."""
    data = part.read_bytes()
    end = _whole_members(data)
    if end < len(data):
        with part.open("r+b") as file:
            file.truncate(end)
            os.fsync(file.fileno())
        data = data[:end]
    final = part.with_suffix("")  # drops ".part"
    part.rename(final)
    sha256 = hashlib.sha256(data).hexdigest()
    manifest = {
        "file": final.name,
        "sha256": sha256,
        "bytes": len(data),
        "archived_before": cutoff.isoformat() if cutoff else None,
        "rows": counts,
        "complete": counts is not None,
        "format": "gzip of JSON lines, one row each as Django's serializer gives it: model, pk, fields",
    }
    final.with_name(final.name.removesuffix(SUFFIX) + ".manifest.json").write_text(json.dumps(manifest, indent=2))
    with (final.parent / "SHA256SUMS").open("a") as sums:
        sums.write(f"{sha256}  {final.name}\n")
    return final


def archive_read(path: Path) -> list[dict]:
    """The rows of an archive file, as written."""
    with gzip.open(path, "rt") as file:
        return [json.loads(line) for line in file]
