"""The abstract base every QMS record stands on: reference, accountable owner, deputies, process links,
and who created and last changed it. Its queryset holds the one permission rule of the product."""

import copy
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, ClassVar, Self

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from qms.choices import Role

from .base import Model

NOTHING = Q(pk__in=[])


def count_subquery(queryset: models.QuerySet) -> models.Subquery:
    """How many rows `queryset` has, as a subquery to annotate another queryset with (its filter
    refers to the outer row with OuterRef). Unlike Count() over a join, the database counts only for
    the rows it returns: a page of 25, not every row before the page is cut."""
    # COUNT(*), not COUNT(id): a partial index whose condition is the filter can count alone.
    count = models.Func(models.expressions.Star(), function="COUNT", output_field=models.IntegerField())
    return models.Subquery(queryset.order_by().annotate(n=count).values("n"), output_field=models.IntegerField())


def _count_each_query(user, **querysets: models.QuerySet | tuple[models.QuerySet, ...]) -> models.QuerySet:
    def counted(parts) -> models.Expression:
        first, *rest = (Coalesce(count_subquery(part), 0) for part in (parts if isinstance(parts, tuple) else (parts,)))
        return sum(rest, first)

    counts = {name: counted(parts) for name, parts in querysets.items()}
    return get_user_model().objects.filter(pk=user.pk).annotate(**counts).values(*counts)


def count_each(user, **querysets: models.QuerySet | tuple[models.QuerySet, ...]) -> dict[str, int]:
    """How many rows each of `querysets` has, in one query: each counted by a subquery on its own
    indexes, selected beside `user`'s row (SQL needs a table to select from). Not an aggregate with
    filters over the whole table, which reads every row to count a few. A queryset that can match
    nothing (`none()`) counts 0; a tuple of disjoint querysets (`held_by`) counts their sum."""
    return _count_each_query(user, **querysets).get()


# The id of the stand-in a prepared query is built for: no row has it, and no query holds it as a value.
STAND_IN_ID = -987_654_321
_prepared: dict[tuple, tuple[str, tuple, tuple[int, ...]] | None] = {}
_NOT_YET = object()


def prepared_rows(name: str, person, build: Callable[[Any], models.QuerySet], *, shape: tuple = ()) -> list[tuple]:
    """The rows of `build(person)` as the database returns them (no converters), its SQL built once a
    day in each process for each kind of person (role, superuser or not, active or not) and `shape`,
    for a stand-in, and run with the person's id in the stand-in's place. Building and compiling a
    queryset of many parts can cost several times what running it does: the dashboard's to-dos
    spent two thirds of their time on it, a person's page 25 ms.

    So `build` may depend on the person only through those attributes and their id, on the date only
    through today's, and on anything else only through `shape`. With settings.CHECK_PREPARED_QUERIES
    (on in the tests) every call also builds the SQL for the person and fails if it differs."""
    return _run_prepared(name, person, build, shape)[1]


def prepared_count_each(name: str, user, counted: Callable[[Any], dict]) -> dict[str, int]:
    """`count_each(user, **counted(user))` as a prepared query (see `prepared_rows`)."""
    columns, (row,) = _run_prepared(name, user, lambda person: _count_each_query(person, **counted(person)), ())
    return dict(zip(columns, row, strict=True))


def _run_prepared(name: str, person, build: Callable, shape: tuple) -> tuple[list[str], list[tuple]]:
    today = timezone.localdate()
    key = (name, shape, connection.vendor, today, person.role, person.is_superuser, person.is_active)
    prepared = _prepared.get(key, _NOT_YET)
    if prepared is _NOT_YET:  # read once, and the keys listed at once: safe beside other threads
        for stale in [k for k in list(_prepared) if k[3] != today]:
            _prepared.pop(stale, None)
        stand_in = copy.copy(person)
        stand_in.pk = STAND_IN_ID
        prepared = _prepared[key] = _compiled(build(stand_in))
    if prepared is None:  # can match nothing (none()): no query to run
        sql, params = None, []
    else:
        sql, params, places = prepared
        params = list(params)
        for i in places:
            params[i] = person.pk
    if settings.CHECK_PREPARED_QUERIES:
        expected = _compiled(build(person))
        if (sql, tuple(params)) != (expected[:2] if expected else (None, ())):
            raise AssertionError(f"The prepared query {name!r} differs from the one built for {person}: {sql} {params}")
    if sql is None:
        return [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _compiled(queryset: models.QuerySet) -> tuple[str, tuple, tuple[int, ...]] | None:
    """The SQL and parameters of `queryset`, and where the stand-in's id is among them; None when
    it can match nothing."""
    if queryset.query.is_empty():
        return None
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params), tuple(i for i, value in enumerate(params) if value == STAND_IN_ID)


