"""How much of a list's time is the template language? The action list's first page of rows, drawn
three ways from the same records (issue 12):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qms_enterprise_bench .venv/bin/python bench/rows.py

1. as the list draws them: the template language, `qms/_action_row.html` included for each row;
2. the same markup in Jinja2, with the same helpers (translations, dates, status badge, addresses);
3. plain Python f-strings calling the same helpers: the floor, what the rows cost with no template
   engine at all.

The three must give the same HTML (whitespace aside), or the script stops: a faster engine that
draws something else proves nothing. Prints each one's p50 and its ratio to the floor.
"""

import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings_bench"

import dataset  # noqa: E402  (bench/dataset.py)

ROW_JINJA2 = """{% for action in object_list %}<tr{% if action.is_overdue %} class="row-overdue"{% endif %}>
  <td class="text-nowrap"><a class="ref" href="{{ action.get_absolute_url() }}">{{ action.reference }}</a></td>
  <td>
    <a href="{{ action.get_absolute_url() }}" class="fw-medium text-body">{{ action.title }}</a>
    <div class="small text-body-secondary">{{ action.get_kind_display() }}{% for process in action.linked_processes %} · {{ process.name }}{% endfor %}</div>
  </td>
  <td class="text-nowrap">{{ action.owner }}</td>
  <td class="text-nowrap">
    {{ action.due_date|date("j M Y") }}
    {% if action.is_overdue %}<span class="badge text-bg-danger ms-1">{{ _("Overdue") }}</span>{% endif %}
  </td>
  <td class="text-nowrap">{{ status_badge(action) }}</td>
  <td class="small">{% if action.source %}<a href="{{ action.source.get_absolute_url() }}">{{ action.source.reference }}</a>{% else %}<span class="text-body-secondary">—</span>{% endif %}</td>
</tr>{% endfor %}"""  # noqa: E501  (the template's own lines)


def rows_in_python(object_list) -> str:
    from django.utils.dateformat import format as date_format
    from django.utils.html import escape
    from django.utils.translation import gettext

    from qms.templatetags.qms import status_badge

    html = []
    for action in object_list:
        url, overdue, source = action.get_absolute_url(), action.is_overdue, action.source
        processes = "".join(f" · {escape(process.name)}" for process in action.linked_processes)
        badge = f'<span class="badge text-bg-danger ms-1">{escape(gettext("Overdue"))}</span>' if overdue else ""
        source_cell = (
            f'<a href="{source.get_absolute_url()}">{escape(source.reference)}</a>'
            if source
            else '<span class="text-body-secondary">—</span>'
        )
        row_class = ' class="row-overdue"' if overdue else ""
        html.append(
            f"<tr{row_class}>"
            f'<td class="text-nowrap"><a class="ref" href="{url}">{escape(action.reference)}</a></td>'
            f'<td><a href="{url}" class="fw-medium text-body">{escape(action.title)}</a>'
            f'<div class="small text-body-secondary">{escape(action.get_kind_display())}{processes}</div></td>'
            f'<td class="text-nowrap">{escape(str(action.owner))}</td>'
            f'<td class="text-nowrap">{date_format(action.due_date, "j M Y")}{badge}</td>'
            f'<td class="text-nowrap">{status_badge(action)}</td>'
            f'<td class="small">{source_cell}</td></tr>'
        )
    return "".join(html)


def first_page_of_actions(user) -> list:
    """The rows of the action list's first page, read as the list reads them."""
    from django.test import RequestFactory

    from qms.views.actions import ActionListView

    request = RequestFactory().get("/actions/", SERVER_NAME="localhost")
    request.user = request._cached_user = user
    request.htmx = False
    view = ActionListView()
    view.setup(request)
    view.object_list = view.get_queryset()
    rows = list(view.get_context_data()["object_list"])
    for action in rows:
        action.source  # noqa: B018  (read before timing: the list reads them in its prefetch)
    return rows


def p50_ms(draw, runs: int) -> float:
    draw()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        draw()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    dataset.setup()
    dataset.build()

    import jinja2
    from django.template import engines
    from django.utils import translation
    from django.utils.dateformat import format as date_format
    from django.utils.translation import gettext, ngettext

    from qms.models import User
    from qms.templatetags.qms import status_badge

    translation.activate("en")
    object_list = first_page_of_actions(User.objects.get(username="quality"))
    template_language = engines["django"].from_string(
        '{% for action in object_list %}{% include "qms/_action_row.html" with show_source=True %}{% endfor %}'
    )
    environment = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)
    environment.filters["date"] = date_format
    environment.globals["status_badge"] = status_badge
    in_jinja2 = environment.from_string(ROW_JINJA2)
    ways = {
        "template language (as the list)": lambda: template_language.render({"object_list": object_list}),
        "Jinja2, same markup": lambda: in_jinja2.render(object_list=object_list),
        "plain Python (the floor)": lambda: rows_in_python(object_list),
    }
    drawn = {name: re.sub(r"\s+", "", draw()) for name, draw in ways.items()}
    if len(set(drawn.values())) != 1:
        raise SystemExit("The three ways draw different HTML; bring this script in line with the template.")
    times = {name: p50_ms(draw, runs=300) for name, draw in ways.items()}
    floor = times["plain Python (the floor)"]
    size = len(drawn["plain Python (the floor)"])
    print(f"The action list's first page: {len(object_list)} rows, {size:,} characters of HTML, whitespace aside")
    for name, ms in times.items():
        print(f"  {name:<34} p50 {ms:6.2f} ms   {ms / floor:4.1f}x the floor")


if __name__ == "__main__":
    main()
