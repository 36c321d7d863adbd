"""Creating and updating KPI definitions from a CSV or XLSX file, and a template to start from.

A row with a blank reference is a new KPI; one with a reference updates that KPI. The import
follows the shared flow (flow.Importer): every row is checked without a query of its own, shown
with what it changes, and on confirmation written, all or none, through `services.kpis_define`
(full_clean, history, links, statuses). Calculated KPIs are not created here: a formula is set
up on the KPI's page; an existing calculated KPI may be updated and keeps its formula.
"""

import copy
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from processes.choices import ProcessStatus
from processes.models import Process
from qms.exports import plain_number, table_download
from qms.models import User

from .. import services
from ..choices import Direction, Frequency, Nature, ObjectiveStatus, Source
from ..models import KPI, Measurement, Objective
from .files import Columns, parse_number
from .flow import Importer, ImportFailed, Preview, download_format, errors_of

COLUMNS = Columns(
    names=(
        "reference", "name", "unit", "measures", "direction", "target", "target upper", "warning", "frequency",
        "lowest", "highest", "owner", "processes", "objective",
    ),
    required=("name", "direction", "target", "frequency"),
    rows_of=gettext_lazy("KPIs"),
    numbers=("target", "target upper", "warning", "lowest", "highest"),
    aliases={
        "ref": "reference", "kpi": "reference", "nature": "measures", "upper": "target upper",
        "upper end": "target upper", "warning threshold": "warning", "lowest possible value": "lowest",
        "highest possible value": "highest", "process": "processes", "objectives": "objective",
    },
)  # fmt: skip
# Columns holding a number or a choice, with the KPI field each sets.
NUMBERS = {"target": "target", "target upper": "target_upper", "warning": "warning", "lowest": "valid_min",
           "highest": "valid_max"}  # fmt: skip
CHOICES = {"direction": ("direction", Direction), "frequency": ("frequency", Frequency), "measures": ("nature", Nature)}
# The fields a file sets, in the order the preview lists their changes.
FIELDS = ("name", "unit", "nature", "direction", "target", "target_upper", "warning", "frequency", "valid_min",
          "valid_max", "owner")  # fmt: skip
MAX_ROWS = 1000


@dataclass
class KPIRow:
    """One row of the file: as written, the KPI as it would be saved, and what is wrong with it."""

    row: int
    texts: dict
    stored: KPI | None = None  # the KPI as it is now, for an update
    kpi: KPI | None = None  # the KPI as the row would save it
    processes: list | None = None  # None: the links stay as they are
    objectives: list | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def change(self) -> str:
        """ "new", "changed" or "same", compared with the stored KPI."""
        if self.stored is None:
            return "new"
        return "changed" if self.changes else "same"

    def text(self, column: str) -> str | None:
        """The cell as written; None when the file has no such column."""
        value = self.texts.get(column)
        return None if value is None else str(value).strip()


@dataclass
class Known:
    """What the rows refer to, read once for all of them."""

    kpis: dict[str, KPI]
    changeable: set[int]
    with_values: set[int]
    people: dict[str, list[User]]
    processes: dict[str, Process]
    objectives: dict[str, Objective]
    objectives_changeable: set[int]


# Checking the rows
# ------------------------------------------------------------------------------


def validate_kpi_rows(rows: list[dict], user: User) -> list[KPIRow]:
    """Every row understood and checked as the service would check it, and more: that an updated
    KPI exists and the user may change it, that people, processes and objectives exist, and that
    no KPI appears twice. A fixed number of queries, however many rows."""
    checked = [KPIRow(row=int(raw["row"]), texts=raw) for raw in rows]
    known = _known(checked, user)
    seen: dict[int, int] = {}
    for row in checked:
        _check_row(row, known, user)
        if row.stored is not None:
            if row.stored.pk in seen:
                row.errors.append(
                    _("%(ref)s is already in row %(other)d.")
                    % {"ref": row.stored.reference, "other": seen[row.stored.pk]}
                )
            seen.setdefault(row.stored.pk, row.row)
    return checked


def _split(text: str | None) -> list[str]:
    return [part.strip().upper() for part in (text or "").replace(",", ";").split(";") if part.strip()]


def _known(rows: list[KPIRow], user: User) -> Known:
    references = {(row.text("reference") or "").upper() for row in rows} - {""}
    kpis = {
        k.reference: k
        for k in KPI.objects.restrict(user, "view")
        .filter(reference__in=references)
        .select_related("owner")
        .prefetch_related("processes", "objectives")
    }
    ids = [k.pk for k in kpis.values()]
    names = {(row.text("owner") or "").lower() for row in rows} - {""}
    people: dict[str, list[User]] = {}
    for person in (
        User.objects.filter(is_active=True)
        .annotate(login=Lower("username"), mail=Lower("email"))
        .filter(Q(login__in=names) | Q(mail__in=names))
    ):
        people.setdefault(person.login, []).insert(0, person)  # a username wins over an e-mail
        if person.mail:
            people.setdefault(person.mail, []).append(person)
    process_refs = {ref for row in rows for ref in _split(row.text("processes"))}
    objective_refs = {ref for row in rows for ref in _split(row.text("objective"))}
    return Known(
        kpis=kpis,
        changeable=set(KPI.objects.restrict(user, "change").filter(pk__in=ids).values_list("pk", flat=True)),
        with_values=set(Measurement.objects.filter(kpi__in=ids).order_by().values_list("kpi", flat=True).distinct()),
        people=people,
        processes={p.reference: p for p in Process.objects.filter(reference__in=process_refs)},
        objectives={o.reference: o for o in Objective.objects.filter(reference__in=objective_refs)},
        objectives_changeable=set(
            Objective.objects.restrict(user, "change").filter(reference__in=objective_refs).values_list("pk", flat=True)
        ),
    )