def detail_url(view_name: str, *args: int | str) -> str:
    """`reverse(view_name, args=args)` for a record's page, reversed once per URL configuration and
    filled in at each call: a list asks for 70 to 400 of these, and Django's reverse() costs as
    much as rendering a table cell. The arguments are ids, or slugs (a part of a process's turtle)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _detail_path(view_name, len(args), urlconf, get_script_prefix()).format(*map(_path_argument, args))


def _path_argument(arg: int | str) -> int | str:
    """An id, or a name made of letters, digits, - and _ that starts with a letter (a slug, which
    needs no quoting in a path); anything else is refused."""
    if isinstance(arg, str):
        if not _PATH_WORD.fullmatch(arg):
            raise ValueError(f"not a slug: {arg!r}")
        return arg
    return int(arg)


_PATH_WORD = re.compile(r"[A-Za-z][-A-Za-z0-9_]*")


@cache
def _detail_path(view_name: str, arity: int, urlconf: str, script_prefix: str) -> str:
    markers = [str(987654321 + i) for i in range(arity)]
    path = reverse(view_name, urlconf=urlconf, args=[int(marker) for marker in markers])
    path = path.replace("{", "{{").replace("}", "}}")
    for i, marker in enumerate(markers):
        path = path.replace(marker, f"{{{i}}}")
    return path


class ReferenceCounter(Model):
    """The last number handed out for a reference prefix (PRC, ACT, KPI…)."""

    prefix = models.CharField(verbose_name=_("prefix"), max_length=10, primary_key=True)
    last_number = models.PositiveIntegerField(verbose_name=_("last number"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_number}"

    @classmethod
    def next_reference(cls, prefix: str) -> str:
        """Hand out the next reference for a prefix. The row lock makes concurrent saves take turns."""
        with transaction.atomic():
            cls.objects.get_or_create(prefix=prefix)
            counter = cls.objects.select_for_update().get(prefix=prefix)
            counter.last_number += 1
            counter.save(update_fields=["last_number"])
        return f"{prefix}-{counter.last_number:03d}"


class AnyOf(models.lookups.In):
    """`pk__any_of=<subquery>`: what `__in` means, written so PostgreSQL reads the subquery once, as
    an array (`pk = ANY(ARRAY(SELECT ...))`). Beside `owner = me` under OR, the two then combine as
    two index scans; `pk IN (SELECT ...)` there is a subplan checked against every row."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


models.AutoField.register_lookup(AnyOf)
models.BigAutoField.register_lookup(AnyOf)


class RecordQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view") -> Self:
        """The records `user` may `view` or `change`. Every page and API endpoint starts here."""
        return self.filter(self.model.permission_scope(user, action))

    def owned_by(self, user) -> Self:
        """Records the user is accountable for, as owner or deputy: on PostgreSQL two index scans
        (owner, and the records they deputise, read first), whoever the user is."""
        return self.filter(Q(owner=user) | Q(pk__any_of=self._deputised_by(user)))

    def held_by(self, user) -> tuple[Self, Self]:
        """owned_by(user) in two parts that do not overlap: what the user owns, and what they
        deputise without owning it. To count: each part counts on its own index (an owner's open
        records on a partial index alone), where owned_by's OR reads every row the user owns (the
        busiest owner's 4,313 overdue actions: 8 ms, against 1 ms for both parts)."""
        return self.filter(owner=user), self.filter(pk__any_of=self._deputised_by(user)).exclude(owner=user)

    def not_owned_by(self, user) -> Self:
        """Records the user neither owns nor deputises: the owner compared on each row, not the
        user's own records listed first (12,582 of them for the busiest owner)."""
        return self.exclude(owner=user).exclude(pk__any_of=self._deputised_by(user))

    def _deputised_by(self, user) -> models.QuerySet:
        deputies = self.model.deputies.field
        deputised = deputies.remote_field.through.objects.filter(**{deputies.m2m_reverse_field_name(): user})
        return deputised.values(deputies.m2m_field_name())

    def in_batches(self, size: int) -> Iterator[models.Model]:
        """The records in primary key order, read `size` at a time, each batch in full. For loops that
        write as they go: unlike iterator(), no cursor stays open between writes. On SQLite an open
        cursor keeps the snapshot it began with, and a write on its connection then fails at once with
        "database is locked" if anyone else wrote meanwhile."""
        after = None
        while True:
            batch = self.order_by("pk") if after is None else self.filter(pk__gt=after).order_by("pk")
            records = list(batch[:size])
            yield from records
            if len(records) < size:
                return
            after = records[-1].pk


