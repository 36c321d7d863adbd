"""What an evidence file is, judged by its content alone: never by its name or by the type the
browser sent, both of which the uploader chooses.

The allow-list and why:
- PDF, PNG, JPEG, WebP and GIF: documents, scans and photos, the bulk of audit evidence. Images
  are opened with Pillow and verified, which refuses a file that only starts like an image.
- Office Open XML (Word, Excel, PowerPoint) and OpenDocument (text, spreadsheet, presentation):
  the working documents of most organisations. Both are zip archives; we check the archive before
  trusting it (member count, unpacked size, compression ratio, no encryption) and read only its
  small manifest, which must name a document of the allowed kind. Macro-enabled variants and
  archives carrying macros are refused.
- Plain text (and so CSV): UTF-8 without NUL or other control bytes.

Refused, whatever the name: HTML and SVG (active content a browser would run), any other zip,
legacy binary Office files (macros), executables, and anything else unknown. Files whose first
kilobyte holds HTML markup are refused too, so a polyglot (an image or PDF that a browser could also
read as a page) never gets in. Downloads are always attachments with nosniff as well.

A table of signatures rather than a library: the list is short, each entry is checked further than
its magic number, and a library would only replace the first line of each check.
"""

import codecs
import re
import warnings
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from PIL import Image, UnidentifiedImageError

HEAD_BYTES = 4096
# Markup a browser would render as a page or run; HTML sniffing looks at the start of a file.
ACTIVE_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|object|embed)[\s>/]", re.I)
# A zip archive is trusted only within these bounds, checked on its directory before any member is read.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_UNPACKED_BYTES = 512 * 1024 * 1024
ZIP_MAX_RATIO = 200
ZIP_RATIO_CHECKED_FROM = 1024 * 1024  # small members may compress well (a sheet of zeros)
ZIP_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    """A kind of file we keep as evidence: its media type (stored and sent on download), the
    extensions a name of it may end with (the first is added when the name ends otherwise), what
    people call it, and its Bootstrap icon."""

    media_type: str
    extensions: tuple[str, ...]
    label: str
    icon: str

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
PDF = FileType("application/pdf", (".pdf",), _lazy("PDF"), "file-earmark-pdf")
PNG = FileType("image/png", (".png",), _lazy("PNG image"), "file-earmark-image")
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), _lazy("JPEG image"), "file-earmark-image")
WEBP = FileType("image/webp", (".webp",), _lazy("WebP image"), "file-earmark-image")
GIF = FileType("image/gif", (".gif",), _lazy("GIF image"), "file-earmark-image")
DOCX = FileType(f"{_OOXML}.wordprocessingml.document", (".docx",), _lazy("Word document"), "file-earmark-word")
XLSX = FileType(f"{_OOXML}.spreadsheetml.sheet", (".xlsx",), _lazy("Excel workbook"), "file-earmark-excel")
PPTX = FileType(f"{_OOXML}.presentationml.presentation", (".pptx",), _lazy("PowerPoint"), "file-earmark-ppt")
ODT = FileType(f"{_ODF}.text", (".odt",), _lazy("OpenDocument text"), "file-earmark-richtext")
ODS = FileType(f"{_ODF}.spreadsheet", (".ods",), _lazy("OpenDocument spreadsheet"), "file-earmark-spreadsheet")
ODP = FileType(f"{_ODF}.presentation", (".odp",), _lazy("OpenDocument presentation"), "file-earmark-slides")
TEXT = FileType("text/plain", (".txt", ".csv", ".tsv", ".log", ".md", ".json"), _lazy("Text"), "file-earmark-text")

ALLOWED = (PDF, PNG, JPEG, WEBP, GIF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TEXT)
BY_MEDIA_TYPE = {file_type.media_type: file_type for file_type in ALLOWED}
# The file picker's hint; the server decides by content whatever the picker let through.
ACCEPT = ",".join(ext for file_type in ALLOWED for ext in file_type.extensions)

# Signatures of the images Pillow checks, with the format it must find.
IMAGES = {
    b"\x89PNG\r\n\x1a\n": (PNG, "PNG"),
    b"\xff\xd8\xff": (JPEG, "JPEG"),
    b"GIF87a": (GIF, "GIF"),
    b"GIF89a": (GIF, "GIF"),
}
# The part each Office Open XML document names in its [Content_Types].xml, with the type it makes.
OOXML_MAIN_PARTS = {
    f"{_OOXML}.wordprocessingml.document.main+xml".encode(): DOCX,
    f"{_OOXML}.spreadsheetml.sheet.main+xml".encode(): XLSX,
    f"{_OOXML}.presentationml.presentation.main+xml".encode(): PPTX,
}
ODF_TYPES = {ODT.media_type.encode(): ODT, ODS.media_type.encode(): ODS, ODP.media_type.encode(): ODP}


def type_of(media_type: str) -> FileType | None:
    return BY_MEDIA_TYPE.get(media_type)


