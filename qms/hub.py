"""Slots on shared pages that each app fills with its own section, so the core never imports the apps.

The pages with slots:
- "process": the process page, the hub; each app lists its records linked to the process.
- "my_work": what the signed-in user has to do; each app adds what is due from them.
- "dashboard": the organisation's overview; each app adds its headline figures.
- "objective": a quality objective's page; apps list their records linked to it.
- "todo": the top of the dashboard, what the signed-in person must do; providers return a list of
  `Todo`s, counted together in one query where they can.

A section provider is a function of (request, *page objects) returning a `Section`, or None when
it has nothing to show. Each provider runs a fixed number of queries.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


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


def section(slot: str) -> Callable[[SectionProvider], SectionProvider]:
    """Register a provider for a page slot: `@section("process")`."""

    def register(provider: SectionProvider) -> SectionProvider:
        if provider not in _providers[slot]:
            _providers[slot].append(provider)
        return provider

    return register


def sections(slot: str, request: HttpRequest, *args: Any) -> list[Section]:
    found = (provider(request, *args) for provider in _providers[slot])
    return sorted((s for s in found if s is not None), key=lambda s: s.order)


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
