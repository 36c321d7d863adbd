from django.db import migrations

from qms.postgres import on_postgresql

# As for actions (qms 0016): the risk list searches these five columns.
INDEXES = """
CREATE INDEX risks_risk_search_reference ON risks_risk USING gin (UPPER(reference::text) gin_trgm_ops);
CREATE INDEX risks_risk_search_title ON risks_risk USING gin (UPPER(title::text) gin_trgm_ops);
CREATE INDEX risks_risk_search_description ON risks_risk USING gin (UPPER(description::text) gin_trgm_ops);
CREATE INDEX risks_risk_search_cause ON risks_risk USING gin (UPPER(cause::text) gin_trgm_ops);
CREATE INDEX risks_risk_search_consequence ON risks_risk USING gin (UPPER(consequence::text) gin_trgm_ops);
"""
DROP = """
DROP INDEX risks_risk_search_reference;
DROP INDEX risks_risk_search_title;
DROP INDEX risks_risk_search_description;
DROP INDEX risks_risk_search_cause;
DROP INDEX risks_risk_search_consequence;
"""


class Migration(migrations.Migration):
    dependencies = [("qms", "0016_action_search_indexes"), ("risks", "0005_heat_map_index")]

    operations = [migrations.RunPython(on_postgresql(INDEXES), on_postgresql(DROP))]
