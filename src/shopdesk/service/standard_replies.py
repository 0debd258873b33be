"""The standard canned replies (快捷短语): the scripts of seed 003 rewritten in the team's own words, grouped by the
eight in-sale steps (招呼 询问 推荐 议价 快递 核实 道别 跟进) and the after-sales topics (查件 少货 质量问题 退换货
中差评), each naming the buyer intents it answers so the suggestions find it.

Bargaining follows the playbook (`bargaining.py`): one reply per step of 一拒二拉三引四斩 (`bargain_step` 1-4), plus
"ask the supervisor" and "a small gift instead" (003:548), recognised by their titles (`SUPERVISOR_TITLE`,
`GIFT_TITLE`) or, for a team's own replies, by 主管 / 礼 in the title of a bargaining reply without a step.

The texts avoid what quality inspection flags (absolute promises such as 肯定/保证/绝对, "我" where "您" reads
better), and nothing here arranges fake orders (刷单) or pays for good reviews (好评返现): a review reply thanks the
buyer or asks what went wrong, nothing more.

`install_standard_replies(actor=..., shop=None)` creates, through `services.create_canned_reply`, the ones missing
(same group and title among the shop-wide replies of that shop, or of every shop when `shop` is None), so running
it again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from shopdesk.service.models import CannedReply

SUPERVISOR_TITLE = "议价·申请主管"
GIFT_TITLE = "议价·送小礼品"


@dataclass(frozen=True)
class StandardReply:
    group: str
    title: str
    text: str
    shortcut: str
    intents: tuple[str, ...] = ()
    bargain_step: int | None = None


def _r(group, title, shortcut, intents, text, bargain_step=None) -> StandardReply:
    return StandardReply(group, title, text, shortcut, tuple(intents), bargain_step)


STANDARD_REPLIES: tuple[StandardReply, ...] = (
    # 招呼: warm and quick
    _r("greet", "欢迎语", "hyy", ["greeting"],
       "亲，您好！欢迎光临{店铺}，客服{客服}很高兴为您服务，请问有什么可以帮您的吗？"),
    _r("greet", "让您久等", "jd", ["greeting"],
       "亲，让您久等了！{客服}在的，请问您看中了哪款宝贝？咱们帮您详细介绍一下～"),
    # 询问: careful, precise answers
    _r("ask", "正品说明", "zp", ["authenticity"],
       "亲，{店铺}是品牌授权的正规店铺，开店要经过营业执照、商标注册和产品质检报告等审核，店里的商品都是正品，"
       "您可以放心选购～"),
    _r("ask", "材质做工", "cz", ["product_quality"],
       "亲，{商品}的面料、做工和洗涤方法在详情页都有说明，出厂前都经过质检。您最关心的是哪一方面（面料、厚薄、"
       "是否起球掉色）？告诉咱们，客服为您详细解答～"),
    _r("ask", "尺码推荐", "cm", ["size_fit"],
       "亲，麻烦告诉咱们您的身高、体重和平时穿的尺码，客服帮您推荐合适的码数；详情页也有尺码表，可以对照您常穿的"
       "衣服量一量哦～"),
    _r("ask", "有现货", "xh", ["stock"],
       "亲，您好，这款宝贝有现货的，付款后会尽快为您安排发货，谢谢您的关注！"),
    _r("ask", "缺货推荐", "qh", ["stock"],
       "真不好意思，您看中的这款暂时卖完了，补货时间确定后第一时间通知您；店里刚到了几款相似的新款，给您看一下"
       "好吗？"),
    _r("ask", "开发票", "fp", ["invoice"],
       "亲，可以开发票的。请把发票抬头（个人或单位全称）和单位税号发给咱们，客服会在订单里备注，电子发票会在发货后"
       "开具并发送给您～"),
    # 推荐: professional and to the point
    _r("recommend", "热销推荐", "rx", ["other", "product_quality"],
       "亲，您的眼光真不错！这款是咱们店里卖得最好的，性价比也很高，不少老顾客都回购了哦～"),
    _r("recommend", "款式推荐", "tj", ["other"],
       "亲，让您久等了，根据您说的需求挑了两款风格简洁、很受欢迎的，您看看喜不喜欢，有问题随时问客服～"),
    _r("recommend", "当前活动", "hd", ["promotion"],
       "亲，店里现在正在做活动，满减、优惠券和赠品在店铺首页都能看到，下单时会自动为您计算优惠，现在拍正合适～"),
    _r("recommend", "包邮说明", "by", ["promotion"],
       "亲，店里的商品默认包邮（偏远地区除外，运费以下单页面显示为准），您可以放心下单～"),
    # 议价: 一拒二拉三引四斩, then the supervisor or a gift (003:548)
    _r("bargain", "议价·一拒", "yj1", ["bargain"],
       "亲，真不好意思，{店铺}的商品都是统一定价、实价销售的，价格已经很实在了，品质也有保障，还请您多多理解～",
       bargain_step=1),
    _r("bargain", "议价·二拉", "yj2", ["bargain", "promotion"],
       "亲，价格虽然改不了，不过店里现在正好有活动：领券下单更优惠，还有小赠品送给您，现在拍是最划算的时候哦～",
       bargain_step=2),
    _r("bargain", "议价·三引", "yj3", ["bargain"],
       "亲，单看价格可能会觉得稍高一点，但{商品}的用料和做工都很讲究，耐穿耐用不易变形，还支持7天无理由退换，"
       "买得放心、用得舒心，算下来其实更划算呢～",
       bargain_step=3),
    _r("bargain", "议价·四斩", "yj4", ["bargain"],
       "亲，看您这么喜欢，客服特意为您申请了一个优惠价，这已经是咱们能给的最大优惠了，现在拍下就为您改价，"
       "欢迎您以后常来～",
       bargain_step=4),
    _r("bargain", SUPERVISOR_TITLE, "zg", ["bargain"],
       "亲，客服这边没有改价的权限，这样吧，咱们帮您向主管申请一下，看能不能争取到折扣，麻烦您稍等两分钟哦～"),
    _r("bargain", GIFT_TITLE, "lp", ["bargain"],
       "亲，让您久等了，主管那边价格实在改不了，不过为您争取到了一份精美的小礼品，随包裹一起寄给您，您看这样"
       "可以吗？"),
    # 快递
    _r("shipping", "合作快递", "kd", ["carrier"],
       "亲，咱们和几家主流快递合作，会按您的地址选能送到的快递；如果需要指定快递（比如顺丰），请在拍下前告诉客服，"
       "补一下运费差价就可以；您那里普通快递到不了的话，可以改发邮政，全国都能送到～"),
    _r("shipping", "发货时间", "fh", ["shipping_time"],
       "亲，付款后咱们会在48小时内为您发货，当天下午4点前付款的订单一般当天发出；发货后客服会把运单号发给您～"),
    _r("shipping", "到货时间", "dh", ["shipping_time"],
       "亲，正常情况下发货后2-4天可以送到，偏远地区会慢一些；快递的派送速度受天气等因素影响，具体以实际派送为准，"
       "还请您谅解～"),
    _r("shipping", "货到付款", "dfk", ["cod"],
       "亲，支持货到付款的地区，下单时在付款方式里选择“货到付款”就可以，收到包裹时把货款交给快递员；货到付款快递"
       "公司会收取少量手续费，以下单页面显示为准～"),
    # 核实
    _r("verify", "核对收货信息", "hd1", ["address_change"],
       "亲，您的订单{订单号}已付款，麻烦您核对一下收货人、电话和地址，信息无误请回复“对”，有误请告诉咱们正确的"
       "信息，客服及时为您修改～"),
    _r("verify", "修改地址", "gdz", ["address_change"],
       "亲，收到！请把正确的收货人、电话和详细地址发给咱们，客服马上为您修改并备注；如果包裹已经发出，会联系快递"
       "尝试改派，请您留意物流信息～"),
    # 道别
    _r("farewell", "成交道别", "db", ["other"],
       "谢谢您的惠顾！宝贝会尽快为您发出，请注意查收。收到后有任何问题请先联系客服{客服}，咱们第一时间为您处理，"
       "祝您生活愉快～"),
    _r("farewell", "未成交道别", "db2", ["other"],
       "好的亲，不着急，您可以再比较看看，有任何问题随时来找{客服}，欢迎下次光临～"),
    # 跟进
    _r("follow_up", "催付提醒", "cf", [],
       "亲，您在{店铺}拍下的宝贝还没有付款哦，库存有限，付款后咱们马上为您安排发货～"),
    _r("follow_up", "发货通知", "fhtz", ["shipping_time", "tracking"],
       "亲，您的订单{订单号}已经发出啦，{快递公司}运单号{运单号}，请注意查收～"),
    # 查件
    _r("tracking", "查件安抚", "cj", ["tracking"],
       "亲，先别着急，客服马上帮您查询。您的包裹由{快递公司}承运，运单号{运单号}，查到结果第一时间告诉您～"),
    _r("tracking", "物流延误", "yw", ["tracking"],
       "亲，非常抱歉让您久等了，包裹在运输途中有些延误，咱们已经联系{快递公司}催件，有进展马上通知您，给您添麻烦了～"),
    # 少货
    _r("missing", "少件补发", "sj", ["missing_item"],
       "亲，非常抱歉给您带来不便！麻烦您把收到的商品和发货单拍照发给咱们，核实后如果确实少发，当天就为您补发，"
       "请您放心～"),
    _r("missing", "发错货", "fc", ["missing_item"],
       "亲，真是抱歉发错了！请您拍一下收到的商品和吊牌发给咱们，核实后为您换发正确的商品，来回运费由咱们承担～"),
    # 质量问题
    _r("quality", "质量问题致歉", "zl", ["quality_problem"],
       "亲，收到的宝贝有问题，真的非常抱歉！您先别着急，请拍几张问题部位的照片发给咱们，客服马上为您处理～"),
    _r("quality", "质量问题方案", "zl2", ["quality_problem", "return_exchange"],
       "亲，问题已经了解了，再次向您道歉。您看是为您换一件新的，还是退货退款？质量问题的来回运费都由咱们承担，"
       "退换的地址和注意事项稍后发给您～"),
    _r("quality", "色差与气味", "sc", ["quality_problem", "product_quality"],
       "亲，网购难免会有一点色差，图片已经尽量调到接近实物；新品刚下生产线会有轻微气味，放在通风处几天就会散去，"
       "还请您理解～"),
    # 退换货
    _r("returns", "退换政策", "th", ["return_exchange"],
       "亲，请问商品是有质量问题吗？质量问题或发错、漏发的，来回运费由咱们承担；不喜欢或不合适的，可以享受7天"
       "无理由退换，来回运费由您承担。已穿着洗涤、吊牌不全或影响二次销售的商品不能退换哦～"),
    _r("returns", "退货须知", "thxz", ["return_exchange"],
       "亲，寄回时请在包裹里放一张纸条，写上您的账号、姓名、手机号和退换原因；请不要选择到付，到付件会被拒收。"
       "寄出后把快递公司和运单号告诉咱们，方便跟踪处理～"),
    _r("returns", "退款进度", "tk", ["refund"],
       "亲，收到退回的包裹并确认无误后，会尽快为您办理退款，款项原路退回，一般1-3个工作日到账，请您耐心等待～"),
    _r("returns", "未发货退款", "tk2", ["refund"],
       "亲，好的，订单还没发出的话，会马上为您拦截，您在订单里申请退款后，客服会尽快为您处理～"),
    # 中差评 (and complaints: listen, apologise, record, solve)
    _r("bad_review", "感谢好评", "hp", ["review"],
       "亲，感谢您的评价和支持！{店铺}会继续努力，欢迎您下次光临，有任何问题随时联系{客服}～"),
    _r("bad_review", "中差评沟通", "cp", ["review"],
       "亲，看到您的评价非常抱歉，想了解一下是哪里让您不满意了？问题咱们会认真处理，处理好之后如果您愿意，"
       "再麻烦您重新评价一下，谢谢您～"),
    _r("bad_review", "投诉致歉", "ts", ["complaint"],
       "亲，非常抱歉给您带来了不好的体验，您的心情完全可以理解。请您把遇到的问题详细告诉咱们，记录下来后会尽快给您"
       "一个处理结果～"),
    _r("bad_review", "交主管处理", "ts2", ["complaint"],
       "亲，这个问题已经记录下来，马上交给主管处理，稍后由主管联系您，给您一个满意的答复，请您留意电话～"),
)


def replies_for_intent(intent: str) -> list[StandardReply]:
    return [r for r in STANDARD_REPLIES if intent in r.intents]


@transaction.atomic
def install_standard_replies(*, actor, shop=None) -> int:
    """Create the standard replies that are missing as shop-wide replies (for `shop`, or for every shop); returns
    how many were created. Needs the permission to manage shop-wide replies (the supervisor); actor None is the
    system (the demo)."""
    from shopdesk.service import services

    existing = set(CannedReply.objects.filter(owner__isnull=True, shop=shop).values_list("group", "title"))
    created = 0
    for sort, reply in enumerate(STANDARD_REPLIES, start=1):
        if (reply.group, reply.title) in existing:
            continue
        services.create_canned_reply(actor=actor, group=reply.group, title=reply.title, text=reply.text,
                                     shortcut=reply.shortcut, intents=list(reply.intents),
                                     bargain_step=reply.bargain_step, shop=shop, personal=False, sort=sort * 10)
        created += 1
    return created