def _check_row(row: KPIRow, known: Known, user: User) -> None:
    reference = (row.text("reference") or "").upper()
    if reference:
        row.stored = known.kpis.get(reference)
        if row.stored is None:
            row.errors.append(
                _("There is no KPI %(ref)s. Leave the reference blank for a new KPI.") % {"ref": reference}
            )
            return
        if row.stored.pk not in known.changeable:
            row.errors.append(
                _("You may not change %(ref)s: only its owner, deputies and quality managers may.") % {"ref": reference}
            )
            return
        row.kpi = copy.copy(row.stored)
    else:
        row.kpi = KPI(owner=user)
    kpi = row.kpi
    _read_fields(row, kpi, known, user)
    row.processes = _read_processes(row, known)
    row.objectives = _read_objectives(row, known)
    if row.errors:
        return
    _check_kpi(row, known)
    if not row.errors and row.stored is not None:
        row.changes = _changes(row)


def _read_fields(row: KPIRow, kpi: KPI, known: Known, user: User) -> None:
    """Set what the row's cells say on the KPI; a column the file lacks leaves the field as it is."""
    if name := row.text("name"):
        kpi.name = name
    else:
        row.errors.append(_("The name is missing."))
    if (unit := row.text("unit")) is not None:
        kpi.unit = unit
    for column, (name, choices) in CHOICES.items():
        text = row.text(column)
        if text:
            value = _choice(text, choices)
            if value is None:
                row.errors.append(
                    _("“%(text)s” is not a value of the %(column)s column: write %(choices)s.")
                    % {"text": text, "column": column, "choices": _either(choices.values)}
                )
            else:
                setattr(kpi, name, value)
        elif column in COLUMNS.required:
            row.errors.append(_("The %(column)s is missing.") % {"column": column})
    for column, name in NUMBERS.items():
        text = row.text(column)
        if text is None:
            continue
        if not text:
            if column in COLUMNS.required:
                row.errors.append(_("The %(column)s is missing.") % {"column": column})
            else:
                setattr(kpi, name, None)
            continue
        try:
            setattr(kpi, name, parse_number(text))
        except ValueError as error:
            row.errors.append(str(error))
    if owner := row.text("owner"):
        matches = known.people.get(owner.lower(), [])
        if not matches:
            row.errors.append(_("There is no active person with the username or e-mail “%(who)s”.") % {"who": owner})
        elif len(matches) > 1 and matches[0].username.lower() != owner.lower():
            row.errors.append(_("Several people have the e-mail %(who)s: give the username.") % {"who": owner})
        else:
            kpi.owner = matches[0]


def _either(values: list[str]) -> str:
    return _("%(some)s or %(last)s") % {"some": ", ".join(values[:-1]), "last": values[-1]}


def _choice(text: str, choices) -> str | None:
    wanted = text.strip().lower()
    for value, label in choices.choices:
        if wanted in (value, str(label).lower()):
            return value
    return None


def _read_processes(row: KPIRow, known: Known) -> list | None:
    if row.text("processes") is None:
        return None
    linked = {p.pk for p in row.stored.processes.all()} if row.stored else set()
    processes = []
    for reference in dict.fromkeys(_split(row.text("processes"))):
        process = known.processes.get(reference)
        if process is None:
            row.errors.append(_("There is no process %(ref)s.") % {"ref": reference})
        elif process.status == ProcessStatus.RETIRED and process.pk not in linked:
            row.errors.append(_("%(ref)s is retired: link a process in use.") % {"ref": reference})
        else:
            processes.append(process)
    return processes


def _read_objectives(row: KPIRow, known: Known) -> list | None:
    """A KPI moves the progress of the objectives it measures, so new links are to active
    objectives the user may change (as on the KPI's page); links made earlier may stay."""
    if row.text("objective") is None:
        return None
    linked = {o.pk for o in row.stored.objectives.all()} if row.stored else set()
    objectives = []
    for reference in dict.fromkeys(_split(row.text("objective"))):
        objective = known.objectives.get(reference)
        if objective is None:
            row.errors.append(_("There is no objective %(ref)s.") % {"ref": reference})
        elif objective.pk not in linked and objective.status != ObjectiveStatus.ACTIVE:
            row.errors.append(_("%(ref)s is no longer active and takes no new KPIs.") % {"ref": reference})
        elif objective.pk not in linked and objective.pk not in known.objectives_changeable:
            row.errors.append(
                _("Only the owner, deputies and quality managers of %(ref)s link KPIs to it.") % {"ref": reference}
            )
        else:
            objectives.append(objective)
    return objectives


