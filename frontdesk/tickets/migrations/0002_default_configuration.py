from django.db import migrations

from frontdesk.tickets import defaults


def forward(apps, schema_editor):
    defaults.defaults_install(apps)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
