import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def refuse_shared_addresses(apps, schema_editor):
    """Say which people share an e-mail address, instead of failing on the constraint below."""
    User = apps.get_model("qms", "User")
    shared = (
        User.objects.exclude(email="")
        .annotate(address=Lower("email"))
        .values("address")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("address", flat=True)
    )
    if shared:
        raise RuntimeError(
            "These e-mail addresses belong to more than one person; give each person their own address "
            "(or clear the spare ones) in the admin, then migrate again: " + ", ".join(sorted(shared))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("qms", "0002_action_verified_by_kpi"),
    ]

    operations = [
        migrations.RunPython(refuse_shared_addresses, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="qms_user_email_unique",
                violation_error_message="Someone else already has this e-mail address.",
            ),
        ),
    ]