class OwnedRecord(Model):
    """Abstract base of every QMS record.

    Subclasses set REFERENCE_PREFIX and may narrow ADD_ROLES (who may create one) or widen
    permission_scope (for example auditors inside their audits).
    """

    REFERENCE_PREFIX: ClassVar[str] = ""
    ADD_ROLES: ClassVar[frozenset[str]] = frozenset(
        {Role.LEADERSHIP, Role.QUALITY_MANAGER, Role.PROCESS_OWNER, Role.AUDITOR, Role.CONTRIBUTOR}
    )

    reference = models.CharField(verbose_name=_("reference"), max_length=20, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        help_text=_("The person accountable for this record."),
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_owned",
    )
    deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deputies"),
        help_text=_("People who may edit this record on the owner's behalf."),
        related_name="%(app_label)s_%(class)s_deputised",
        blank=True,
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        editable=False,
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        editable=False,
    )

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        if not self.reference:
            self.reference = ReferenceCounter.next_reference(self.reference_prefix())
        user = _request_user()
        if user is not None:
            if self._state.adding:
                self.created_by = user
            self.updated_by = user
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return detail_url(self.url_name("detail"), self.pk)

    @classmethod
    def for_reference(cls) -> models.QuerySet:
        """The records read with what a link to one shows: its reference and address."""
        return cls.objects.only("pk", "reference")

    def reference_prefix(self) -> str:
        return self.REFERENCE_PREFIX

    @classmethod
    def url_name(cls, view: str) -> str:
        """URL names follow one pattern: `<app>:<model>_<view>` (list, add, detail, edit, history)."""
        return f"{cls._meta.app_label}:{cls._meta.model_name}_{view}"

    @classmethod
    def get_list_url(cls) -> str:
        return reverse(cls.url_name("list"))

    def get_edit_url(self) -> str:
        return reverse(self.url_name("edit"), args=[self.pk])

    def get_history_url(self) -> str:
        return reverse(self.url_name("history"), args=[self.pk])

    # Permissions
    # --------------------------------------------------------------------------

    @classmethod
    def permission_scope(cls, user, action: str) -> Q:
        """The one permission rule: everyone signed in reads; owners and deputies change their own
        records; quality managers change everything; viewers change nothing."""
        if not (user.is_authenticated and user.is_active):
            return NOTHING
        if action == "view" or user.administers_qms:
            return Q()
        if user.is_read_only:
            return NOTHING
        return Q(owner=user) | Q(pk__in=cls.objects.filter(deputies=user).values("pk"))

    def choosable_people(self, field: str) -> models.QuerySet:
        """Whom a form or the API offers as the record's `field` ("owner" or "deputies"): active
        people who may change records (not viewers), and whoever the record names already even if
        deactivated since, so saving it unchanged keeps them (handing over is a step of its own)."""
        named = Q()
        if self.pk is not None:
            named = Q(pk=self.owner_id) if field == "owner" else Q(pk__in=self.deputies.values("pk"))
        return get_user_model().objects.filter(Q(is_active=True) & ~Q(role=Role.VIEWER) | named)

    @classmethod
    def user_can_add(cls, user) -> bool:
        return user.is_authenticated and user.is_active and (user.is_superuser or user.role in cls.ADD_ROLES)

    def user_can_change(self, user) -> bool:
        return type(self).objects.restrict(user, "change").filter(pk=self.pk).exists()

    # The records closed for good (checked actions, say), as a query: they never change hands.
    FROZEN_WHEN: ClassVar[Q | None] = None

    @property
    def is_frozen(self) -> bool:
        """A record closed for good (a checked action, say) keeps its fields as they were closed."""
        return False

    def frozen_reason(self) -> str:
        """Why the record's own fields no longer change ("" while they may), said to whoever tries:
        a record closed for good stays as it was closed. A record with more reasons (an audit whose
        report is issued) gives them; the API refuses a change with it (FrozenRecordMixin)."""
        return str(_("%(record)s is closed: it stays as it was closed.") % {"record": self}) if self.is_frozen else ""

    def user_can_edit(self, user) -> bool:
        """May `user` open this record's edit form: a record they may change that is not frozen."""
        return not self.is_frozen and self.user_can_change(user)


class ProcessLinkedRecord(OwnedRecord):
    """A record that concerns one or more processes, so it shows on each process's page."""

    processes = models.ManyToManyField(
        "processes.Process",
        verbose_name=_("processes"),
        help_text=_("The processes this record concerns."),
        related_name="%(app_label)s_%(class)s_records",
        blank=True,
    )

    class Meta:
        abstract = True

    @cached_property
    def linked_processes(self) -> list:
        """The processes it concerns, in their order. A list reads those of its whole page at once
        (`prefetch_linked_processes`); a record alone reads them here."""
        return list(self.processes.all())


def prefetch_linked_processes() -> models.Prefetch:
    """The processes of a page of records, with what a row shows of them (reference and name), as
    a plain list in `linked_processes`: prefetch_related("processes") builds a manager and a
    queryset per row, and the template another per row, which cost more than the query."""
    process = apps.get_model("processes", "Process")
    return models.Prefetch("processes", process.objects.only("pk", "reference", "name"), to_attr="linked_processes")


def _request_user():
    """The signed-in user of the request being served, if any (forms, admin and API alike)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None
