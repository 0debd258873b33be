"""What to say to a buyer about a neutral or negative review, by its reason (pure data, shown beside the follow-up
form).

Written in our own words after the 中差评处理 part of seed 003: answer at once, apologise first, listen without
interrupting, offer what the shop can really do, then agree on when the buyer will change the review and when we
call again. The four reasons the seed gives answers for (色差, 气味, 价格, 质量) have their own script; the others get
the general approach and, for 恶意差评, the advice to post an explanation instead of arguing.
"""

from __future__ import annotations

GENERAL = (
    "您好，我是本店售后客服，看到您对这次购物不太满意，非常抱歉给您添麻烦了。"
    "方便说一下具体是哪里不满意吗？我们一定尽力帮您解决。"
)

CLOSING = (
    "问题解决后，如果您觉得我们的处理还可以，麻烦抽空帮忙把评价改一下，您看哪天方便？"
    "我们也约个时间再跟您确认一下，谢谢您的理解和支持！"
)

SCRIPTS: dict[str, str] = {
    "colour": (
        "关于颜色和图片有差别的问题：网上的照片受拍摄灯光和手机、电脑屏幕的影响，颜色多少会有些出入，"
        "我们一直在调整图片，尽量让颜色和实物接近。给您带来不便真的很抱歉，希望您能理解；"
        "如果颜色实在不合心意，我们可以帮您办理退换。"
    ),
    "smell": (
        "关于有气味的问题：我们的商品多是刚下生产线就直接发出，没有像实体店那样长时间摆放通风，"
        "所以刚拆开会有一点味道。放在通风的地方两三天，味道就会散掉，不影响使用；"
        "如果几天后还是有味道，请随时联系我们。"
    ),
    "price": (
        "关于价格的问题：这款商品用料和做工在同价位里是很实在的（可以具体说说卖点），"
        "每个人对网购的心理价位不太一样，我们很理解您的想法。"
        "以后店里有活动会第一时间通知您，希望您能理解。"
    ),
    "quality": (
        "关于质量的问题：非常抱歉让您收到有问题的商品。我们支持7天无理由退换，"
        "质量问题来回运费都由我们承担，麻烦您寄回来，我们马上给您换一件新的，或者按您的意思办理退货。"
    ),
    "courier": (
        "关于物流的问题：快递一般3到5天送达，这次让您久等了，非常抱歉。"
        "我们已经查了物流记录（说明具体原因），以后会更注意快递的选择，也会及时告诉您包裹的进度。"
    ),
    "service": (
        "关于服务的问题：首先真诚地向您道歉，是我们做得不好。谢谢您提出的意见，"
        "我们已经在内部改进，今后一定注意服务态度和回复速度。"
    ),
    "malicious": (
        "疑似恶意差评（同行、联系不上或被拉黑）：先核对商品、出库、快递记录，确认我们没有问题后，"
        "不要争吵，在评价解释里如实、平和地说明情况，让其他买家看清楚；解释须在可修改期的最后一天前发出。"
    ),
    "other": (
        "先耐心听买家说明原因，不要打断；说声对不起，再给出店铺能做到的解决办法。"
        "当时解决不了的，告诉买家会请主管处理，并约好回电时间。"
    ),
}

THANK_BUYER = "感谢您的理解，也谢谢您帮我们修改评价！店里有新活动时会第一时间告诉您。"


def script_for(category: str) -> dict[str, str]:
    """The opening, the reason's own part and the closing for a review's reason (empty reason: the general one)."""
    return {"opening": GENERAL, "reason": SCRIPTS.get(category or "other", SCRIPTS["other"]), "closing": CLOSING,
            "thanks": THANK_BUYER}
