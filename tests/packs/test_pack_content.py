"""What a pack holds: its text by clause, each record as it stood at the pack's date with its hash,
the evidence files embedded, PDF/A-3b and tags, and the same bytes on every download."""

import hashlib
import html
import re
import subprocess

import pytest

from packs.choices import PackStatus
from packs.selectors import PROCESS_MAP_PATH, pack_content
from packs.versions import fingerprint
from risks.models import RiskMatrix
from tests.factories import HandOffFactory
from tests.packs.conftest import build_world, needs_poppler, pdf_text, rendered, scope_pack

pytestmark = [pytest.mark.django_db, needs_poppler]


def test_the_pack_shows_each_kind_of_record_under_its_clause(world, auditor):
    pack = rendered(scope_pack(auditor))
    assert pack.status == PackStatus.DONE, pack.error
    text = pdf_text(pack.file.path)
    body = text[text.index("4.4 Quality management system and its processes\n", text.index("Contents") + 400) :]

    def between(start: str, end: str) -> str:
        return body[body.index(start) : body.index(end, body.index(start))]

    processes = between("4.4 Quality management system and its processes", "5.1 Leadership")
    assert world.process.reference in processes and "Bar stock" in processes and "CNC lathe L-3" in processes
    assert "Finished shafts" in processes  # the hand-off to Assembly
    risks = between("6.1 Actions to address risks and opportunities", "6.2 Quality objectives")
    assert world.risk.reference in risks and "Before controls" in risks and "Spare spindle" in risks
    assert world.objective.reference in between("6.2 Quality objectives", "6.3 Planning of changes")
    kpis = between("9.1 Monitoring, measurement", "9.2 Internal audit")
    assert world.kpi.reference in kpis and "≥ 95 %" in kpis and "Target" in kpis  # the chart's legend, as text
    audits = between("9.2 Internal audit", "9.3 Management review")
    assert world.audit.reference in audits and "Gauge overdue" in audits and "Are the process inputs defined?" in audits
    ncs = between("10.2 Nonconformity and corrective action", "10.3 Continual improvement")
    assert world.nonconformity.reference in ncs and world.corrective.reference in ncs
    assert world.improvement.reference in between("10.3 Continual improvement", "Index of records and files")
    index = body[body.rindex("Index of records and files") :]
    for record in (world.process, world.kpi, world.risk, world.audit, world.nonconformity, world.improvement):
        assert record.reference in index
    assert world.photo.sha256[:30] in index.replace("\n", "").replace(" ", "")


def test_each_record_is_shown_as_it_stood_at_the_packs_date_with_the_hash_of_that_version(world, auditor, owner):
    pack = scope_pack(auditor)
    version = next(v for v in pack_content(pack).records if v.reference == world.risk.reference)
    world.risk.title = "Renamed after the pack was requested"
    world.risk.save()
    content = pack_content(pack)
    again = next(v for v in content.records if v.reference == world.risk.reference)
    assert again.title == version.title != world.risk.title
    assert again.sha256 == version.sha256 == fingerprint(again.version)
    assert re.fullmatch(r"[0-9a-f]{64}", again.sha256)
    assert again.owner == owner and again.changed_at <= pack.as_of


def test_a_download_is_byte_identical_after_the_records_change(world, auditor, client_for):
    pack = rendered(scope_pack(auditor))
    client = client_for(auditor)
    first = b"".join(client.get(pack.get_download_url()).streaming_content)
    world.process.name = "Renamed process"
    world.process.save()
    second = b"".join(client.get(pack.get_download_url()).streaming_content)
    assert first == second
    assert hashlib.sha256(first).hexdigest() == pack.sha256 and len(first) == pack.size


def test_the_pack_is_pdf_a_3b_tagged_with_the_evidence_files_embedded(world, auditor):
    pack = rendered(scope_pack(auditor))
    metadata = subprocess.run(["pdfinfo", "-meta", pack.file.path], capture_output=True, text=True, check=True)
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in metadata.stdout
    info = subprocess.run(["pdfinfo", pack.file.path], capture_output=True, text=True, check=True)
    assert re.search(r"Tagged:\s+yes", info.stdout)
    listing = subprocess.run(["pdfdetach", "-list", pack.file.path], capture_output=True, text=True, check=True)
    assert "1 embedded files" in listing.stdout and "gauge.png" in listing.stdout
    assert pack.page_count >= 10