def _check_kpi(row: KPIRow, known: Known) -> None:
    """The checks of KPI.full_clean that need no query; the frequency of a KPI with values stays."""
    kpi = row.kpi
    data_fields = {"name", "unit", "nature", "direction", "target", "target_upper", "warning", "frequency"}
    data_fields |= {"valid_min", "valid_max"}
    try:
        kpi.clean_fields(exclude=[f.name for f in KPI._meta.fields if f.name not in data_fields])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            label = str(KPI._meta.get_field(name).verbose_name).capitalize()
            row.errors.extend(f"{label}: {message}" for message in messages)
        return
    row.errors.extend(kpi.definition_errors().values())
    stored = row.stored
    if stored is not None and kpi.frequency != stored.frequency:
        if stored.pk in known.with_values:
            row.errors.append(_("The frequency cannot change once the KPI has values. Create a new KPI."))
        elif kpi.source == Source.FORMULA:
            try:
                kpi.check_formula()
            except ValidationError as error:
                row.errors.extend(error.messages)


def _shown(kpi: KPI, name: str) -> str:
    value = getattr(kpi, name)
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return plain_number(value)
    if name in ("nature", "direction", "frequency"):
        return str(getattr(kpi, f"get_{name}_display")())
    return str(value)


def _changes(row: KPIRow) -> list[tuple[str, str, str]]:
    stored, kpi = row.stored, row.kpi
    changes = [
        (str(KPI._meta.get_field(name).verbose_name), _shown(stored, name), _shown(kpi, name))
        for name in FIELDS
        if getattr(stored, name) != getattr(kpi, name)
    ]
    for name, new in (("processes", row.processes), ("objectives", row.objectives)):
        if new is None:
            continue
        before = sorted(o.reference for o in getattr(stored, name).all())
        after = sorted(o.reference for o in new)
        if before != after:
            changes.append(
                (str(KPI._meta.get_field(name).verbose_name), ", ".join(before) or "—", ", ".join(after) or "—")
            )
    return changes


# The import
# ------------------------------------------------------------------------------


class KPIImport(Importer):
    """KPI definitions: by those who may create KPIs; an update only of a KPI they may change."""

    template_name = "objectives/kpi_import.html"
    kind = "kpis"
    columns = COLUMNS
    salt = "objectives.kpi_import"
    done_url = "objectives:kpi_list"
    url_name = "objectives:kpi_import"
    refused = gettext_lazy("Your role may not create KPIs.")
    max_rows = MAX_ROWS

    def may_import(self, user: User) -> bool:
        return KPI.user_can_add(user)

    def check(self, rows: list[dict], user: User, today: date) -> Preview:
        checked = validate_kpi_rows(rows, user)
        versions = {row.stored.reference: row.stored.updated_at.isoformat() for row in checked if row.stored}
        return Preview(checked, errors_of(checked), state=versions)

    def write(self, preview: Preview, user: User, today: date) -> int:
        definitions = [
            services.KPIDefinition(
                row.kpi,
                version=row.stored.updated_at if row.stored else None,
                processes=row.processes,
                objectives=row.objectives,
            )
            for row in preview.rows
            if row.change != "same"
        ]
        try:
            services.kpis_define(definitions, user=user, reason=_("Imported from a file"))
        except (ValidationError, PermissionDenied) as error:
            raise ImportFailed(
                " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            ) from error
        return len(preview.rows)

    def done_message(self, count: int) -> str:
        return ngettext("Imported %(count)d KPI.", "Imported %(count)d KPIs.", count) % {"count": count}

    def context(self, request: HttpRequest) -> dict:
        return {"template_url": reverse("objectives:kpi_template")}


kpi_import = KPIImport().as_view()


@require_GET
def kpi_template(request: HttpRequest) -> HttpResponse:
    """The import's columns and one example row of a new KPI, owned by the user and linked to
    processes and an objective that exist, so the row shows every column as it is written."""
    kind = download_format(request)
    processes = Process.objects.exclude(status=ProcessStatus.RETIRED).order_by("reference")[:2]
    objective = (
        Objective.objects.restrict(request.user, "change")
        .filter(status=ObjectiveStatus.ACTIVE)
        .order_by("reference")
        .first()
    )
    example = [
        None, _("Scrap rate"), "%", Nature.OUTCOME, Direction.LOWER, Decimal("1.5"), None, Decimal("2.5"),
        Frequency.MONTHLY, Decimal(0), Decimal(100), request.user.username,
        "; ".join(p.reference for p in processes), objective.reference if objective else None,
    ]  # fmt: skip
    return table_download(
        header=list(COLUMNS.names),
        rows=[example],
        filename="kpi-definitions-template",
        kind=kind,
        sheet_title=_("KPIs"),
        widths=(11, 30, 8, 10, 10, 8, 12, 8, 11, 8, 8, 14, 20, 12),
    )
