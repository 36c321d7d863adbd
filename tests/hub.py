"""The process page as a browser shows it: the page, then each section it loads (see qms.hub)."""

import html
import re

from django.urls import reverse

from qms.hub import section_names

PLACEHOLDER = re.compile(r'<section class="[^"]*section-loading" hx-get="([^"]+)".*?</section>', re.S)


def section_url(process, name: str) -> str:
    return reverse("processes:process_section", args=[process.pk, name])


def get_section(client, process, name: str):
    """One section as the page asks for it: an htmx request."""
    return client.get(section_url(process, name), headers={"HX-Request": "true"})


def process_page(client, process) -> str:
    """The page's HTML with every section in its place, as htmx swaps them in."""
    response = client.get(process.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert len(PLACEHOLDER.findall(page)) == len(section_names("process"))

    def load(match):
        section = client.get(html.unescape(match[1]), headers={"HX-Request": "true"})
        assert section.status_code == 200
        return section.content.decode()

    return PLACEHOLDER.sub(load, page)
