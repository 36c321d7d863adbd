from datetime import date, datetime, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from audits.models import Audit, AuditProgramme
from nonconformities.choices import Origin, Severity
from nonconformities.models import Nonconformity
from objectives.choices import Direction, Frequency, Nature
from objectives.models import KPI, Measurement, Objective, StrategicTheme
from processes.choices import ProcessStatus, ProcessType
from processes.models import HandOff, Process
from qms.choices import ActionKind, OrgUnitKind, Role
from qms.models import Action, OrgUnit, User
from reviews.choices import IssueCategory, IssueSide, PartyKind, StatementKind
from reviews.models import ContextIssue, InterestedParty, QmsStatement
from risks.choices import Category, RiskStatus, Strategy
from risks.models import Risk


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"Department {n}")
    kind = OrgUnitKind.DEPARTMENT


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.CONTRIBUTOR
    password = factory.django.Password("correct-horse-battery")


class ProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Process
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Process {n}")
    type = ProcessType.CORE
    status = ProcessStatus.ACTIVE
    owner = factory.SubFactory(UserFactory, role=Role.PROCESS_OWNER)


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Action {n}")
    kind = ActionKind.CORRECTIVE
    owner = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)

    @factory.post_generation
    def deputies(self, create, extracted, **kwargs):
        if create and extracted:
            self.deputies.set(extracted)


class HandOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandOff

    source = factory.SubFactory(ProcessFactory)
    target = factory.SubFactory(ProcessFactory)
    item = factory.Sequence(lambda n: f"Deliverable {n}")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicTheme

    title = factory.Sequence(lambda n: f"Theme {n}")
    owner = factory.SubFactory(UserFactory, role=Role.LEADERSHIP)


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective
        skip_postgeneration_save = True

    theme = factory.SubFactory(ThemeFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    owner = factory.SubFactory(UserFactory, role=Role.LEADERSHIP)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)


class KPIFactory(factory.django.DjangoModelFactory):
    """A monthly outcome KPI, higher is better, target 95 with a warning from 90."""

    class Meta:
        model = KPI
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Measure {n}")
    owner = factory.SubFactory(UserFactory, role=Role.PROCESS_OWNER)
    unit = "%"
    nature = Nature.OUTCOME
    direction = Direction.HIGHER
    frequency = Frequency.MONTHLY
    target = Decimal("95")
    warning = Decimal("90")
    measured_from = date(2020, 1, 1)

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)

    @factory.post_generation
    def objectives(self, create, extracted, **kwargs):
        if create and extracted:
            self.objectives.set(extracted)


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    kpi = factory.SubFactory(KPIFactory)
    period_start = date(2026, 1, 1)
    value = Decimal("96")


class RiskFactory(factory.django.DjangoModelFactory):
    """An assessed risk: likely (4) and major (4) before controls, possible (3) and moderate (3) with them."""

    class Meta:
        model = Risk
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Risk {n}")
    owner = factory.SubFactory(UserFactory, role=Role.PROCESS_OWNER)
    category = Category.PRODUCT
    status = RiskStatus.ASSESSED
    inherent_likelihood = 4
    inherent_impact = 4
    residual_likelihood = 3
    residual_impact = 3
    strategy = Strategy.REDUCE

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)

    @factory.post_generation
    def objectives(self, create, extracted, **kwargs):
        if create and extracted:
            self.objectives.set(extracted)


class NonconformityFactory(factory.django.DjangoModelFactory):
    """A minor nonconformity found in a process, just reported."""

    class Meta:
        model = Nonconformity
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Nonconformity {n}")
    description = "Parts released without the signed first-off check."
    origin = Origin.PROCESS
    severity = Severity.MINOR
    owner = factory.SubFactory(UserFactory, role=Role.PROCESS_OWNER)

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)


class AuditProgrammeFactory(factory.django.DjangoModelFactory):
    """This year's programme; each further one a year later."""

    class Meta:
        model = AuditProgramme
        skip_postgeneration_save = True

    year = factory.Sequence(lambda n: timezone.localdate().year + n)
    title = factory.LazyAttribute(lambda p: f"Internal audit programme {p.year}")
    owner = factory.SubFactory(UserFactory, role=Role.QUALITY_MANAGER)


