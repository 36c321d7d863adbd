"""Record ids read from query strings and form data, which anyone may type."""

import re

# The largest id a database's bigint key holds.
MAX_RECORD_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")


def record_id(value) -> int | None:
    """The record id `value` spells (ASCII digits, from 1 to a bigint's largest), else None:
    str.isdigit() and int() accept other scripts' digits, and a number too large errs in the query."""
    text = str(value)
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_RECORD_ID else None
