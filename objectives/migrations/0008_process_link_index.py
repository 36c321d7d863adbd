from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("objectives", "0007_import_file_removed_when_done")]

    operations = [
        # Records linked to a process, found from the process: the auto-created link table has only
        # (record, process) unique and process alone; with both in the index a count reads no table.
        migrations.RunSQL(
            "CREATE INDEX objectives_kpi_processes_process_kpi ON objectives_kpi_processes (process_id, kpi_id)",
            "DROP INDEX objectives_kpi_processes_process_kpi",
        ),
    ]
