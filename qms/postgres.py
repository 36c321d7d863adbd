"""Migrations' SQL for PostgreSQL alone (triggers, trigram indexes): run there, skipped on SQLite,
where the app counts and searches without them."""


def on_postgresql(sql: str):
    """A RunPython function that runs `sql` on PostgreSQL and does nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # several statements: no parameters, so psycopg sends them as one

    return run
