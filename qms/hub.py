"""Slots on shared pages that each app fills with its own section, so the core never imports the apps.

The pages with slots:
- "process": the process page, the hub; each app lists its records linked to the process. The page
  loads each section once it shows (`section_names`, `one_section`), in the place its provider
  registered with.
- "my_work": what the signed-in user has to do; each app adds what is due from them.
- "dashboard": the organisation's overview; each app adds its headline figures.
- "objective": a quality objective's page; apps list their records linked to it.
- "todo": the top of the dashboard, what the signed-in person must do; providers return a list of
  `Todo`s, counted together in one query where they can.

A section provider is a function of (request, *page objects) returning a `Section`, or None when
it has nothing to show. Each provider runs a fixed number of queries.

Apps also say which of their records are open (`record_kind`), for a person's page, deactivation
and hand-over, which cover every kind of record the app registry holds (`record_kinds`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst


@dataclass
class Section:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    count: int | None = None


@dataclass
class Todo:
    """One kind of thing the signed-in person must do, counted, with where to do it."""

    label: str
    count: int
    url: str
    icon: str = "check2-square"
    urgent: bool = False
    order: int = 100


SectionProvider = Callable[..., Section | None]
TodoProvider = Callable[[HttpRequest], list[Todo]]

_providers: dict[str, list[SectionProvider]] = defaultdict(list)
_places: dict[tuple[str, SectionProvider], int] = {}


def section(slot: str, *, place: int = 100) -> Callable[[SectionProvider], SectionProvider]:
    """Register a provider for a page slot: `@section("process")`. `place` orders the sections of a
    page that loads them one by one (`section_names`), before any of them has said its `order`; the
    process page's sections say none, so `sections()` keeps them in their places too."""

    def register(provider: SectionProvider) -> SectionProvider:
        if provider not in _providers[slot]:
            if provider.__name__ in section_names(slot):
                raise ValueError(f"Two sections of {slot!r} are called {provider.__name__!r}")
            _places[slot, provider] = place
            _providers[slot].append(provider)
            _providers[slot].sort(key=lambda p: _places[slot, p])
        return provider

    return register


def first_rows(queryset: QuerySet, rows: int) -> tuple[list, int]:
    """The first `rows` of `queryset` and how many it has in all: a section's count is the real
    number, never the number it shows. Counted apart, and only when the rows fill the section, so
    the rows can stop at the first `rows` of an index instead of reading every match (a window count
    made PostgreSQL read, join and sort all 3,400 open risks of a busy process to show 15)."""
    found = list(queryset[:rows])
    return found, len(found) if len(found) < rows else queryset.count()


def first_rows_for(
    name: str,
    person,
    matching: Callable[[Any], QuerySet],
    shown: QuerySet,
    rows: int,
    counted: Callable[[Any], QuerySet | tuple[QuerySet, ...]] | None = None,
) -> tuple[list, int]:
    """`first_rows` for a section of what `person` holds or must do, its queries prepared (built once
    a day per kind of person, see qms.models.prepared_rows): the ids of the first `rows` of
    `matching(person)`, in its order; those records read by id from `shown` (with the related
    records and prefetches the section shows); and, when they fill the section, how many
    `counted(person)` has (by default `matching(person)`, counted another way such as `held_by`)."""
    from .models import prepared_count_each, prepared_rows

    ids = [pk for (pk,) in prepared_rows(name, person, lambda p: matching(p).values_list("pk")[:rows], shape=(rows,))]
    found = shown.in_bulk(ids)
    records = [found[pk] for pk in ids if pk in found]
    if len(ids) < rows:
        return records, len(ids)
    count = prepared_count_each(f"{name}:count", person, lambda p: {"n": (counted or matching)(p)})
    return records, count["n"]


def sections(slot: str, request: HttpRequest, *args: Any) -> list[Section]:
    found = (provider(request, *args) for provider in _providers[slot])
    return sorted((s for s in found if s is not None), key=lambda s: s.order)


def section_names(slot: str) -> list[str]:
    """The sections a page can load one by one after it has shown (`one_section`), in their places."""
    return [provider.__name__ for provider in _providers[slot]]


def one_section(slot: str, name: str, request: HttpRequest, *args: Any) -> Section | None:
    """One section of a page, by the name `section_names` gave; LookupError for an unknown name."""
    for provider in _providers[slot]:
        if provider.__name__ == name:
            return provider(request, *args)
    raise LookupError(name)


def todos(request: HttpRequest) -> list[Todo]:
    """What the signed-in person must do, most urgent first; kinds with nothing to do are left out."""
    found = [todo for provider in _providers["todo"] for todo in provider(request) if todo.count]
    return sorted(found, key=lambda t: (not t.urgent, t.order))


# Process health: how each process performs, as judged by the apps that measure it (KPIs today).
# A provider takes process ids and yields (process id, health) pairs; the worst answer wins.
# ------------------------------------------------------------------------------

HEALTH_ORDER = ("good", "warning", "bad")
HealthProvider = Callable[[list[int]], Iterable[tuple[int, str]]]
_health_providers: list[HealthProvider] = []


def health_provider(provider: HealthProvider) -> HealthProvider:
    """Register a function that judges processes: `@health_provider`."""
    if provider not in _health_providers:
        _health_providers.append(provider)
    return provider


def process_health(process_ids: list[int]) -> dict[int, str]:
    health: dict[int, str] = {}
    for provider in _health_providers:
        for pk, verdict in provider(process_ids):
            if pk not in health or HEALTH_ORDER.index(verdict) > HEALTH_ORDER.index(health[pk]):
                health[pk] = verdict
    return health


# Kinds of record: every concrete OwnedRecord model, found in the app registry, so a person's page,
# deactivation and hand-over cover the records of every app, present and future. An app may say
# which of its records are still open and which field names one (its title by default).
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    model: type[Model]
    open_when: Q  # the records still in use; a hand-over of open records moves only these
    title: str  # the field that names one record
    owner_filter: str  # the query parameter by which its list page shows one owner's records, if any

    @property
    def label(self) -> str:
        return capfirst(self.model._meta.verbose_name_plural)


_record_kinds: dict[type[Model], dict[str, Any]] = {}


def record_kind(
    model: type[Model], *, open_when: Q | None = None, title: str | None = None, owner_filter: str = ""
) -> None:
    """Say which records of `model` are open, which field names one and how its list shows one
    owner's records: `record_kind(Risk, open_when=~Q(status=RiskStatus.CLOSED), owner_filter="owner")`.
    Unsaid, every record is open."""
    _record_kinds[model] = {"open_when": open_when, "title": title, "owner_filter": owner_filter}


def record_kinds() -> list[RecordKind]:
    """Every concrete OwnedRecord model, in app registry order, with what its app said of it."""
    from qms.models import OwnedRecord

    kinds = []
    for model in apps.get_models():
        if not issubclass(model, OwnedRecord) or model._meta.proxy:
            continue
        said = _record_kinds.get(model, {})
        names = {f.name for f in model._meta.concrete_fields}
        title = said.get("title") or ("title" if "title" in names else "reference")
        kinds.append(
            RecordKind(
                model=model,
                open_when=said.get("open_when") or Q(),
                title=title,
                owner_filter=said.get("owner_filter", ""),
            )
        )
    return kinds
