"""The demo organisation, read from data files and built through the product's own rules.

Each app that brings demo data keeps it in `demo.yaml` (what the demo company holds, for people to
read and edit) and registers, in its `demo.py`, a builder for each group of sections of that file
with @builds. seed_demo reads the files of the installed apps, checks that every section has its
builder, and runs the builders in their order. The builders create records with full_clean() and
the service functions the pages call, acting as the people the data names, so the demo obeys the
rules people's data does and its history reads as if those people had done the work.

Dates in the files are relative to the day of seeding, so the demo always looks current: `-12d`
is twelve days ago, `+30d` in thirty days, `+13m` in thirteen months (`w` weeks, `y` years),
`today` today; a plain date (2026-03-31) stays as it is.
"""

import calendar
import dataclasses
import difflib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

DATA_FILE = "demo.yaml"


class DemoDataError(Exception):
    """A mistake in a demo data file; the message names the file and the entry."""


# Reading the files
# ------------------------------------------------------------------------------


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # parsed in C where PyYAML has libyaml
    """YAML's safe loader, except that a key given twice in one mapping is an error rather than a
    silently lost entry (two people with the same username, say)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice in this mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_data(path: Path) -> dict[str, Any]:
    """The sections of one data file."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except yaml.YAMLError as error:
        raise DemoDataError(f"{_label(path)}: {error}") from None
    if not isinstance(data, dict):
        raise DemoDataError(f"{_label(path)}: expected sections (name: entries), not {type(data).__name__}.")
    return data


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# Builders
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Builder:
    app_label: str
    sections: tuple[str, ...]
    order: int
    build: Callable[..., dict[str, int]]


_builders: list[Builder] = []


def builds(*sections: str, order: int) -> Callable:
    """Register a builder for these sections of its app's demo.yaml: `@builds("risks", order=50)`.
    It is called as build(demo, **sections), after the builders of lower order, and returns what
    it made as {"what": how many}."""

    def register(build: Callable[..., dict[str, int]]) -> Callable[..., dict[str, int]]:
        app_label = apps.get_containing_app_config(build.__module__).label
        if not any(b.build is build for b in _builders):
            _builders.append(Builder(app_label, sections, order, build))
        return build

    return register


