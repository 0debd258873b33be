"""The review pages and API: permissions (pre-sales reads but does not write, another shop's review is 404), the
four deadlines with their offset in the API, the list's queues with bounded queries, forms, import, report, tiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from shopdesk.reviews import services
from shopdesk.reviews.models import FollowUp, Review

H = timedelta(hours=1)


@pytest.fixture
def negative(make_review, frozen, cn_time):
    return make_review("negative", cn_time(2026, 11, 25, 8, 0), category="colour", text="色差太大",
                       item_title="真皮斜挎包", buyer_platform_id="tb_lucy")


def test_api_retrieve_shows_the_four_deadlines_with_offset(api_for, shop, negative, make_review):
    api = api_for("cs_presales", shops=[shop])
    data = api.get(f"/api/v1/reviews/{negative.pk}/").json()
    assert data["posted_at"] == "2026-11-25T08:00:00+08:00"
    assert data["follow_up_due_at"] == "2026-11-27T08:00:00+08:00"
    assert data["takes_effect_at"] == "2026-11-28T08:00:00+08:00"
    assert data["modifiable_until"] == "2026-12-25T08:00:00+08:00"
    assert data["explanation_due_at"] == "2026-12-25T08:00:00+08:00"
    assert data["done"] is False and data["follow_ups"] == []
    positive = api.get(f"/api/v1/reviews/{make_review('positive').pk}/").json()
    assert [positive[k] for k in ("follow_up_due_at", "takes_effect_at", "modifiable_until",
                                  "explanation_due_at")] == [None] * 4


def test_api_offset_whatever_zone_is_active(api_for, shop, negative, settings):
    settings.TIME_ZONE = "UTC"
    data = api_for("cs_aftersales", shops=[shop]).get(f"/api/v1/reviews/{negative.pk}/").json()
    assert data["follow_up_due_at"] == "2026-11-27T08:00:00+08:00"


def test_api_presales_reads_but_cannot_write(api_for, shop, negative, frozen):
    api = api_for("cs_presales", shops=[shop])
    assert api.get("/api/v1/reviews/").status_code == 200
    assert api.get(f"/api/v1/reviews/{negative.pk}/follow-ups/").status_code == 200
    for url, body in ((f"/api/v1/reviews/{negative.pk}/follow-ups/", {"channel": "chat", "result": "refused"}),
                      (f"/api/v1/reviews/{negative.pk}/outcome/", {"outcome": "modified"}),
                      ("/api/v1/reviews/", {"shop": shop.code, "platform_review_id": "X", "rating": "negative",
                                            "posted_at": "2026-11-25T08:00:00+08:00"})):
        response = api.post(url, body, format="json")
        assert response.status_code == 403, url
    assert not FollowUp.objects.exists() and negative.__class__.objects.count() == 1


def test_api_other_shop_is_404(api_for, other_shop, negative):
    api = api_for("cs_aftersales", shops=[other_shop])
    assert api.get(f"/api/v1/reviews/{negative.pk}/").status_code == 404
    assert api.post(f"/api/v1/reviews/{negative.pk}/follow-ups/", {"channel": "chat", "result": "refused"},
                    format="json").status_code == 404
    assert api.get("/api/v1/reviews/").json()["count"] == 0


def test_api_work_flow(api_for, make_user, shop, frozen):
    agent = api_for("cs_aftersales", shops=[shop])
    created = agent.post("/api/v1/reviews/", {"shop": shop.code, "platform_review_id": "R-API", "rating": "neutral",
                                              "posted_at": "2026-11-25T06:00:00", "category": "smell"},
                         format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["follow_up_due_at"] == "2026-11-27T06:00:00+08:00"
    listed = agent.get("/api/v1/reviews/", {"queue": "follow_up", "category": "smell"}).json()
    assert [r["id"] for r in listed["results"]] == [pk]
    assert agent.get("/api/v1/reviews/", {"queue": "waiting"}).json()["count"] == 0
    assert agent.get("/api/v1/reviews/", {"queue": "nope"}).status_code == 400
    follow = agent.post(f"/api/v1/reviews/{pk}/follow-ups/", {
        "channel": "phone", "result": "agreed", "promised_at": "2026-11-26T20:00:00+08:00"}, format="json")
    assert follow.status_code == 201 and follow.json()["first_contact_at"] == "2026-11-25T10:00:00+08:00"
    assert follow.json()["follow_ups"][0]["promised_at"] == "2026-11-26T20:00:00+08:00"
    assert agent.get("/api/v1/reviews/", {"queue": "waiting"}).json()["count"] == 1
    refused = agent.post(f"/api/v1/reviews/{pk}/outcome/", {"outcome": "compensated", "compensation": "20"},
                         format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "needs_approval"
    boss = api_for("cs_supervisor", shops=[shop])
    done = boss.post(f"/api/v1/reviews/{pk}/outcome/", {"outcome": "compensated", "compensation": "20"},
                     format="json")
    assert done.status_code == 200 and done.json()["done"] is True
    assert done.json()["compensation_approved_by"] == boss.user.username
    missing = boss.post(f"/api/v1/reviews/{pk}/outcome/", {"outcome": "explained"}, format="json")
    assert missing.status_code == 409


def test_api_thank_you_import_report(api_for, shop, make_review, review_csv, frozen):
    api = api_for("cs_supervisor", shops=[shop])
    positive = make_review("positive", buyer_platform_id="tb_amy", item_title="帆布包")
    response = api.post(f"/api/v1/reviews/{positive.pk}/thank-you/")
    assert response.status_code == 200 and "tb_amy" in response.json()["thank_you"]
    path = review_csv([["R-F1", "000111", "帆布包", "", "差评", "不好", "2026-11-18 10:00:00", "质量", "tb_x"]])
    with open(path, "rb") as fh:
        imported = api.post("/api/v1/reviews/import/", {"shop": shop.code, "file": fh}, format="multipart")
    assert imported.status_code == 201 and imported.json()["created"] == 1
    assert imported.json()["unmatched_orders"] == ["000111"]
    bad = review_csv([["R-F2", "000111", "", "", "差", "", "2026-11-18 10:00:00", "", ""]], name="bad.csv")
    with open(bad, "rb") as fh:
        refused = api.post("/api/v1/reviews/import/", {"shop": shop.code, "file": fh}, format="multipart")
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["file"]
    report = api.get("/api/v1/reviews/report/", {"week": "2026-W47"}).json()
    assert report["week"] == "2026-W47" and report["by_reason"][0]["category"] == "quality"
    assert report["start"] == "2026-11-16" and report["end"] == "2026-11-22"
    assert api.get("/api/v1/reviews/report/", {"week": "junk"}).status_code == 400


def test_pages_permissions(client_for, shop, other_shop, negative):
    presales = client_for("cs_presales", shops=[shop])
    assert presales.get(reverse("reviews:list")).status_code == 200
    page = presales.get(reverse("reviews:detail", args=[negative.pk]))
    assert page.status_code == 200 and "Log a contact" not in page.content.decode()
    assert presales.post(reverse("reviews:follow_up", args=[negative.pk]),
                         {"channel": "chat", "result": "refused"}).status_code == 403
    assert presales.get(reverse("reviews:import")).status_code == 403
    assert presales.get(reverse("reviews:create")).status_code == 403
    warehouse = client_for("warehouse", shops=[shop])
    assert warehouse.get(reverse("reviews:list")).status_code == 403
    stranger = client_for("cs_aftersales", shops=[other_shop])
    assert stranger.get(reverse("reviews:detail", args=[negative.pk])).status_code == 404
    assert stranger.post(reverse("reviews:outcome", args=[negative.pk]), {"outcome": "modified"}).status_code == 404


def test_detail_page_deadlines_script_and_forms(client_for, shop, negative, frozen):
    agent = client_for("cs_aftersales", shops=[shop])
    html = agent.get(reverse("reviews:detail", args=[negative.pk])).content.decode()
    assert "2026-11-27 08:00" in html and "2026-11-28 08:00" in html and "2026-12-25 08:00" in html
    assert "色差太大" in html and "网上的照片受拍摄灯光" in html  # the colour script beside the form
    assert "12:00" in html and "14:00" in html  # the reviews block of the CS day
    response = agent.post(reverse("reviews:follow_up", args=[negative.pk]),
                          {"channel": "phone", "result": "agreed", "note": "<b>bold</b>"})
    assert response.status_code == 400  # agreed needs the promised time
    response = agent.post(reverse("reviews:follow_up", args=[negative.pk]),
                          {"channel": "phone", "result": "refused", "note": "<b>bold</b>",
                           "next_contact_at": "2026-11-26T12:30"})
    assert response.status_code == 302
    html = agent.get(reverse("reviews:detail", args=[negative.pk])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    response = agent.post(reverse("reviews:outcome", args=[negative.pk]), {"outcome": "compensated",
                                                                           "compensation": "10"})
    assert response.status_code == 400
    assert agent.post(reverse("reviews:outcome", args=[negative.pk]),
                      {"outcome": "explained", "explanation": "已为买家换货"}).status_code == 302
    negative.refresh_from_db()
    assert negative.outcome == "explained"


def test_list_page_tabs_badges_and_bounded_queries(client_for, shop, make_review, frozen,
                                                   django_assert_max_num_queries):
    now = frozen.now()
    for i in range(30):
        make_review("negative", now - (50 + i) * H)  # overdue
        make_review("neutral", now - 44 * H)  # due soon
        make_review("positive", now - i * H)
    client = client_for("cs_supervisor", shops=[shop])
    with django_assert_max_num_queries(15):
        response = client.get(reverse("reviews:list"), {"tab": "overdue", "page_size": 100})
    html = response.content.decode()
    assert response.status_code == 200 and html.count("due-overdue") == 30
    with django_assert_max_num_queries(15):
        html = client.get(reverse("reviews:list"), {"tab": "due_soon"}).content.decode()
    assert "due-soon" in html and "due-overdue" not in html
    html = client.get(reverse("reviews:list"), {"tab": "all", "rating": "positive"}).content.decode()
    assert html.count('class="rating rating-positive"') == 25  # one page


def test_create_import_report_settings_pages(client_for, shop, review_csv, make_review, frozen):
    client = client_for("cs_supervisor", shops=[shop])
    response = client.post(reverse("reviews:create"), {
        "shop": shop.pk, "platform_review_id": "R-WEB", "rating": "negative", "posted_at": "2026-11-25T09:00",
        "category": "price", "text": "太贵了", "platform_order_no": "NOPE"})
    assert response.status_code == 302
    review = Review.objects.get(platform_review_id="R-WEB")
    assert review.order is None and review.platform_order_no == "NOPE"
    template = client.get(reverse("reviews:template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    path = review_csv([["R-W1", "1", "", "", "中评", "", "2026-11-24 09:00:00", "", ""]], encoding="gbk")
    with open(path, "rb") as fh:
        assert client.post(reverse("reviews:import"), {"shop": shop.pk, "file": fh}).status_code == 302
    assert Review.objects.filter(platform_review_id="R-W1", rating="neutral").exists()
    bad = review_csv([["R-W2", "1", "", "", "中评", "", "not a time", "", ""]], name="bad.csv")
    with open(bad, "rb") as fh:
        html = client.post(reverse("reviews:import"), {"shop": shop.pk, "file": fh}).content.decode()
    assert "评价时间" in html and not Review.objects.filter(platform_review_id="R-W2").exists()
    report = client.get(reverse("reviews:report"), {"week": "2026-W48"})
    assert report.status_code == 200 and 'data-reason="price"' in report.content.decode()
    xlsx = client.get(reverse("reviews:report_xlsx"), {"week": "2026-W48"})
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(xlsx.content))
    assert book.sheetnames == ["汇总", "按原因", "按商品", "按店铺"]
    rows = [list(r) for r in book["按原因"].iter_rows(values_only=True)]
    assert rows[0] == ["原因", "中差评数"] and sorted(rows[1:]) == [["价格", 1], ["未分类", 1]]
    response = client.post(reverse("reviews:settings") + f"?shop={shop.code}",
                           {"thank_you_template": "多谢{买家}支持{商品}"})
    assert response.status_code == 302
    positive = make_review("positive", buyer_platform_id="tb_z", item_title="托特包")
    client.post(reverse("reviews:thank_you", args=[positive.pk]))
    positive.refresh_from_db()
    assert positive.thank_you == "多谢tb_z支持托特包"


def test_home_tiles(client_for, make_user, shop, make_review, frozen):
    now = frozen.now()
    make_review("negative", now - H)
    make_review("negative", now - 50 * H)
    agent = client_for("cs_aftersales", shops=[shop])
    html = agent.get(reverse("home")).content.decode()
    assert 'data-tile="reviews_follow_up"' in html and 'data-tile="reviews_overdue"' not in html
    boss = client_for("cs_supervisor", shops=[shop])
    html = boss.get(reverse("home")).content.decode()
    tile = html.split('data-tile="reviews_overdue"', 1)[1]
    assert '<span class="tile-count">1</span>' in tile.split("</a>", 1)[0]
    assert services.open_follow_up_deadline(Review.objects.first()) is not None
