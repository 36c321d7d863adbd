"""Small files of every kind, good and hostile, made in memory for the evidence tests."""

import io
import random
import zipfile

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin


def image(kind: str = "PNG", size: tuple[int, int] = (40, 30), colour: str = "teal", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind, **options)
    return buffer.getvalue()


def noisy_png(width: int = 400, height: int = 300) -> bytes:
    """A PNG that does not compress away: a few hundred kilobytes, for watching an upload progress."""
    rng = random.Random(9)
    img = Image.frombytes("RGB", (width, height), bytes(rng.getrandbits(8) for _ in range(width * height * 3)))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
TEXT = "Gauge G-14 calibrated, deviation 0.002 mm; Prüfer: Jürgen\n".encode()
CSV = b"part,measured,limit\nA-1,10.02,10.05\nA-2,10.01,10.05\n"
# Starts like a GIF, and is a page to a browser that sniffs: the classic GIFAR-style polyglot.
GIF_POLYGLOT = b"GIF89a/*<svg onload=alert(1)>*/=1;<html><script>alert(1)</script></html>"


def png_with_script() -> bytes:
    """A valid PNG (Pillow verifies it) whose first kilobyte carries HTML in a text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><script>alert(document.domain)</script></html>")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def _zip(members: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(members):
            compression = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def _content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
    ).encode()


def docx(main: str = DOCX_MAIN) -> bytes:
    return _zip([("[Content_Types].xml", _content_types(main)), ("word/document.xml", b"<w:document/>")])


def docm() -> bytes:
    return _zip(
        [
            ("[Content_Types].xml", _content_types("application/vnd.ms-word.document.macroEnabled.main+xml")),
            ("word/document.xml", b"<w:document/>"),
            ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro"),
        ]
    )


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["part", "measured"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def odt() -> bytes:
    return _zip(
        [("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office:document-content/>")],
        stored_first=True,
    )


def plain_zip() -> bytes:
    return _zip([("readme.txt", b"hello"), ("run.exe", b"MZ\x90\x00")])


def zip_bomb() -> bytes:
    """An "Office" file one member of which unpacks to 2 MB of zeros from a few kilobytes."""
    return _zip([("[Content_Types].xml", _content_types(DOCX_MAIN)), ("word/document.xml", bytes(2 * 1024 * 1024))])


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# One good file of every allowed kind: (name, content, the media type its content shows).
ACCEPTED = [
    ("scan.pdf", PDF, "application/pdf"),
    ("photo.png", image("PNG"), "image/png"),
    ("photo.jpg", image("JPEG"), "image/jpeg"),
    ("photo.webp", image("WEBP"), "image/webp"),
    ("chart.gif", image("GIF"), "image/gif"),
    ("report.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("values.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("minutes.odt", odt(), "application/vnd.oasis.opendocument.text"),
    ("notes.txt", TEXT, "text/plain"),
    ("values.csv", CSV, "text/plain"),
]
