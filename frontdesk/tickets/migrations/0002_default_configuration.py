from django.db import migrations

from frontdesk.tickets import defaults


def forward(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    TicketType = apps.get_model("tickets", "TicketType")
    Priority = apps.get_model("tickets", "Priority")
    Cell = apps.get_model("tickets", "PriorityMatrixCell")
    SavedView = apps.get_model("tickets", "SavedView")
    for position, (name, slug, category, is_default) in enumerate(defaults.STATUSES):
        Status.objects.get_or_create(slug=slug, defaults={
            "name": name, "category": category, "is_default": is_default,
            "position": position})
    for position, (name, slug, description) in enumerate(defaults.TYPES):
        TicketType.objects.get_or_create(slug=slug, defaults={
            "name": name, "description": description, "position": position,
            "customer_can_choose": slug != "problem"})
    priorities = {}
    for name, slug, rank, color in defaults.PRIORITIES:
        priorities[slug], _ = Priority.objects.get_or_create(
            slug=slug, defaults={"name": name, "rank": rank, "color": color})
    for (urgency, impact), slug in defaults.MATRIX.items():
        Cell.objects.get_or_create(urgency=urgency, impact=impact,
                                   defaults={"priority": priorities[slug]})
    for position, (name, key, filters, sort) in enumerate(defaults.VIEWS):
        SavedView.objects.get_or_create(key=key, owner=None, defaults={
            "name": name, "filters": filters, "sort": sort, "position": position})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
