from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("qms", "0012_outbox")]

    operations = [
        # Records linked to a process, found from the process: the auto-created link table has only
        # (record, process) unique and process alone; with both in the index a count reads no table.
        migrations.RunSQL(
            "CREATE INDEX qms_action_processes_process_action ON qms_action_processes (process_id, action_id)",
            "DROP INDEX qms_action_processes_process_action",
        ),
    ]
