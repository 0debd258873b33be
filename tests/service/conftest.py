"""Fixtures of the customer-service tests: agents of the shop, and conversations played through the services at
chosen times (so response times and KPIs have known answers)."""

from __future__ import annotations

from datetime import datetime

import pytest

from shopdesk.core import clock
from shopdesk.service import services


@pytest.fixture
def agent(make_user, shop):
    return make_user("cs_presales", shops=[shop], display_name="小美")


@pytest.fixture
def aftersales_agent(make_user, shop):
    return make_user("cs_aftersales", shops=[shop], display_name="小李")


@pytest.fixture
def supervisor(make_user, shop):
    return make_user("cs_supervisor", shops=[shop], display_name="王主管")


@pytest.fixture
def chat(db, shop, agent):
    """chat([("buyer", "亲在吗", datetime), ("agent", "在的亲", datetime), ...], buyer="tb-buyer", for_shop=None,
    by=agent) -> the Conversation, its messages posted through the services with the clock frozen at each time
    (naive datetimes are China time). "note" adds a private note; "close" (text ignored) closes it."""

    def play(script, *, buyer="tb-buyer", for_shop=None, by=None, nick=""):
        target_shop = for_shop or shop
        conversation = None
        for who, text, at in script:
            by_agent = by or agent
            with clock.freeze(at if isinstance(at, datetime) else at):
                if who == "buyer":
                    message = services.post_buyer_message(actor=None, shop=target_shop, buyer_id=buyer, text=text,
                                                          buyer_nick=nick)
                    conversation = message.conversation
                elif who == "agent":
                    services.post_agent_reply(actor=by_agent, conversation=conversation, text=text)
                elif who == "note":
                    services.add_note(actor=by_agent, conversation=conversation, text=text)
                elif who == "close":
                    services.close_conversation(actor=by_agent, conversation=conversation)
                else:
                    raise ValueError(who)
        conversation.refresh_from_db()
        return conversation

    return play
