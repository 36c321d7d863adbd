from django.db import migrations

from qms.postgres import on_postgresql

# The lists' search (qms.filters.SearchFilterSet) asks `UPPER(column::text) LIKE UPPER('%term%')` of
# each searched column; a trigram index on that same expression answers it without reading every
# row. pg_trgm ships with PostgreSQL and is a trusted extension: the database's owner may create it.
INDEXES = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX qms_action_search_reference ON qms_action USING gin (UPPER(reference::text) gin_trgm_ops);
CREATE INDEX qms_action_search_title ON qms_action USING gin (UPPER(title::text) gin_trgm_ops);
CREATE INDEX qms_action_search_description ON qms_action USING gin (UPPER(description::text) gin_trgm_ops);
"""
DROP = """
DROP INDEX qms_action_search_reference;
DROP INDEX qms_action_search_title;
DROP INDEX qms_action_search_description;
"""


class Migration(migrations.Migration):
    dependencies = [("qms", "0015_process_active_actions")]

    operations = [migrations.RunPython(on_postgresql(INDEXES), on_postgresql(DROP))]
