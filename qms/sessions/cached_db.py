"""Sessions in the cache, written through to the database, only when changed or once a minute
(see qms.sessions)."""

from django.contrib.sessions.backends import cached_db

from . import RefreshEveryMinute


class SessionStore(RefreshEveryMinute, cached_db.SessionStore):
    pass
