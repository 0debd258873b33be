"""Missing items (少货, 003): customer service reports the missing lines with the buyer's photo of the dispatch note;
a confirmed claim is reshipped the same day (当天补发), a rejected one keeps the reason."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import MissingItemClaim
from shopdesk.orders.models import Source, Status

from .logistics_support import PNG, ship


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def photo(content=PNG, name="note.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture
def shipped(stocked, verified_order):
    a, b = stocked(), stocked()
    order = verified_order(lines=[(a.listings.first().channel_sku_code, 2, "50.00"),
                                  (b.listings.first().channel_sku_code, 1, "30.00")])
    ship(order)
    order.refresh_from_db()
    return order


@pytest.fixture
def cs(make_user, shop):
    return make_user("cs_aftersales", shops=[shop])


def _lines(order):
    return list(order.lines.order_by("id"))


def test_report_keeps_lines_photo_and_note(shipped, cs, media):
    first, _second = _lines(shipped)
    claim = services.report_missing_item(actor=cs, order=shipped, lines={first.pk: 1}, photo=photo(),
                                         note="买家说少了一件")
    assert claim.state == "reported" and claim.lines == {str(first.pk): 1} and claim.reported_by == cs
    assert claim.photo.name.startswith("missing/") and claim.photo.name.endswith(".png")
    assert (media / claim.photo.name).read_bytes() == PNG
    assert AuditEvent.objects.filter(action="fulfillment.report_missing_item").count() == 1


@pytest.mark.parametrize(("lines", "problem"), [({}, "say which"), ({999999: 1}, "not on this order"),
                                                 ("too_many", "has only")])
def test_report_refuses_bad_lines(shipped, cs, lines, problem, english):
    if lines == "too_many":
        lines = {_lines(shipped)[0].pk: 3}
    with pytest.raises(ServiceError) as err:
        services.report_missing_item(actor=cs, order=shipped, lines=lines, photo=photo())
    assert problem in err.value.message and not MissingItemClaim.objects.exists()


def test_report_refuses_a_file_that_is_not_an_image_or_too_big(shipped, cs, english):
    line = _lines(shipped)[0]
    with pytest.raises(ServiceError) as err:
        services.report_missing_item(actor=cs, order=shipped, lines={line.pk: 1},
                                     photo=photo(b"<html>not an image</html>", "note.png"))
    assert err.value.code == "invalid_photo" and "not a JPEG" in err.value.message
    with pytest.raises(ServiceError) as err:
        services.report_missing_item(actor=cs, order=shipped, lines={line.pk: 1},
                                     photo=photo(PNG + b"\0" * services.MAX_PHOTO_BYTES))
    assert "5 MB" in err.value.message
    with pytest.raises(ServiceError) as err:
        services.report_missing_item(actor=cs, order=shipped, lines={line.pk: 1}, photo=None)
    assert err.value.code == "photo_required"
    assert not MissingItemClaim.objects.exists()


def test_report_only_on_shipped_orders_once_and_with_permission(verified_order, shipped, cs, make_user, shop):
    unshipped = verified_order()
    with pytest.raises(Conflict):
        services.report_missing_item(actor=cs, order=unshipped, lines={_lines(unshipped)[0].pk: 1}, photo=photo())
    with pytest.raises(NotAllowed):
        services.report_missing_item(actor=make_user("cs_presales", shops=[shop]), order=shipped,
                                     lines={_lines(shipped)[0].pk: 1}, photo=photo())
    services.report_missing_item(actor=cs, order=shipped, lines={_lines(shipped)[0].pk: 1}, photo=photo())
    with pytest.raises(Conflict):
        services.report_missing_item(actor=cs, order=shipped, lines={_lines(shipped)[1].pk: 1}, photo=photo())


@pytest.mark.parametrize("decider_role", ["cs_supervisor", "warehouse"])
def test_confirmed_claim_is_reshipped_today(shipped, cs, make_user, shop, decider_role):
    first, second = _lines(shipped)
    claim = services.report_missing_item(actor=cs, order=shipped, lines={first.pk: 1, second.pk: 1},
                                         photo=photo())
    with pytest.raises(NotAllowed):
        services.confirm_missing_item(actor=cs, claim=claim)  # after-sales reports, a supervisor decides
    decider = make_user(decider_role, shops=[shop])
    claim = services.confirm_missing_item(actor=decider, claim=claim)
    reship = claim.reship_order
    assert claim.state == "confirmed" and claim.decided_by == decider and reship is not None
    assert reship.reship_of == shipped and reship.source == Source.RESHIP and reship.ship_today
    assert reship.status in (Status.PAID, Status.VERIFIED)
    lines = list(reship.lines.select_related("reservation", "sku").order_by("id"))
    assert [(ln.sku_id, ln.quantity) for ln in lines] == [(first.sku_id, 1), (second.sku_id, 1)]
    assert all(ln.reservation is not None and ln.reservation.state == "active" for ln in lines)
    with pytest.raises(Conflict):
        services.confirm_missing_item(actor=decider, claim=claim)


def test_reship_is_first_in_the_print_queue(zto, shipped, cs, make_user, shop, verified_order):
    earlier = verified_order()  # paid before the reship exists
    claim = services.report_missing_item(actor=cs, order=shipped, lines={_lines(shipped)[0].pk: 1}, photo=photo())
    reship = services.confirm_missing_item(actor=make_user("cs_supervisor", shops=[shop]), claim=claim).reship_order
    reship.refresh_from_db()
    assert reship.status == Status.VERIFIED and reship.paid_at > earlier.paid_at
    services.create_batch(actor=None, orders=[earlier, reship])
    reship.refresh_from_db()
    earlier.refresh_from_db()
    assert reship.tracking_no == "ZT7300000001" and earlier.tracking_no == "ZT7300000002"  # printed first


def test_rejected_claim_keeps_the_reason(shipped, cs, make_user, shop):
    claim = services.report_missing_item(actor=cs, order=shipped, lines={_lines(shipped)[0].pk: 1}, photo=photo(),
                                         note="少一件")
    supervisor = make_user("cs_supervisor", shops=[shop])
    with pytest.raises(ServiceError):
        services.reject_missing_item(actor=supervisor, claim=claim, reason="")
    claim = services.reject_missing_item(actor=supervisor, claim=claim, reason="照片显示已装箱")
    assert claim.state == "rejected" and claim.reship_order is None
    assert claim.note.startswith("少一件") and "照片显示已装箱" in claim.note
    with pytest.raises(Conflict):
        services.confirm_missing_item(actor=supervisor, claim=claim)
