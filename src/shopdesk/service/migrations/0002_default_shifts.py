"""The default shifts of the duty roster (003:630: 白班 8:30-17:30, 晚班 17:00-凌晨1:00) and the one customer-service
settings row (chat hours 09:30-18:30, 000:625). Nothing is overwritten when they exist already."""

from datetime import time

from django.db import migrations

SHIFTS = [("白班", time(8, 30), time(17, 30)), ("晚班", time(17, 0), time(1, 0))]


def forwards(apps, schema_editor):
    Shift = apps.get_model("service", "Shift")
    ServiceSettings = apps.get_model("service", "ServiceSettings")
    for name, start, end in SHIFTS:
        Shift.objects.get_or_create(name=name, defaults={"start": start, "end": end})
    if not ServiceSettings.objects.exists():
        from shopdesk.service.models import _default_quality_weights, _default_score_weights

        ServiceSettings.objects.create(chat_opens=time(9, 30), chat_closes=time(18, 30), slow_reply_seconds=60,
                                       quality_weights=_default_quality_weights(),
                                       score_weights=_default_score_weights(), payroll_day=10)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
