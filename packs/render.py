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
from types import SimpleNamespace
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


def lay_out(html):
    """The laid-out Document of a weasyprint.HTML, with PDF_OPTIONS, each page laid out once but the
    contents page (twice).

    The contents and the index give page numbers with `target-counter(attr(href), page)`. In
    WeasyPrint 70 such a lookup is filed under the anchor name None (the name of an `attr()` token is
    not resolved), so the update meant for it never comes; it works only because
    `compute_content_list` (build.py) reuses the name `missing_counters` for the target's list, so
    the lookup also waits for a local `page` counter, and every page holding one is laid out again
    whenever its page counters change: three layouts of the contents page and of every index page.
    The collector below, given to this document only, files each lookup under the anchor it names
    and takes no target's counter for a local one; a box that points back (the index) then gets its
    numbers as soon as its target is placed, before its own page is laid out, and the contents page,
    which points forward, is laid out again once its targets are placed. A WeasyPrint without these
    internals renders as it always does."""
    options = {**DEFAULT_OPTIONS, **PDF_OPTIONS} if (DEFAULT_OPTIONS := _default_options()) else None
    collector = _once_targets()
    if options is None or collector is None:  # pragma: no cover - another WeasyPrint
        return html.render(**PDF_OPTIONS)
    from weasyprint.document import Document

    class OnceDocument(Document):
        @classmethod
        def _build_layout_context(cls, *args, **kwargs):
            context = super()._build_layout_context(*args, **kwargs)
            if type(context.target_collector) is collector.__mro__[1]:
                context.target_collector.__class__ = collector
            return context

    return OnceDocument._render(html, None, None, None, options)


def _default_options() -> dict | None:
    try:
        from weasyprint import DEFAULT_OPTIONS
        from weasyprint.document import Document
    except ImportError:  # pragma: no cover - another WeasyPrint
        return None
    return DEFAULT_OPTIONS if hasattr(Document, "_build_layout_context") and hasattr(Document, "_render") else None


def _once_targets():
    """WeasyPrint's TargetCollector, mended as lay_out() says; None if it is not the one we know."""
    try:
        from weasyprint.css.targets import TargetCollector, anchor_name_from_token
        from weasyprint.urls import get_url_tuple
    except ImportError:  # pragma: no cover - another WeasyPrint
        return None
    if not all(hasattr(TargetCollector, name) for name in ("collect_missing_counters", "cache_target_page_counters")):
        return None  # pragma: no cover

    def anchor_names(box) -> list[str]:
        """The anchors the `content` of `box` looks up, as lookup_target() resolves them."""
        names = []
        for kind, value in box.style["content"] if isinstance(box.style["content"], (list, tuple)) else ():
            if kind not in ("target-counter()", "target-counters()", "target-text()"):
                continue
            token = value[0]
            if token[0] == "attr()":
                attr_name, attr_type, fallback = token[1]
                attr_value = box.element.get(attr_name, fallback)
                if attr_type == "string":
                    token = ("string", attr_value)
                elif attr_type == "url":
                    token = ("url", get_url_tuple(attr_value, box.style.base_url))
            if name := anchor_name_from_token(token):
                names.append(name)
        return names

    class OnceTargets(TargetCollector):
        def collect_missing_counters(self, parent_box, css_token, parse_again, missing_counters, missing_targets):
            if any(missing_counters is names for names in missing_targets.values()):
                missing_counters = []  # the target's counters, not the box's own
            if None in missing_targets and css_token == "content":
                wanted = missing_targets.pop(None)
                missing_targets.update((name, list(wanted)) for name in anchor_names(parent_box))
            super().collect_missing_counters(parent_box, css_token, parse_again, missing_counters, missing_targets)

        def cache_target_page_counters(self, anchor_name, page_counter_values, page_maker_index, page_maker):
            super().cache_target_page_counters(anchor_name, page_counter_values, page_maker_index, page_maker)
            if self.collecting:
                return
            for (_box, css_token), item in self.counter_lookup_items.items():
                if css_token == "content" and item.pending and anchor_name in item.missing_target_counters:
                    item.parse_again(item.cached_page_counter_values)  # reads the target's page, placed now
                    item.pending = False

    return OnceTargets


def write(document, **options) -> bytes:
    """The laid-out document as PDF bytes, with PDF_OPTIONS.

    Tags and links name the page they are on with `pdf.page_references[n]`, a pydyf property that
    builds the references of every page on each call: about 23,000 calls for a 100-page pack, each
    making 100 strings. While this document is written, WeasyPrint's PDF keeps that tuple until a
    page is added; nothing else changes."""
    try:
        import pydyf
        import weasyprint.pdf as weasyprint_pdf
    except ImportError:  # pragma: no cover - another WeasyPrint
        return document.write_pdf(**options, **PDF_OPTIONS)
    if getattr(weasyprint_pdf, "pydyf", None) is not pydyf or not isinstance(
        getattr(pydyf.PDF, "page_references", None), property
    ):
        return document.write_pdf(**options, **PDF_OPTIONS)  # pragma: no cover - another WeasyPrint

    class PDF(pydyf.PDF):
        @property
        def page_references(self):
            count = len(self.pages["Kids"])
            if getattr(self, "_references_of", None) != count:
                self._references, self._references_of = super().page_references, count
            return self._references

    weasyprint_pdf.pydyf = SimpleNamespace(**{**vars(pydyf), "PDF": PDF})
    try:
        return document.write_pdf(**options, **PDF_OPTIONS)
    finally:
        weasyprint_pdf.pydyf = pydyf


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
    document = lay_out(weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher))
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
    content = write(document, attachments=embedded)
    if progress:
        progress(95)
    return RenderedPDF(content=content, pages=len(document.pages))


def template_to_pdf(template: str, context: dict, **kwargs) -> RenderedPDF:
    return html_to_pdf(render_to_string(template, context), **kwargs)
