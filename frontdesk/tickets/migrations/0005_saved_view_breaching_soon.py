from django.db import migrations


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from frontdesk.tickets.defaults import breaching_soon_install

    breaching_soon_install(apps)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_ticket_add_sla_columns")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
