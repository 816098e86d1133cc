from django.db import migrations


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from frontdesk.sla.defaults import builtin_install

    builtin_install(apps)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_sla_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
