"""Mail servers for tests that need one to fail."""

from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend


class DownBackend(BaseEmailBackend):
    """A mail server that is down: every send fails as smtplib's does when the connection drops.
    Use it with `settings.EMAIL_BACKEND = DOWN`."""

    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


DOWN = "tests.mail.DownBackend"
