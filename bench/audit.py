"""How much does the audit trail cost a write? A service call (change + audit row, one transaction) against a bare
save of the same change."""

from __future__ import annotations

import time

from django.db import transaction


def run(rows: int = 2000) -> dict:
    from shopdesk.channels import services
    from shopdesk.channels.models import Shop
    from shopdesk.staff.services import create_staff_member

    actor = create_staff_member(actor=None, username="bench-manager", roles=["manager"])
    shop = services.add_shop(actor=None, code="bench-shop", platform="jd", name="基准店")

    start = time.perf_counter()
    for i in range(rows):
        with transaction.atomic():
            Shop.objects.filter(pk=shop.pk).update(name=f"bare {i}")
    bare = time.perf_counter() - start

    start = time.perf_counter()
    for i in range(rows):
        services.update_shop(actor=actor, shop=shop, name=f"audited {i}")
    audited = time.perf_counter() - start

    return {
        "writes": rows,
        "baseline_bare_save_ms": round(bare / rows * 1000, 3),
        "service_with_audit_ms": round(audited / rows * 1000, 3),
        "ratio_vs_baseline": round(audited / bare, 2),
    }
