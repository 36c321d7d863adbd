"""Receiving evidence files: within the size limit, hashed as they stream in, under a clean name.

A request larger than the most an upload may hold (EVIDENCE_MAX_FILES files of EVIDENCE_MAX_UPLOAD_MB)
is refused on its Content-Length, before any of it is read. Within it, `EvidenceUploadHandler`
writes each file to a temporary file while taking its SHA-256 and size, and stops storing a file the
moment it passes the limit: the rest of it is read past, never kept.
"""

import hashlib
import re
import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .filetypes import FileType

MAX_NAME_LENGTH = 150
# Room in a request for the form's other fields and the multipart framing around the files.
REQUEST_OVERHEAD = 1024 * 1024


def max_file_bytes() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024


def max_request_bytes() -> int:
    return settings.EVIDENCE_MAX_FILES * max_file_bytes() + REQUEST_OVERHEAD


def too_large_message() -> str:
    return _("It is larger than %(size)s MB, the most a file may be.") % {
        "size": number_format(settings.EVIDENCE_MAX_UPLOAD_MB)
    }


def request_too_large_message() -> str:
    return _("These files are more than one upload may hold (%(count)s files of %(size)s MB each).") % {
        "count": settings.EVIDENCE_MAX_FILES,
        "size": number_format(settings.EVIDENCE_MAX_UPLOAD_MB),
    }


def file_problem(name: str, problem: str) -> str:
    """A refusal that names the file: “scan.exe”: This is not a kind of file we keep…"""
    return _("“%(name)s”: %(problem)s") % {"name": name, "problem": problem}


def too_many_message() -> str:
    return _("Attach at most %(count)s files at once.") % {"count": settings.EVIDENCE_MAX_FILES}


def request_too_large(request: HttpRequest) -> bool:
    """Whether the request says it is larger than any upload may be (checked before reading it)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # Django's own parser refuses a malformed length
    return length > max_request_bytes()


class EvidenceUploadHandler(FileUploadHandler):
    """Streams each uploaded file to a temporary file, taking its SHA-256 and counting its bytes as
    they arrive (the file gets `.sha256`). A file past the size limit, or past the number of files
    one upload may hold, is not stored: its name is kept in `refused` with the reason."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.refused: list[str] = []
        self.count = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.count += 1
        self.digest = hashlib.sha256()
        self.received = 0
        self.file = TemporaryUploadedFile(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)
        if self.count > settings.EVIDENCE_MAX_FILES:
            if self.count == settings.EVIDENCE_MAX_FILES + 1:
                self.refused.append(too_many_message())
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > max_file_bytes():
            self.refused.append(file_problem(self.file_name, too_large_message()))
            raise SkipFile
        self.digest.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.digest.hexdigest()
        return self.file

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            self.file.close()


def install_upload_handler(request: HttpRequest) -> EvidenceUploadHandler:
    """Make `request` read its files through an EvidenceUploadHandler; call before the body is read."""
    handler = EvidenceUploadHandler(request)
    request.upload_handlers = [handler]
    return handler


def file_sha256(file) -> str:
    """The SHA-256 of a file not received through the handler (the demo, the shell), read in chunks."""
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def clean_file_name(name: str, file_type: FileType) -> str:
    """The name to show and to download a file under: its last path part only, without control or
    invisible formatting characters (line breaks, right-to-left overrides), on one line, at most
    MAX_NAME_LENGTH characters, ending with an extension of its real type ("scan.png" of a PDF
    becomes "scan.png.pdf")."""
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if unicodedata.category(char).startswith("C") else char for char in name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in file_type.extensions:
        stem, suffix = name, file_type.extension[1:]
    stem = stem.strip(" .")[: MAX_NAME_LENGTH - len(suffix) - 1].rstrip(" .") or _("file")
    return f"{stem}.{suffix}"


def attachment_disposition(name: str) -> str:
    """Content-Disposition for downloading a file as `name` (RFC 6266): always an attachment, with an
    ASCII fallback for old clients and the exact name as UTF-8 in filename*."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9 ._()\[\]+,-]", "_", fallback).strip() or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
