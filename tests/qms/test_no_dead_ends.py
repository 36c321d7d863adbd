"""No control leads to a dead end: in every role, every link and form a page shows is one the
person may follow. The crawl starts at the dashboard of the demo organisation, follows what each
page offers (links, htmx requests and forms, posting forms as shown inside a rolled-back
transaction), and fails on any 403 or server error it meets."""

from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from qms.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

# The demo's cast: one person per role.
ROLES = ["lead", "quality", "owner", "auditor", "cnc", "viewer"]
# How many pages of one kind the crawl visits: of a record's pages, that many per state and per
# whether the person owns it (so it meets a closed action of their own, say), few enough to keep
# the crawl quick.
PER_KIND = 1
# Leaving the product's pages: signing out, the API's browsable pages and the Django admin.
NOT_FOLLOWED = ("/accounts/logout/", "/api/", "/admin/", "/static/", "/media/")


class Controls(HTMLParser):
    """The links, htmx requests and forms of a page, with each form's fields as shown."""

    def __init__(self):
        super().__init__()
        self.gets: list[str] = []
        self.posts: list[tuple[str, dict]] = []
        self._form: tuple[str, dict] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.gets.append(attrs["href"])
        if attrs.get("hx-get"):
            self.gets.append(attrs["hx-get"])
        if attrs.get("hx-post") and tag != "form":
            self.posts.append((attrs["hx-post"], {}))
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            action = attrs.get("hx-post") or attrs.get("action") or ""
            self._form = (action, {}) if method == "post" or attrs.get("hx-post") else None
            if method == "get" and not attrs.get("hx-post"):
                self.gets.append(attrs.get("action") or "")
        if self._form is not None and tag in ("input", "button", "textarea") and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button") or tag == "button":
                self._form[1].setdefault(attrs["name"], attrs.get("value", ""))
            else:
                self._form[1][attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.posts.append(self._form)
            self._form = None


def _kind(path: str, user) -> tuple | None:
    """What makes pages alike: the URL pattern and, for a record's page, its state and whether
    `user` owns it. None for a path that is not one of the product's."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    model = getattr(getattr(getattr(match.func, "view_class", None), "queryset", None), "model", None)
    if model is None or "pk" not in match.kwargs:
        return (match.route,)
    fields = [f for f in ("owner_id", "status") if f in {field.attname for field in model._meta.concrete_fields}]
    row = model._base_manager.filter(pk=match.kwargs["pk"]).values(*fields).first() or {}
    return (match.route, row.get("owner_id") == user.pk, row.get("status"))


def _crawl(client: Client, user) -> list[str]:
    """Visit what the dashboard leads to; return every control that answered 403 or failed."""
    problems, seen, per_kind = [], set(), Counter()
    queue = deque([("GET", "/", {}, "start")])
    while queue:
        method, url, data, found_on = queue.popleft()
        path = urlsplit(url).path
        key = (method, url if method == "GET" else path)
        if key in seen or path.startswith(NOT_FOLLOWED) or (kind := _kind(path, user)) is None:
            continue
        seen.add(key)
        per_kind[(method, kind)] += 1
        if per_kind[(method, kind)] > PER_KIND:
            continue
        if method == "GET":
            response = client.get(url)
        else:
            with transaction.atomic():
                response = client.post(url, data)
                transaction.set_rollback(True)
        if response.status_code == 403 or response.status_code >= 500:
            problems.append(f"{method} {url} -> {response.status_code} (shown on {found_on})")
            continue
        if method == "POST" or not response.get("Content-Type", "").startswith("text/html"):
            continue
        controls = Controls()
        controls.feed(response.content.decode())
        for href in controls.gets:
            target = urljoin(url, href)
            if urlsplit(target).netloc in ("", "testserver") and not href.startswith(("#", "mailto:")):
                queue.append(("GET", urlsplit(target)._replace(scheme="", netloc="").geturl(), {}, url))
        for action, fields in controls.posts:
            queue.append(("POST", urljoin(url, action) if action else url, fields, url))
    return problems


@pytest.mark.parametrize("username", ROLES)
def test_every_control_a_role_is_shown_leads_somewhere(username):
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)

    problems = _crawl(client, user)

    assert not problems, "\n".join(problems)