def parse(cls: type, data: dict[str, Any]):
    """A dataclass made from an entry of the data; a field it does not know, or one missing, is
    an error that says which fields it takes."""
    if not isinstance(data, dict):
        raise DemoDataError(f"expected fields (name: value), not {data!r}.")
    names = [f.name for f in dataclasses.fields(cls)]
    required = [f.name for f in dataclasses.fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    if unknown := [name for name in data if name not in names]:
        raise DemoDataError(f"unknown field(s) {', '.join(unknown)}; the fields are {', '.join(names)}.")
    if missing := [name for name in required if name not in data]:
        raise DemoDataError(f"missing field(s) {', '.join(missing)}.")
    return cls(**data)


# The demo being built
# ------------------------------------------------------------------------------


RELATIVE_DATE = re.compile(r"^([+-]?\d+)([dwmy])$")


@dataclass
class Demo:
    """What the builders share: the day the demo is relative to, the records made so far by their
    key in the data, and where in the files the builder is, to name it in errors."""

    today: date
    password: str
    name: str = "the demo organisation"
    counts: dict[str, int] = field(default_factory=dict)
    records: dict[type[models.Model], dict[Any, models.Model]] = field(default_factory=dict)
    where: list[str] = field(default_factory=list)

    # Entries and records
    # --------------------------------------------------------------------------

    def entries(self, section: str, data) -> Iterator[tuple[Any, dict[str, Any]]]:
        """(key, fields) of each entry of a section: a mapping by key, or a list numbered from 1.
        Until the next entry, an error names this one. The fields are the builder's to pop."""
        if isinstance(data, dict):
            items = data.items()
        elif isinstance(data, list):
            items = enumerate(data, start=1)
        else:
            raise DemoDataError(f"{section}: expected a list or a mapping of entries, not {data!r}.")
        outer = self.where
        for key, fields in items:
            title = fields.get("title") or fields.get("name") if isinstance(fields, dict) else None
            self.where = [*outer, f"{section} {key}" + (f" ({title})" if title and title != key else "")]
            if not isinstance(fields, dict):
                raise DemoDataError(f"expected fields (name: value), not {fields!r}.")
            yield key, dict(fields)
        self.where = outer

    def add(self, key, record: models.Model) -> models.Model:
        """Remember a record by its key in the data, for entries that name it."""
        known = self.records.setdefault(type(record), {})
        if key in known:
            raise DemoDataError(f"there is already a {record._meta.verbose_name} {key!r}.")
        known[key] = record
        return record

    def get(self, model: type[models.Model], key) -> models.Model:
        """The record of `model` that the data names `key`."""
        known = self.records.get(model, {})
        if key in known:
            return known[key]
        what = model._meta.verbose_name
        if key is None:
            raise DemoDataError(f"no {what} given.")
        close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DemoDataError(f"there is no {what} {key!r}.{hint}")

    def first(self, model: type[models.Model], **match) -> models.Model:
        """The first record made of `model` whose attributes match, e.g. the first quality manager."""
        for record in self.records.get(model, {}).values():
            if all(getattr(record, name) == value for name, value in match.items()):
                return record
        raise DemoDataError(f"there is no {model._meta.verbose_name} with {match}.")

    def create(self, model: type[models.Model], fields: dict[str, Any], *, by=None, key=None, **given):
        """Create a record from its fields in the data, as `by` would from its page: validated
        with full_clean() and saved with its links and its history. Keys name related records,
        dates may be relative, and `given` holds values the builder has already worked out."""
        record = model()
        self._save(record, {**self._values(model, fields), **given}, by=by)
        return record if key is None else self.add(key, record)

    def change(self, record: models.Model, fields: dict[str, Any], *, by) -> models.Model:
        """Change fields of a record made earlier, as `by` would on its edit page."""
        self._save(record, self._values(type(record), fields), by=by)
        return record

    def _values(self, model: type[models.Model], fields: dict[str, Any]) -> dict[str, Any]:
        """The model's values for the fields of the data: records for keys, dates for relative dates."""
        values = {}
        for name, value in fields.items():
            model_field = self._field(model, name)
            if model_field.many_to_many:
                values[name] = [self.get(model_field.related_model, item) for item in self._list(name, value)]
            elif model_field.is_relation:
                values[name] = None if value is None else self.get(model_field.related_model, value)
            elif isinstance(model_field, models.DateField):
                values[name] = self.date(value)
            elif isinstance(model_field, models.DecimalField) and value is not None:
                values[name] = Decimal(str(value))  # as written: 1.6, not the float nearest to it
            else:
                values[name] = value
        return values

    def _save(self, record: models.Model, values: dict[str, Any], *, by) -> None:
        many = {f.name for f in record._meta.many_to_many}
        for name, value in values.items():
            if name not in many:
                setattr(record, name, value)
        adding = record._state.adding
        # The reference is handed out on saving, and the records named are those just found. The
        # database enforces the constraints, which the fields' choices and clean() already cover.
        # (Checking that a record exists, or a constraint, costs a query each.)
        found = [name for name, value in values.items() if isinstance(value, models.Model)]
        with self.acting_as(by):
            record.full_clean(exclude=["reference", *found], validate_constraints=False)
            record.save()
            for name in many & set(values):
                if adding:
                    getattr(record, name).add(*values[name])  # nothing to replace yet
                else:
                    getattr(record, name).set(values[name])

    def _field(self, model: type[models.Model], name: str) -> models.Field:
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            names = [f.name for f in model._meta.get_fields() if getattr(f, "editable", False) and f.concrete]
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DemoDataError(f"a {model._meta.verbose_name} has no field {name!r}.{hint}") from None
        if not (model_field.concrete and model_field.editable):
            raise DemoDataError(f"{name!r} of a {model._meta.verbose_name} is not set from the data.")
        return model_field

    @staticmethod
    def _list(name: str, value) -> list:
        if not isinstance(value, list):
            raise DemoDataError(f"{name} takes a list, such as [{value}].")
        return value

    # Dates and people
    # --------------------------------------------------------------------------

    def date(self, value) -> date | None:
        """A date of the data: relative to today (-12d, +30d, +2w, +13m, +1y, today) or as written."""
        if value is None or isinstance(value, date):
            return value
        if value == "today":
            return self.today
        match = RELATIVE_DATE.match(str(value).replace(" ", ""))
        if not match:
            raise DemoDataError(f"{value!r} is not a date: write -12d, +30d, +2w, +13m, +1y, today or 2026-03-31.")
        number, unit = int(match[1]), match[2]
        if unit in "dw":
            return self.today + timedelta(days=number * (7 if unit == "w" else 1))
        year, month = divmod(self.today.year * 12 + self.today.month - 1 + number * (12 if unit == "y" else 1), 12)
        return date(year, month + 1, min(self.today.day, calendar.monthrange(year, month + 1)[1]))

    @contextmanager
    def acting_as(self, user) -> Iterator[None]:
        """Write as `user` would from a page. The history and created/updated by take the user of
        the request that the history middleware exposes; stand one in for the duration."""
        context = HistoricalRecords.context
        outer = getattr(context, "request", None)
        if user is not None:
            context.request = SimpleNamespace(user=user)
        try:
            yield
        finally:
            if outer is not None:
                context.request = outer
            elif hasattr(context, "request"):
                del context.request


# Seeding
# ------------------------------------------------------------------------------


def data_files() -> dict[str, Path]:
    """The demo data file of each installed app that has one, by app label, in app order."""
    files = {}
    for config in apps.get_app_configs():
        path = Path(config.path) / DATA_FILE
        if path.exists():
            files[config.label] = path
    return files


@transaction.atomic
def demo_seed(*, password: str) -> Demo:
    """Build the demo organisation from the data files, all or nothing. Raises DemoDataError,
    naming the file and the entry, when the data asks for something the product refuses."""
    files = data_files()
    for label in files:
        import_module(f"{apps.get_app_config(label).name}.demo")  # registers the app's builders
    data = {label: read_data(path) for label, path in files.items()}
    for label, path in files.items():
        claimed = {section for b in _builders if b.app_label == label for section in b.sections}
        if unknown := sorted(set(data[label]) - claimed):
            raise DemoDataError(f"{_label(path)}: no builder reads the section(s) {', '.join(unknown)}.")
        if missing := sorted(claimed - set(data[label])):
            raise DemoDataError(f"{_label(path)}: the section(s) {', '.join(missing)} are missing.")
    demo = Demo(today=timezone.localdate(), password=password)
    for builder in sorted((b for b in _builders if b.app_label in files), key=lambda b: b.order):
        try:
            made = builder.build(demo, **{section: data[builder.app_label][section] for section in builder.sections})
        except (DemoDataError, ValidationError, PermissionDenied, IntegrityError) as error:
            where = ", ".join([_label(files[builder.app_label]), *demo.where])
            raise DemoDataError(f"{where}: {_message(error)}") from error
        demo.counts.update(made)
    return demo


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)
