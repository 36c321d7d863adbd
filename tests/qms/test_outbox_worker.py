"""The outbox against a real Celery worker and a real SMTP server: a worker killed in the middle of a
send loses no e-mail, and no Message-ID ever arrives as two different messages.

Marked `worker`: it starts worker processes (about 15 s on a quiet machine). It needs PostgreSQL,
whose test database the worker can reach; SQLite's in-memory test database is the test's alone.
"""

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings
from django.db import connection

import qms.outbox
from qms.models import OutboxMessage
from qms.outbox import mail_queue

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WAIT = 60  # seconds; generous for a loaded machine, the test takes far less when all goes well


class Sink:
    """An SMTP server that keeps every message it receives, as received, and stalls once on the
    message with `stall_subject`: it has the whole message but never answers the end of DATA, as
    a server that accepted a message whose 250 the sender never got."""

    def __init__(self, stall_subject: str):
        self.stall_subject = stall_subject
        self.stalled = threading.Event()
        self.received: list[tuple[str, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content
        message = email.message_from_bytes(content)
        self.received.append((message["Message-ID"], content))
        if message["Subject"] == self.stall_subject and not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(3600)  # cancelled when the sink stops
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Celery workers on the test database, a filesystem broker of their own and the sink."""

    def __init__(self, folder: Path, smtp_port: int):
        self.folder = folder
        self.broker = folder / "broker"
        for name in ("", "processed", "control"):
            (self.broker / name).mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DATABASE_URL": database_url(), "VAR_DIR": str(folder), "DEBUG": "true"}
        env.pop("REDIS_URL", None)  # the filesystem broker under VAR_DIR: nothing shared with other tests
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        env.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
        )
        self.env = env
        self.process: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        log = (self.folder / f"worker-{self.runs}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "qms", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-heartbeat", "--without-mingle", "--without-gossip", f"--hostname=outbox{self.runs}@%h"],
            cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def send_outbox(self) -> None:
        """What the trigger after commit, or beat's next minute, does: queue the send task."""
        options = {key: str(self.broker) for key in ("data_folder_in", "data_folder_out")}
        options["processed_folder"] = str(self.broker / "processed")
        options["control_folder"] = str(self.broker / "control")  # else kombu writes ./control
        sender = Celery(broker="filesystem://", broker_transport_options=options)
        sender.send_task("qms.tasks.send_outbox")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(WAIT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(self.folder.glob("worker-*.log")))


def wait_until(condition, what: str, workers: Workers, *, nudge=None) -> None:
    """Wait for `condition`, calling `nudge` every few seconds as beat would every minute."""
    start = last_nudge = time.monotonic()
    while not condition():
        assert time.monotonic() < start + WAIT, f"{what} took over {WAIT} s; the workers said:\n{workers.log()}"
        if nudge and time.monotonic() > last_nudge + 5:
            nudge()
            last_nudge = time.monotonic()
        time.sleep(0.2)


def test_a_worker_killed_mid_send_loses_no_mail_and_sends_no_message_id_as_two_messages(tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share with the test: PostgreSQL")
    monkeypatch.setattr(qms.outbox, "_send_after_commit", lambda: None)  # the worker sends, not this process
    queued = [mail_queue(to=[f"person{n}@example.com"], subject=f"Notice {n}", body=f"Body {n}") for n in range(6)]
    sink = Sink(stall_subject="Notice 2")
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    workers = Workers(tmp_path, smtp.port)
    try:
        # 1. A worker sends Notice 0 and 1, then the server takes Notice 2 and stalls; the worker is killed.
        workers.start()
        workers.send_outbox()
        wait_until(sink.stalled.is_set, "reaching the stalled message", workers)
        workers.kill()
        # Its transaction died with it: Notice 2 reached the server but is not marked sent.
        assert sorted(OutboxMessage.objects.sent().values_list("subject", flat=True)) == ["Notice 0", "Notice 1"]

        # 2. A new worker, woken as beat would, sends what is unsent (woken again should the killed
        # worker's database session still hold Notice 2 locked when it first looks).
        workers.start()
        workers.send_outbox()
        unsent = OutboxMessage.objects.unsent()
        wait_until(lambda: not unsent.exists(), "sending the rest", workers, nudge=workers.send_outbox)
    finally:
        workers.stop()
        smtp.stop()

    copies = defaultdict(set)
    for message_id, content in sink.received:
        copies[message_id].add(content)
    assert set(copies) == {message.message_id for message in queued}  # nothing lost
    assert all(len(versions) == 1 for versions in copies.values())  # each Message-ID one message, byte for byte
    arrivals = [message_id for message_id, _content in sink.received]
    assert arrivals.count(queued[2].message_id) == 2  # the crash window: sent again, as the same message
    assert len(arrivals) == 7
