from django.db.models import Count, Q
from django.views.generic import DetailView, ListView

from qms.choices import ActionStatus
from qms.filters import UserFilterSet
from qms.models import Action, OrgUnit, User
from qms.views.generic import htmx_partial


class UserListView(ListView):
    """People are managed in the admin by quality managers; here everyone can find who does what."""

    template_name = "qms/user_list.html"
    paginate_by = 25

    def get_queryset(self):
        people = (
            User.objects.filter(is_active=True)
            .select_related("org_unit")
            .annotate(
                open_actions=Count("qms_action_owned", filter=Q(qms_action_owned__status__in=ActionStatus.active()))
            )
            .order_by("first_name", "last_name", "pk")
        )
        self.filterset = UserFilterSet(self.request.GET or None, queryset=people, request=self.request)
        return self.filterset.qs

    def get_template_names(self) -> list[str]:
        return [f"{self.template_name}#results"] if htmx_partial(self.request) else [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["is_filtered"] = any(v for k, v in self.request.GET.items() if k not in ("page", "o"))
        return context


class UserDetailView(DetailView):
    template_name = "qms/user_detail.html"
    queryset = User.objects.select_related("org_unit", "org_unit__parent")
    context_object_name = "person"

    def get_context_data(self, **kwargs):
        from processes.models import Process

        context = super().get_context_data(**kwargs)
        person = self.object
        context["actions"] = (
            Action.objects.owned_by(person).active().select_related("owner").prefetch_related("processes")[:50]
        )
        context["processes"] = Process.objects.owned_by(person).select_related("org_unit")
        context["more_url_query"] = f"owner={person.pk}"
        return context


class OrgUnitListView(ListView):
    """The organisation as a tree of sites, departments and teams."""

    template_name = "qms/orgunit_list.html"
    queryset = OrgUnit.objects.annotate(member_count=Count("members", filter=Q(members__is_active=True)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        units = list(context["object_list"])
        children: dict[int | None, list[OrgUnit]] = {}
        for unit in units:
            children.setdefault(unit.parent_id, []).append(unit)

        def walk(parent_id, depth):
            for unit in children.get(parent_id, []):
                unit.depth = depth
                yield unit
                yield from walk(unit.pk, depth + 1)

        context["tree"] = list(walk(None, 0))
        return context
