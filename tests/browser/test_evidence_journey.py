"""Evidence files in a real browser: a process owner attaches a photo to an action, watches the
upload's progress, finds it listed with its thumbnail and downloads it; a file over the limit is
refused before it is sent."""

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from qms.choices import Role
from qms.models import Attachment
from tests import files
from tests.factories import ActionFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_process_owner_uploads_a_photo_with_progress_and_downloads_it(page, sign_in, tmp_path):
    anna = UserFactory(username="anna", first_name="Anna", last_name="Berg", role=Role.PROCESS_OWNER)
    action = ActionFactory(owner=anna, title="Recalibrate gauge G-14")
    photo = tmp_path / "gauge-g14.png"
    photo.write_bytes(files.noisy_png())
    sign_in("anna")
    page.goto(action.get_absolute_url())
    section = page.locator("section.evidence")
    expect(section).to_contain_text("No files yet.")

    # A slow line, so the upload takes long enough to watch.
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 120 * 1024},
    )
    section.get_by_label("Files").set_input_files(photo)
    section.get_by_label("Description").fill("Gauge label, before recalibration")
    section.get_by_role("button", name="Upload").click()
    progress = section.locator("[data-upload-progress]")
    expect(progress).to_be_visible()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-upload-progress]')?.getAttribute('aria-valuenow')) > 0"
    )
    expect(page.locator("section.evidence")).to_contain_text("Attached “gauge-g14.png”.", timeout=20_000)
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})  # fmt: skip

    attachment = Attachment.objects.get()
    listed = page.locator("section.evidence .evidence-file")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Gauge label, before recalibration")
    expect(listed).to_contain_text(attachment.sha256[:12])
    thumbnail = listed.locator("img")
    expect(thumbnail).to_have_js_property("naturalWidth", 400)  # served through the permission-checked view

    with page.expect_download() as started:
        listed.get_by_role("link", name="gauge-g14.png", exact=True).click()
    download = started.value
    assert download.suggested_filename == "gauge-g14.png"
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == attachment.sha256


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, sign_in, tmp_path, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    anna = UserFactory(username="anna", role=Role.PROCESS_OWNER)
    action = ActionFactory(owner=anna)
    big = tmp_path / "scan.pdf"
    big.write_bytes(files.PDF + b"%" * (2 * 1024 * 1024))
    sign_in("anna")
    page.goto(action.get_absolute_url())
    requests = []
    page.on("request", lambda request: request.method == "POST" and requests.append(request.url))

    section = page.locator("section.evidence")
    section.get_by_label("Files").set_input_files(big)
    section.get_by_role("button", name="Upload").click()
    expect(section.get_by_role("alert")).to_contain_text("“scan.pdf”: It is larger than 1 MB")
    assert requests == []
    assert not Attachment.objects.exists()
