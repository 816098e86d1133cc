"""The ticket number's field class returns the number from the INSERT on PostgreSQL; the
column itself does not change (state only: SQLite would otherwise rebuild the table)."""

from django.db import migrations

import frontdesk.tickets.models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_drop_redundant_fk_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="number",
                    field=frontdesk.tickets.models.TicketNumberField(
                        unique=True, verbose_name="number"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
