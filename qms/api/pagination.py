"""Pagination of every API list: keyset (cursor) pages, so the last page of 100,000 actions costs
what the first does, where an offset would read and skip every row before it."""

from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    """Pages in the order records were created (the primary key, which every table indexes), one
    `WHERE id > last seen ORDER BY id LIMIT n` each; follow `next` and `previous`. `page_size`
    chooses how many records a page holds, up to `max_page_size`. There is no total count: counting
    100,000 rows on every page is what made deep pages slow."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
