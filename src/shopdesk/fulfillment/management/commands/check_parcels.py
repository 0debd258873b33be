"""`shopdesk check-parcels` (cron, e.g. hourly): open a "no movement" exception for every parcel that has not moved
for its shop's stall hours (48 by default)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shopdesk.fulfillment import services


class Command(BaseCommand):
    help = "Open a 'no movement' logistics exception for every stalled parcel (run it hourly from cron)."

    def handle(self, *args, **options):
        opened = services.detect_stalls()
        self.stdout.write(f"opened {opened} 'no movement' exceptions for parcels stalled beyond their shop's hours")