class AuditFactory(factory.django.DjangoModelFactory):
    """A planned audit in December of its programme's year, led by an auditor."""

    class Meta:
        model = Audit
        skip_postgeneration_save = True

    programme = factory.SubFactory(AuditProgrammeFactory)
    title = factory.Sequence(lambda n: f"Audit {n}")
    owner = factory.SubFactory(UserFactory, role=Role.AUDITOR)
    clauses = factory.LazyFunction(lambda: ["4.4", "8.5"])
    planned_start = factory.LazyAttribute(lambda a: date(a.programme.year, 12, 1))
    planned_end = factory.LazyAttribute(lambda a: a.planned_start + timedelta(days=1))

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if create and extracted:
            self.team.set(extracted)


# Audits: checklist questions and findings
# ------------------------------------------------------------------------------


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    """An unanswered question of an audit's checklist."""

    class Meta:
        model = "audits.ChecklistItem"

    audit = factory.SubFactory(AuditFactory)
    position = factory.Sequence(lambda n: n + 1)
    clause = "8.5"
    question = factory.Sequence(lambda n: f"Question {n}?")


class FindingFactory(factory.django.DjangoModelFactory):
    """A minor nonconformity found in the first process of its audit (or a new one)."""

    class Meta:
        model = "audits.Finding"

    audit = factory.SubFactory(AuditFactory)
    number = factory.LazyAttribute(lambda f: f.audit.findings.count() + 1)
    kind = "minor_nc"
    clause = "8.5"
    process = factory.LazyAttribute(lambda f: f.audit.processes.first() or ProcessFactory())
    title = factory.Sequence(lambda n: f"Finding {n}")
    description = "The first-off check was not signed."
    evidence = "Job card 4471, 3 March."


# Context of the organisation (reviews)
# ------------------------------------------------------------------------------


class ContextIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContextIssue
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Context issue {n}")
    side = IssueSide.EXTERNAL
    category = IssueCategory.ECONOMIC
    owner = factory.SubFactory(UserFactory, role=Role.PROCESS_OWNER)

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)


class InterestedPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterestedParty
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Interested party {n}")
    kind = PartyKind.CUSTOMER
    requirements = "On-time delivery and conforming parts."
    owner = factory.SubFactory(UserFactory, role=Role.PROCESS_OWNER)

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.set(extracted)


class QmsStatementFactory(factory.django.DjangoModelFactory):
    """A draft of the quality policy, by a quality manager."""

    class Meta:
        model = QmsStatement

    kind = StatementKind.POLICY
    text = factory.Sequence(lambda n: f"We make parts right first time, version {n}.")
    owner = factory.SubFactory(UserFactory, role=Role.QUALITY_MANAGER)


# Management review (reviews)
# ------------------------------------------------------------------------------


class ManagementReviewFactory(factory.django.DjangoModelFactory):
    """A planned review chaired by a member of Leadership, covering the first half of 2026."""

    class Meta:
        model = "reviews.ManagementReview"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Management review {n}")
    owner = factory.SubFactory(UserFactory, role=Role.LEADERSHIP)
    planned_at = factory.LazyFunction(lambda: timezone.make_aware(datetime(2026, 7, 10, 9, 0)))
    period_start = date(2026, 1, 1)
    period_end = date(2026, 6, 30)


class ReviewDecisionFactory(factory.django.DjangoModelFactory):
    """An improvement decided on input f), with its action (owned by the decision's owner)."""

    class Meta:
        model = "reviews.ReviewDecision"

    review = factory.SubFactory(ManagementReviewFactory)
    reference = factory.LazyAttribute(lambda d: f"{d.review.reference}-D{d.review.decisions.count() + 1}")
    input = "f"
    kind = "improvement"
    title = factory.Sequence(lambda n: f"Decision {n}")
    owner = factory.SubFactory(UserFactory, role=Role.PROCESS_OWNER)
    due_date = factory.LazyAttribute(lambda d: d.review.period_end + timedelta(days=90))
    action = factory.LazyAttribute(
        lambda d: ActionFactory(title=d.title, kind=ActionKind.IMPROVEMENT, owner=d.owner, due_date=d.due_date)
    )


class ReviewAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.ReviewAttendance"

    review = factory.SubFactory(ManagementReviewFactory)
    person = factory.SubFactory(UserFactory)
