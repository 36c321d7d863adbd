"""HTML to PDF with WeasyPrint, fetching nothing but the app's own static files and the evidence
files the pack has checked.

Every URL in the HTML and CSS resolves against BASE_URL, a host that does not exist. The fetcher
serves `BASE_URL + "static/<path>"` from the app's static files (the staticfiles finders, so it works
without collectstatic) and `BASE_URL + "evidence/<n>"` from the files it was given, which the caller
resolved inside MEDIA_ROOT and checked against their SHA-256. Anything else is refused: other hosts,
http(s), file://, data:, and paths that climb out with "..". User text reaches the HTML autoescaped,
so it cannot add a URL; the fetcher is the second wall.
"""

import hashlib
import logging
import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

BASE_URL = "https://pack.invalid/"
STATIC_PREFIX = "static/"
PDF_OPTIONS = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}


class RefusedURL(ValueError):
    """A URL the pack may not fetch."""


@dataclass(frozen=True)
class CheckedFile:
    """An evidence file to embed: its bytes read from where the pack resolved it, checked against the
    SHA-256 taken at upload."""

    key: str  # its path below BASE_URL: "evidence/<attachment id>"
    name: str
    description: str
    media_type: str
    content: bytes

    @property
    def is_image(self) -> bool:
        return self.media_type in ("image/png", "image/jpeg", "image/gif", "image/webp")


def checked_file(
    path: str, *, key: str, sha256: str, name: str, description: str, media_type: str
) -> CheckedFile | None:
    """The stored file at `path` (relative to MEDIA_ROOT), if it lies inside MEDIA_ROOT and its
    content still has the SHA-256 recorded at upload; None (and a warning) otherwise."""
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / path).resolve()
    if not full.is_relative_to(root):
        logger.warning("Evidence file %s lies outside MEDIA_ROOT: not embedded", path)
        return None
    try:
        content = full.read_bytes()
    except OSError:
        logger.warning("Evidence file %s is missing: not embedded", path)
        return None
    if hashlib.sha256(content).hexdigest() != sha256:
        logger.warning("Evidence file %s no longer matches its SHA-256: not embedded", path)
        return None
    return CheckedFile(key=key, name=name, description=description, media_type=media_type, content=content)


def _weasyprint():
    # Imported when a PDF is made, not when the URLs load: it pulls in Pango and fonts.
    import weasyprint

    return weasyprint


def pack_fetcher(files: list[CheckedFile] = (), images: dict[str, str] | None = None):
    """A WeasyPrint URL fetcher that serves static files, the given checked files and the SVG
    pictures the pack drew itself (`images`, by path), nothing else."""
    weasyprint = _weasyprint()
    files = {file.key: file for file in files}
    images = images or {}

    class PackFetcher(weasyprint.urls.URLFetcher):
        def fetch(self, url, headers=None):
            path = own_path(url)
            if path.startswith(STATIC_PREFIX):
                found = finders.find(path.removeprefix(STATIC_PREFIX))
                if not found:
                    raise RefusedURL(f"No static file {path}")
                media_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
                return weasyprint.urls.URLFetcherResponse(
                    url, Path(found).read_bytes(), headers={"Content-Type": media_type}
                )
            if path in images:
                return weasyprint.urls.URLFetcherResponse(url, images[path], headers={"Content-Type": "image/svg+xml"})
            if path in files:
                checked = files[path]
                return weasyprint.urls.URLFetcherResponse(
                    url, checked.content, headers={"Content-Type": checked.media_type}
                )
            raise RefusedURL(f"Not fetched: {url}")

    return PackFetcher(allowed_protocols=["https"], allow_redirects=False)


def own_path(url: str) -> str:
    """The path of `url` below BASE_URL, normalised; RefusedURL for any other URL, and for a path
    that climbs out of it."""
    if not url.startswith(BASE_URL):
        raise RefusedURL(f"Not fetched: {url[:100]}")
    parts = urlsplit(url)
    if parts.query or parts.username or parts.password or parts.port:
        raise RefusedURL(f"Not fetched: {url[:100]}")
    raw = unquote(parts.path).lstrip("/")
    path = posixpath.normpath(raw)
    if raw != path or path.startswith(("..", "/")) or "\\" in path or "\x00" in path:
        raise RefusedURL(f"Not fetched: {url[:100]}")
    return path


@dataclass
class RenderedPDF:
    content: bytes
    pages: int


def html_to_pdf(
    html: str, *, files: list[CheckedFile] = (), images: dict[str, str] | None = None, progress=None
) -> RenderedPDF:
    """The HTML as a tagged PDF/A-3b, with the checked `files` embedded as files of the PDF (and
    fetchable by the HTML, for pictures) and the drawn SVG `images` fetchable by their paths.
    `progress(n)` is told when layout is done (n = 70) and when the PDF is written (n = 95)."""
    weasyprint = _weasyprint()
    fetcher = pack_fetcher(files, images)
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(**PDF_OPTIONS)
    if progress:
        progress(70)
    embedded = [
        weasyprint.Attachment(
            string=file.content,
            name=file.name,
            description=file.description or file.name,
            relationship="Supplement",
        )
        for file in files
    ]
    content = document.write_pdf(attachments=embedded, **PDF_OPTIONS)
    if progress:
        progress(95)
    return RenderedPDF(content=content, pages=len(document.pages))


def template_to_pdf(template: str, context: dict, **kwargs) -> RenderedPDF:
    return html_to_pdf(render_to_string(template, context), **kwargs)
