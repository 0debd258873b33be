"""After-sales and reviews in a browser, with two people in their own sessions: the after-sales agent opens a case
from the order page and watches the live policy preview (a quality return is allowed with the shop paying the
shipping; a worn item under 7天无理由 is refused, rule and explanation shown), opens the case, records the buyer's
return tracking number; the warehouse finds the case on the receiving screen by scanning that number, restocks the
units into a location and submits; the agent sees the refund due and marks it refunded (within the agent's ¥300
limit). Then the agent opens a negative review from its queue, logs a phone call where the buyer agreed to modify it
by a promised time, records the outcome "modified", and the review leaves the open queues. No console errors (so no
CSP violation from an inline script or style) in either browser."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from shopdesk.aftersales import policy
from shopdesk.aftersales.models import Case
from shopdesk.core import clock
from shopdesk.inventory.models import Movement
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Status
from shopdesk.reviews import services as review_services
from shopdesk.reviews.models import FollowUp, Review

pytestmark = pytest.mark.browser

RETURN_TRACKING = "75312340001"
REVIEW_TEXT = "背带两天就开线了，质量太差"


@pytest.fixture
def people(make_user, shop):
    agent = make_user("cs_aftersales", username="yangli", display_name="杨丽", shops=[shop])
    keeper = make_user("warehouse", username="zhoujie", display_name="周杰", shops=[shop])
    return agent, keeper


@pytest.fixture
def delivered(stocked, make_order):
    """A cheap order (2 × ¥39 + 1 × ¥25 = ¥103, under the agent's ¥300 refund limit) of stocked SKUs, taken through
    print, pick, pack and ship, signed for two days ago."""
    bra, briefs = stocked(price="39.00", name="无钢圈文胸"), stocked(price="25.00", name="纯棉内裤")
    order = make_order(lines=[(bra.listings.first().channel_sku_code, 2, "39.00"),
                              (briefs.listings.first().channel_sku_code, 1, "25.00")])
    order.refresh_from_db()
    assert order.status == Status.VERIFIED, order.review_reasons
    tracking = f"ZT{order.pk:010d}"
    order_services.mark_printed(actor=None, order=order, batch="B-E2E", carrier="中通快递", tracking_no=tracking)
    order_services.mark_picked(actor=None, order=order)
    order_services.mark_packed(actor=None, order=order)
    order_services.ship_order(actor=None, order=order, carrier="中通快递", tracking_no=tracking)
    order_services.mark_delivered(actor=None, order=order, delivered_at=clock.now() - timedelta(days=2))
    order.refresh_from_db()
    return order, bra, briefs


@pytest.fixture
def negative_review(shop, delivered):
    order = delivered[0]
    return review_services.record_review(
        actor=None, shop=shop, platform_review_id="R-E2E-0001", rating=Review.Rating.NEGATIVE,
        posted_at=clock.now() - timedelta(hours=3), text=REVIEW_TEXT, category=Review.Category.QUALITY,
        order=order, platform_order_no=order.platform_order_no, item_title="无钢圈文胸",
        buyer_platform_id="tb_buyer_e2e")


def test_return_received_refunded_and_a_negative_review_followed_up(session_as, live_server, people, delivered,
                                                                    negative_review, warehouse):
    from playwright.sync_api import expect

    order, bra, briefs = delivered
    bra_line = order.lines.get(sku=bra)
    briefs_line = order.lines.get(sku=briefs)
    location = warehouse.locations.get(code="A-01")
    contexts = []
    try:
        # --- the agent: from the order page to the case form --------------------------------------------------------
        ctx, agent = session_as("yangli")
        contexts.append(ctx)
        agent.goto(f"{live_server.url}/orders/{order.pk}/")
        with agent.expect_navigation():
            agent.get_by_role("link", name="Return, exchange or refund").click()
        assert agent.url.endswith(f"/aftersales/new/{order.pk}/"), agent.url
        expect(agent.locator("h1")).to_contain_text(order.platform_order_no)
        preview = agent.locator("#policy-decision")
        # The preview shows the decision of what the form says from the start (return + 7-day no-reason, day 2).
        expect(preview).to_contain_text("Allowed by the policy")
        expect(preview).to_contain_text("no_reason_within_7_days")

        # Quality return, 1 of the 2 bras and the briefs: allowed, the shop pays, rule code and explanation.
        agent.select_option("#id_kind", "return")
        agent.select_option("#id_reason", "quality")
        expect(preview).to_contain_text("shop_fault_quality")
        agent.fill(f"#id_line_{bra_line.pk}", "1")
        agent.fill(f"#id_line_{briefs_line.pk}", "1")
        agent.locator(f"#id_line_{briefs_line.pk}").dispatch_event("change")
        expect(preview).to_have_class(re.compile(r"\bdecision-allowed\b"))
        expect(preview.locator(".verdict")).to_contain_text("Allowed by the policy")
        expect(preview.locator(".verdict")).to_contain_text("The shop pays the return shipping")
        rule = preview.locator("li.rule-allows", has_text="shop_fault_quality")
        expect(rule).to_contain_text(policy.RULES["shop_fault_quality"].explanation)

        # 7-day no-reason with the item worn: the preview refuses, naming the rule and its explanation.
        agent.select_option("#id_reason", "no_reason")
        agent.locator('input[name="item_condition"][value="worn"]').check()
        expect(preview).to_have_class(re.compile(r"\bdecision-refused\b"))
        expect(preview.locator(".verdict")).to_contain_text("Refused by the policy")
        refusal = preview.locator("li.rule-refuses", has_text="no_reason_condition")
        expect(refusal).to_contain_text(policy.RULES["no_reason_condition"].explanation)

        # Back to the quality return (the worn tick no longer matters, the shop is at fault) and open the case. The
        # buyer's words first: leaving the box is a change too, and its preview must be back before the submit.
        agent.fill("#id_description", "背带开线，买家发来照片")
        agent.locator('input[name="item_condition"][value="worn"]').uncheck()
        agent.select_option("#id_reason", "quality")
        expect(preview).to_have_class(re.compile(r"\bdecision-allowed\b"))
        expect(preview).to_contain_text("shop_fault_quality")
        expect(preview).not_to_contain_text("no_reason")
        with agent.expect_navigation():
            agent.get_by_role("button", name="Open the case").click()
        match = re.search(r"/aftersales/(\d+)/$", agent.url)
        assert match, agent.url
        case = Case.objects.get(pk=int(match.group(1)))
        assert case.refund_amount < Decimal("300")  # within the agent's limit: no approval step
        expect(agent.locator(".messages")).to_contain_text(f"Case {case.number} opened")
        expect(agent.locator("h1")).to_contain_text(case.number)
        expect(agent.locator("h1 .case-state")).to_have_text("Waiting for the return parcel")
        decision = agent.locator(".case-page .decision")
        expect(decision).to_contain_text("Allowed by the policy")
        expect(decision).to_contain_text("The shop pays the return shipping")
        expect(decision).to_contain_text("shop_fault_quality")
        expect(agent.locator("#return-instructions")).to_contain_text(case.number)

        # The buyer sent the parcel: the agent records its tracking number.
        agent.fill("#id_carrier", "中通快递")
        agent.fill("#id_tracking_no", RETURN_TRACKING)
        with agent.expect_navigation():
            agent.get_by_role("button", name="Record the return parcel").click()
        expect(agent.locator(".messages")).to_contain_text(f"Return parcel of {case.number} recorded")
        expect(agent.locator(".facts").first).to_contain_text(RETURN_TRACKING)

        # --- the warehouse: scan the return tracking number, restock, submit -----------------------------------------
        ctx, keeper = session_as("zhoujie")
        contexts.append(ctx)
        keeper.goto(f"{live_server.url}/aftersales/receiving/")
        scan = keeper.locator('.scan-box input[name="q"]')
        expect(scan).to_be_focused()  # the scanner types straight into the box
        scan.fill(RETURN_TRACKING)
        with keeper.expect_navigation():
            scan.press("Enter")
        boxes = keeper.locator(".receive-case")
        expect(boxes).to_have_count(1)
        box = keeper.locator(f"#receive-{case.pk}")
        expect(box).to_contain_text(case.number)
        expect(box).to_contain_text(RETURN_TRACKING)
        for line in case.lines.all():
            box.locator(f'input[name="c{case.pk}-restock_{line.pk}"]').fill(str(line.quantity))
            box.locator(f'input[name="c{case.pk}-writeoff_{line.pk}"]').fill("0")
        box.locator(f'select[name="c{case.pk}-location"]').select_option(str(location.pk))
        box.locator(f'input[name="c{case.pk}-note"]').fill("两件完好，已上架")
        with keeper.expect_navigation():
            box.get_by_role("button", name="Received and inspected").click()
        expect(keeper.locator(".messages")).to_contain_text(
            f"Return of {case.number} received: the refund of ¥{case.refund_amount} is due.")
        expect(keeper.locator(f"#receive-{case.pk}")).to_have_count(0)  # no longer waited for

        # --- the agent again: refund due, mark it refunded ------------------------------------------------------------
        agent.reload()
        expect(agent.locator("h1 .case-state")).to_have_text("Refund due")
        expect(agent.locator(".facts").first).to_contain_text("due since")
        lines = agent.locator(".case-page table.grid tbody tr")
        expect(lines).to_have_count(2)
        for i in range(2):
            expect(lines.nth(i).locator("td.num")).to_have_text(["1", "1", "1", "0"])  # quantity, received, ...
        with agent.expect_navigation():
            agent.get_by_role("button", name="Mark refunded").click()
        expect(agent.locator(".messages")).to_contain_text(f"Case {case.number} refunded (¥{case.refund_amount}).")
        expect(agent.locator("h1 .case-state")).to_have_text("Refunded")
        timeline = agent.locator(".order-timeline")
        for label in ("Case opened", "Return parcel recorded", "Return received and inspected", "Refunded"):
            expect(timeline).to_contain_text(label)

        # --- reviews: the negative review from the "To follow up" queue ---------------------------------------------
        agent.goto(f"{live_server.url}/reviews/")
        tab = agent.get_by_role("tab", name=re.compile(r"^To follow up"))
        expect(tab.locator(".count")).to_have_text("1")
        tab.click()
        expect(agent.get_by_role("tab", name=re.compile(r"^To follow up"))).to_have_attribute("aria-selected", "true")
        row = agent.locator(f"#review-{negative_review.pk}")
        expect(row).to_contain_text("Not contacted")
        with agent.expect_navigation():
            row.get_by_role("link", name=REVIEW_TEXT).click()
        assert agent.url.endswith(f"/reviews/{negative_review.pk}/"), agent.url
        expect(agent.locator(".deadlines")).to_contain_text("Follow up by (48 hours)")
        expect(agent.locator(".review-script")).to_be_visible()
        expect(agent.locator(".review-page")).to_contain_text("No contact yet.")

        promised = clock.localnow() + timedelta(days=1)
        agent.select_option("#id_channel", "phone")
        agent.select_option("#id_result", "agreed")
        agent.fill("#id_promised_at", promised.strftime("%Y-%m-%dT%H:%M"))
        agent.fill("#id_note", "买家接受换新，答应明天改评")
        with agent.expect_navigation():
            agent.get_by_role("button", name="Record the follow-up").click()
        expect(agent.locator(".messages")).to_contain_text("Follow-up recorded.")
        log = agent.locator(".review-page table.grid:not(.deadlines) tbody tr")
        expect(log).to_have_count(1)
        expect(log.first).to_contain_text("Phone")
        expect(log.first).to_contain_text("Agreed to modify")
        expect(log.first).to_contain_text(promised.strftime("%m-%d %H:%M"))
        expect(log.first).to_contain_text("yangli")

        agent.select_option("#id_outcome", "modified")
        with agent.expect_navigation():
            agent.get_by_role("button", name="Record the outcome").click()
        expect(agent.locator(".messages")).to_contain_text("Outcome recorded: the review is done.")
        expect(agent.locator("h1 .due-done")).to_have_text("Done")
        expect(agent.locator(".review-page")).to_contain_text("Buyer modified the review")
        expect(agent.get_by_role("button", name="Record the follow-up")).to_have_count(0)

        # It has left the open queues and sits under "Done".
        for tab in ("follow_up", "due_soon", "overdue", "waiting"):
            agent.goto(f"{live_server.url}/reviews/?tab={tab}")
            expect(agent.locator(f"#review-{negative_review.pk}")).to_have_count(0)
        agent.goto(f"{live_server.url}/reviews/?tab=done")
        expect(agent.locator(f"#review-{negative_review.pk}")).to_contain_text("Buyer modified the review")

        errors = [*agent.errors, *keeper.errors]
        assert errors == [], errors
    finally:
        for ctx in contexts:
            ctx.close()

    # --- the database at the end -------------------------------------------------------------------------------------
    agent_user, keeper_user = people
    case.refresh_from_db()
    assert case.state == Case.State.REFUNDED and case.received_by == keeper_user
    assert case.return_tracking_no == RETURN_TRACKING and case.refunded_at is not None
    assert {(ln.order_line_id, ln.quantity, ln.restocked) for ln in case.lines.all()} == {
        (bra_line.pk, 1, 1), (briefs_line.pk, 1, 1)}
    restocks = Movement.objects.filter(type=Movement.Type.RETURN_RESTOCK, reference=case.number)
    assert sorted((m.sku_id, m.location_id, m.quantity, m.actor_id) for m in restocks) == sorted(
        (sku.pk, location.pk, 1, keeper_user.pk) for sku in (bra, briefs))
    review = Review.objects.get(pk=negative_review.pk)
    assert review.outcome == Review.Outcome.MODIFIED and review.outcome_by == agent_user
    follow_up = FollowUp.objects.get(review=review)
    assert follow_up.channel == FollowUp.Channel.PHONE and follow_up.result == FollowUp.Result.AGREED
    assert follow_up.by == agent_user and follow_up.promised_at is not None
