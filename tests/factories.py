from datetime import timedelta

import factory
from django.utils import timezone

from processes.choices import ProcessStatus, ProcessType
from processes.models import HandOff, Process
from qms.choices import ActionKind, OrgUnitKind, Role
from qms.models import Action, OrgUnit, User


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
