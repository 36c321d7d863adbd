"""Hostile input to the HTML pages and forms (issue 13), as each demo role, against a running server.

    .venv/bin/python bench/fuzz.py --base http://127.0.0.1:8000 --password demo --seconds 120

For each role (lead, quality, owner, auditor, viewer) it signs in, crawls (for a third of its time) the pages it can
reach from the dashboard (same origin; a few pages per URL pattern, so every kind of page is seen
without walking every record), and sends every form it finds (POST and GET filters alike) again
and again with one field changed at a time to a hostile value: huge strings, NUL bytes, odd
unicode, negative and huge numbers, impossible dates, ids of other records, a field sent twice or
left out. Half the requests carry HX-Request, as htmx would send them. Forms that end a session or
hand things over (sign-out, password, deactivate, hand-over, token revoke) are left alone, as is the
admin. Each role stops after `--seconds` or `--requests`.

Prints the count of answers by status and role, then every 500 (and, for the read-only viewer,
every POST that was accepted): the URL, the field and the value. Exits 1 when there was a 500.
Only sends to the --base given (run it against a server on this machine).
"""

import argparse
import json
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import requests

ROLES = ["lead", "quality", "owner", "auditor", "viewer"]
SEEDS = [
    "/",
    "/my-work/",
    "/actions/",
    "/processes/",
    "/objectives/",
    "/objectives/kpis/",
    "/objectives/my-measures/",
    "/risks/",
    "/audits/",
    "/audits/findings/",
    "/nonconformities/",
    "/reviews/",
    "/evidence-packs/",
    "/people/",
]
# Not followed and not sent: they end the session, change who may sign in, or move every record.
LEFT_ALONE = re.compile(r"/accounts/|/admin/|/deactivate/|/hand-over/|/revoke/|/api/|/download/|\.(pdf|xlsx|csv|svg)$")
PAGES_PER_PATTERN = 3
HUGE = "A" * 100_000
HOSTILE = [
    HUGE,
    "x\x00y",
    "\x00",
    "Zürich ‮ 名前 𝕏 \u200b",
    " ",
    "-1",
    "0",
    "-99999999999999999999",
    "99999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "1e309",
    "NaN",
    "-Infinity",
    "1.5",
    "0.0000000000000000000001",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "31/12/2026",
    "2026-13",
    "Q5 2026",
    "Week 99, 2026",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "../../etc/passwd",
    "%s%n%x",
    "[]",
    "KPI-001 / 0",
]
MISSING = object()


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kind, default)
    options: dict[str, list[str]] = field(default_factory=dict)


