"""Session engines that push the idle expiry forward without writing the session on every request.

An idle session ends SESSION_COOKIE_AGE after its last request, so SESSION_SAVE_EVERY_REQUEST is on;
but Django's stores then write the session row on every page, which was most of what a cheap page
cost at scale. These stores write only when the session changed or its expiry was last pushed more
than REFRESH_SECONDS ago: the idle timeout is then exact to within that, and a page reads the
session (from the cache with `cached_db`) and writes nothing.

`qms.sessions.cached_db` (with REDIS_URL: the cache every worker shares) keeps each session in the
cache and in the table, so signing out everywhere still finds them in the table; `qms.sessions.db`
(without Redis: a cache of one process could not see another worker's sign-out) reads the table.
"""

import time

REFRESH_SECONDS = 60
REFRESHED = "_qms_refreshed"  # when the expiry was last pushed forward (Unix time)


class RefreshEveryMinute:
    """Skips a save that would change nothing but push the expiry by less than REFRESH_SECONDS."""

    def save(self, must_create: bool = False) -> None:
        now = int(time.time())
        if not must_create and not self.modified and now - self.get(REFRESHED, 0) < REFRESH_SECONDS:
            return
        self[REFRESHED] = now
        super().save(must_create=must_create)
