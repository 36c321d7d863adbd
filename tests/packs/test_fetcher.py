"""The pack fetches nothing but its own static files and the evidence files it checked: hostile
record text is escaped, and any URL that reaches the fetcher anyway is refused."""

import pytest

from packs.render import BASE_URL, RefusedURL, checked_file, html_to_pdf, own_path, pack_fetcher
from tests.packs.conftest import needs_poppler, pdf_text, rendered, scope_pack

HOSTILE = [
    "http://evil.example/x.png",
    "https://evil.example/x.css",
    "file:///etc/passwd",
    "data:image/svg+xml;base64,PHN2Zy8+",
    "ftp://evil.example/x",
    BASE_URL + "../etc/passwd",
    BASE_URL + "static/../../../etc/passwd",
    BASE_URL + "static/%2e%2e/%2e%2e/etc/passwd",
    BASE_URL + "media/evidence/2026/01/secret.pdf",
    BASE_URL + "evidence/999",
    "https://pack.invalid.evil.example/static/packs/pack.css",
    "https://user@pack.invalid/static/packs/pack.css",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_the_fetcher_refuses_anything_but_its_own_files(url):
    fetcher = pack_fetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_the_fetcher_serves_the_apps_static_files():
    response = pack_fetcher().fetch(BASE_URL + "static/packs/pack.css")
    assert b"@page" in response.read() and response.content_type == "text/css"
    assert own_path(BASE_URL + "static/packs/pack.css") == "static/packs/pack.css"


def test_a_checked_file_outside_media_root_or_changed_is_not_served(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "secret.txt").write_bytes(b"secret")
    outside = checked_file("../secret.txt", key="evidence/1", sha256="0" * 64, name="x", description="", media_type="")
    assert outside is None
    (tmp_path / "media" / "a.txt").write_bytes(b"evidence")
    changed = checked_file("a.txt", key="evidence/1", sha256="0" * 64, name="a", description="", media_type="")
    assert changed is None


@needs_poppler
def test_html_that_names_other_urls_fetches_nothing(tmp_path, caplog):
    html = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd">'
        "<style>body { background: url(http://evil.example/bg.png) }</style></head>"
        '<body><img src="http://evil.example/x.png"><img src="../../../etc/passwd"><p>Safe text</p></body></html>'
    )
    rendered = html_to_pdf(html)
    path = tmp_path / "x.pdf"
    path.write_bytes(rendered.content)
    assert "Safe text" in pdf_text(path)
    refused = [r.getMessage() for r in caplog.records if "Not fetched" in r.getMessage() or "Failed" in r.getMessage()]
    assert len(refused) >= 4
    assert "root:" not in pdf_text(path)


@pytest.mark.django_db
@needs_poppler
def test_hostile_record_text_is_shown_as_text_and_fetches_nothing(world, auditor, caplog):
    world.risk.title = '<img src="http://evil.example/x"> file:///etc/passwd'
    world.risk.description = "<style>@import url(http://evil.example/a.css)</style><link rel=stylesheet href=x.css>"
    world.risk.save()
    pack = rendered(scope_pack(auditor))
    text = pdf_text(pack.file.path)
    assert '<img src="http://evil.example/x">' in text.replace("\n", "")
    assert "@import url(http://evil.example/a.css)" in text
    assert not [r for r in caplog.records if "evil.example" in r.getMessage()]  # never even asked for