class Page(HTMLParser):
    """The links and forms of one HTML page."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url, self.links, self.forms = url, [], []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or self.url
            method = "post" if (a.get("method", "get").lower() == "post" or "hx-post" in a) else "get"
            multipart = a.get("enctype", "") == "multipart/form-data"
            self._form = Form(self.url, urljoin(self.url, action), method, multipart)
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                self._form.options.setdefault(a["name"], []).append(a.get("value", "on"))
                if "checked" not in a:
                    return
            self._form.fields.append((a["name"], kind, a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.append((a["name"], "select", ""))
            self._form.options.setdefault(a["name"], [])
        elif tag == "option" and self._select:
            self._form.options[self._select].append(a.get("value", ""))
            if "selected" in a or len(self._form.options[self._select]) == 1:
                self._set(self._select, a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields.append((a["name"], "textarea", ""))

    def _set(self, name: str, value: str) -> None:
        index = max(i for i, f in enumerate(self._form.fields) if f[0] == name)
        self._form.fields[index] = (name, self._form.fields[index][1], value)

    def handle_data(self, data):
        if self._textarea and self._form:
            name, kind, default = self._form.fields[-1]
            self._form.fields[-1] = (name, kind, default + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Fuzzer:
    def __init__(self, base: str, password: str, seconds: float, max_requests: int, workers: int, seed: int):
        self.base, self.password, self.seconds = base.rstrip("/"), password, seconds
        self.max_requests, self.workers = max_requests, workers
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: list[dict] = []
        self.accepted_by_viewer: list[dict] = []
        self.ids: set[str] = {"1", "2", "999999999"}

    # Sessions

    def sign_in(self, role: str) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.base}/accounts/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = session.post(
            f"{self.base}/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": role, "password": self.password},
            headers={"Referer": f"{self.base}/accounts/login/"},
            timeout=30,
        )
        if "sessionid" not in session.cookies or "/accounts/login/" in response.url:
            raise SystemExit(f"Could not sign in as {role}: check --password.")
        return session

    # Crawling

    def crawl(self, session: requests.Session, role: str, deadline: float) -> list[Form]:
        queue, seen, per_pattern, forms = [self.base + s for s in SEEDS], set(), Counter(), []
        while queue and time.monotonic() < deadline:
            url = urldefrag(queue.pop(0)).url
            path = urlsplit(url).path
            pattern = re.sub(r"\d+", "N", path)
            if url in seen or not url.startswith(self.base) or LEFT_ALONE.search(path):
                continue
            if per_pattern[pattern] >= PAGES_PER_PATTERN:
                continue
            seen.add(url)
            per_pattern[pattern] += 1
            response = self.send(session, role, "get", url, None, note="crawl")
            if response is None or "html" not in response.headers.get("Content-Type", ""):
                continue
            page = Page(response.url)
            page.feed(response.text)
            queue.extend(page.links)
            for form in page.forms:
                if not LEFT_ALONE.search(urlsplit(form.action).path):
                    forms.append(form)
                    for values in form.options.values():
                        self.ids.update(v for v in values if v.isdigit())
        return forms

    # Sending

    def send(self, session, role, method, url, data, *, files=None, note="", htmx=False):
        headers = {"Referer": url}
        if htmx:
            headers["HX-Request"] = "true"
        if method == "post":
            headers["X-CSRFToken"] = session.cookies.get("csrftoken", "")
        try:
            if method == "post":
                response = session.post(url, data=data, files=files, headers=headers, timeout=60, allow_redirects=False)
            else:
                response = session.get(url, params=data, headers=headers, timeout=60)
        except requests.RequestException as error:
            response, status = None, f"failed: {type(error).__name__}"
        else:
            status = str(response.status_code)
        with self.lock:
            self.statuses[role][status] += 1
            if status.startswith("5") or status.startswith("failed"):
                self.errors.append({"role": role, "method": method, "url": url, "note": note, "status": status})
            elif role == "viewer" and method == "post" and status in ("200", "201", "204", "302"):
                location = response.headers.get("Location", "") if response is not None else ""
                if status != "200" and "/accounts/login/" not in location:
                    self.accepted_by_viewer.append({"url": url, "note": note, "status": status})
        return response

    def mutations(self, form: Form):
        """The form as it is, then one field at a time changed to something hostile."""
        base = [(name, default) for name, kind, default in form.fields if kind != "file"]
        yield "as is", base, None
        names = [name for name, kind, _ in form.fields if name != "csrfmiddlewaretoken"]
        for name in dict.fromkeys(names):
            kind = next(k for n, k, _ in form.fields if n == name)
            if kind == "file":
                yield (
                    f"{name}=<junk file>",
                    base,
                    {name: ("x.pdf", b"%PDF-\x00" + bytes(range(256)), "application/pdf")},
                )
                continue
            values = self.random.sample(HOSTILE, 4) + [self.random.choice(sorted(self.ids))]
            for value in values:
                changed = [(n, value if n == name else v) for n, v in base]
                yield f"{name}={value[:40]!r}", changed, None
            yield f"{name} missing", [(n, v) for n, v in base if n != name], None
            yield f"{name} twice", [*base, (name, self.random.choice(HOSTILE[1:]))], None

    def fuzz_role(self, role: str) -> None:
        session = self.sign_in(role)
        start = time.monotonic()
        deadline = start + self.seconds
        forms = self.crawl(session, role, start + self.seconds / 3)
        jobs = [(form, note, data, files) for form in forms for note, data, files in self.mutations(form)]
        self.random.shuffle(jobs)
        jobs = jobs[: self.max_requests]
        print(f"{role}: {len(forms)} forms found, {len(jobs)} submissions planned", flush=True)

        def submit(job):
            form, note, data, files = job
            if time.monotonic() < deadline:
                self.send(
                    session,
                    role,
                    form.method,
                    form.action,
                    data,
                    files=files,
                    note=f"{form.page} -> {note}",
                    htmx=self.random.random() < 0.5,
                )

        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(submit, jobs))

    def report(self) -> int:
        for role, counts in self.statuses.items():
            print(
                f"{role}: {sum(counts.values())} requests, " + ", ".join(f"{s}: {n}" for s, n in sorted(counts.items()))
            )
        for error in self.errors:
            print("ERROR", json.dumps(error, ensure_ascii=False)[:600])
        for accepted in self.accepted_by_viewer:
            print("VIEWER WROTE?", json.dumps(accepted, ensure_ascii=False)[:600])
        return 1 if self.errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seconds", type=float, default=120, help="per role")
    parser.add_argument("--requests", type=int, default=3000, help="form submissions per role, at most")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if urlsplit(args.base).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--base must be a server on this machine")
    fuzzer = Fuzzer(args.base, args.password, args.seconds, args.requests, args.workers, args.seed)
    for role in args.roles.split(","):
        fuzzer.fuzz_role(role)
    return fuzzer.report()


if __name__ == "__main__":
    sys.exit(main())
