"""Database sessions that write only when changed or once a minute (see qms.sessions)."""

from django.contrib.sessions.backends import db

from . import RefreshEveryMinute


class SessionStore(RefreshEveryMinute, db.SessionStore):
    pass