def identify(file: BinaryIO) -> FileType:
    """The allowed type `file`'s content shows, or a ValidationError saying why it is refused.

    1. An empty file, or one whose first kilobytes hold HTML or SVG markup, is refused.
    2. The magic number picks the candidate type: PDF, an image, or a zip archive.
    3. Each candidate is checked further: a PDF ends with its end-of-file marker, an image opens
       and verifies in Pillow, an archive is an Office document of an allowed kind.
    4. With no magic number, the file is taken as plain text if it is UTF-8 without control bytes.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not head:
        raise ValidationError(_("The file is empty."), code="empty")
    if ACTIVE_MARKUP.search(head[:1024]) or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise ValidationError(
            _("HTML, SVG and other markup are not kept: they can carry active content. Attach a PDF or an image."),
            code="markup",
        )
    if head.startswith(b"%PDF-"):
        return _checked_pdf(file)
    for magic, (file_type, pillow_format) in IMAGES.items():
        if head.startswith(magic):
            return _checked_image(file, file_type, pillow_format)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _checked_image(file, WEBP, "WEBP")
    if head.startswith(b"PK\x03\x04"):
        return _checked_office(file)
    return _checked_text(file)


def _refused() -> ValidationError:
    return ValidationError(
        _(
            "This is not a kind of file we keep as evidence. Attach a PDF, an image (PNG, JPEG, WebP, GIF), an "
            "Office or OpenDocument file, or plain text."
        ),
        code="type",
    )


def _damaged(kind: str) -> ValidationError:
    return ValidationError(
        _("This file starts like a %(kind)s but is damaged or is not one.") % {"kind": kind}, code="damaged"
    )


def _checked_pdf(file: BinaryIO) -> FileType:
    file.seek(0, 2)
    end = file.tell()
    file.seek(max(0, end - 2048))
    tail = file.read()
    file.seek(0)
    if b"%%EOF" not in tail:
        raise _damaged("PDF")
    return PDF


def _checked_image(file: BinaryIO, file_type: FileType, pillow_format: str) -> FileType:
    """Pillow must open the image as the format its signature claims and verify it; an image of more
    pixels than Pillow's decompression-bomb limit is refused rather than warned about."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=[pillow_format]) as image:
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        if isinstance(error, Image.DecompressionBombError | Image.DecompressionBombWarning):
            raise ValidationError(_("This image has too many pixels to keep."), code="bomb") from None
        raise _damaged(str(file_type.label)) from None
    except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow raises for broken data
        raise _damaged(str(file_type.label)) from None
    finally:
        file.seek(0)
    return file_type


def _checked_office(file: BinaryIO) -> FileType:
    """An Office Open XML or OpenDocument file: a zip archive within bounds, without macros, whose
    manifest names one allowed kind of document. Only the manifest is read (bounded)."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            _check_archive(members)
            names = {member.filename for member in members}
            if any(_is_macro(name) for name in names):
                raise ValidationError(_("Files with macros are not kept. Save it without macros."), code="macros")
            if "[Content_Types].xml" in names:
                manifest = _read_member(archive, "[Content_Types].xml")
                declared = set(re.findall(rb'ContentType\s*=\s*"([^"]+)"', manifest))
                if any(b"macroenabled" in content_type.lower() for content_type in declared):
                    raise ValidationError(_("Files with macros are not kept. Save it without macros."), code="macros")
                kinds = {OOXML_MAIN_PARTS[c] for c in declared if c in OOXML_MAIN_PARTS}
                if len(kinds) == 1:
                    return kinds.pop()
            elif members and members[0].filename == "mimetype":
                kind = ODF_TYPES.get(_read_member(archive, "mimetype").strip())
                if kind is not None:
                    return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, OSError):
        raise _damaged(_("zip archive")) from None
    finally:
        file.seek(0)
    raise ValidationError(
        _("Archives are not kept, apart from Word, Excel, PowerPoint and OpenDocument files: attach the files."),
        code="archive",
    )


def _is_macro(member_name: str) -> bool:
    """VBA in Office Open XML; Basic and scripts in OpenDocument."""
    return member_name.lower().endswith("vbaproject.bin") or member_name.startswith(("Basic/", "Scripts/"))


def _check_archive(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb before reading anything: too many members, too much unpacked, a ratio no
    document has, or encryption we cannot look into."""
    crossed = zip_bound_crossed(
        members, max_members=ZIP_MAX_MEMBERS, max_unpacked=ZIP_MAX_UNPACKED_BYTES, max_ratio=ZIP_MAX_RATIO
    )
    if crossed == "members":
        raise ValidationError(_("This archive holds too many files."), code="zip_bomb")
    if crossed == "size":
        raise ValidationError(_("This archive unpacks to too much data."), code="zip_bomb")
    if any(member.flag_bits & 0x1 for member in members):
        raise ValidationError(_("Encrypted files are not kept: save it without a password."), code="encrypted")


def zip_bound_crossed(
    members: list[zipfile.ZipInfo],
    *,
    max_members: int,
    max_unpacked: int,
    max_ratio: int,
    max_member: int | None = None,
) -> str | None:
    """Which bound a zip archive crosses, judged on what its members declare before any is read:
    "members" (too many), "size" (too much unpacked, in all or in one member, or a member larger
    than 1 MiB compressed more than `max_ratio` times), or None. Reading a member never yields more
    than it declares (zipfile stops there and checks the CRC), so the bounds hold for what is read."""
    if len(members) > max_members:
        return "members"
    total = 0
    for member in members:
        total += member.file_size
        if total > max_unpacked or (max_member is not None and member.file_size > max_member):
            return "size"
        if member.file_size > ZIP_RATIO_CHECKED_FROM and member.file_size > max_ratio * max(member.compress_size, 1):
            return "size"
    return None


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A small member's content, read no further than the manifest bound whatever its header says."""
    with archive.open(name) as member:
        return member.read(ZIP_MANIFEST_BYTES)


def _checked_text(file: BinaryIO) -> FileType:
    """Plain text: valid UTF-8 throughout, with no NUL or other control bytes than tab, line
    breaks and form feed. Read in chunks, so a large file is never held whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    controls = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
    try:
        while chunk := file.read(64 * 1024):
            if controls.search(decoder.decode(chunk)):
                raise _refused()
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _refused() from None
    finally:
        file.seek(0)
    return TEXT