def test_a_changed_evidence_file_is_listed_but_not_embedded(world, auditor):
    with world.photo.file.open("wb") as stored:
        stored.write(b"tampered")
    pack = rendered(scope_pack(auditor))
    listing = subprocess.run(["pdfdetach", "-list", pack.file.path], capture_output=True, text=True, check=True)
    assert "0 embedded files" in listing.stdout
    assert "not embedded" in pdf_text(pack.file.path)


def test_gathering_a_pack_takes_the_same_queries_at_two_sizes(owner, auditor, django_assert_max_num_queries):
    build_world(owner, auditor, processes=1, per_process=1)
    small = scope_pack(auditor)
    with django_assert_max_num_queries(45) as small_run:
        pack_content(small)
    build_world(owner, auditor, processes=4, per_process=3)
    large = scope_pack(auditor)
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        content = pack_content(large)
    assert len(content.records) > 4 * len(pack_content(small).records) / 2


def test_the_processes_clause_opens_with_the_map_of_the_scope_as_it_stood(world, auditor):
    pack = scope_pack(auditor, processes=[world.process])
    HandOffFactory(source=world.other, target=world.process, item="Reworked parts")  # after the pack's date
    content = pack_content(pack)

    drawn = html.unescape(content.charts[PROCESS_MAP_PATH])  # Graphviz writes "-" as "&#45;"
    assert world.process.reference in drawn and world.other.reference in drawn  # the scope and its neighbour
    assert "Finished shafts" in drawn and "Reworked parts" not in drawn
    text = pdf_text(rendered(pack).file.path)
    processes = text[text.index("4.4 Quality management system", text.index("Contents") + 400) :]
    assert "The processes in scope with those they hand work to" in processes


def test_the_heat_maps_use_the_matrix_as_it_stood_at_the_packs_date(world, auditor):
    matrix = RiskMatrix.current()
    pack = scope_pack(auditor, clauses=["6.1"])
    matrix.likelihood_levels = ["Hardly ever", *matrix.likelihood_levels[1:]]
    matrix.save()

    text = pdf_text(rendered(pack).file.path)
    assert "Rare" in text and "Hardly ever" not in text


def test_the_contents_and_the_index_give_the_page_each_section_and_record_starts_on(world, auditor):
    pack = rendered(scope_pack(auditor))
    pages = pdf_text(pack.file.path).split("\f")
    contents = next(page for page in pages if "Contents" in page and ". . ." in page)
    entries = re.findall(r"^(\d+\.\d+ .*?)[ .]+(\d+)$", contents, re.MULTILINE)
    assert len(entries) == 28  # every clause from 4.1 to 10.3
    for title, number in entries:
        assert any(line.startswith(title) for line in pages[int(number) - 1].splitlines()), (title, number)

    index_from = max(n for n, page in enumerate(pages) if "Index of records and files" in page)
    row = re.compile(r"^\s*([A-Z]{2,4}-\d{3})\s{2,}.*\s(\d+)$", re.MULTILINE)
    rows = [found for page in pages[index_from:] for found in row.findall(page)]
    assert len(rows) == len(pack_content(pack).records)
    for reference, number in rows:
        page = pages[int(number) - 1]
        # the record's heading ("PRC-001 Machining 0"), not a row of a table that names it
        assert re.search(rf"^\s*{reference} \S.*$", page, re.MULTILINE) and int(number) - 1 < index_from


def test_each_page_of_a_pack_is_laid_out_once_but_the_contents(world, auditor, monkeypatch):
    import weasyprint.layout.page

    made = []
    remake_page = weasyprint.layout.page.remake_page
    monkeypatch.setattr(weasyprint.layout.page, "remake_page", lambda *a, **k: made.append(1) or remake_page(*a, **k))
    pack = rendered(scope_pack(auditor))
    # WeasyPrint alone lays the contents page and every index page out three times (packs.render.lay_out)
    assert len(made) == pack.page_count + 1
