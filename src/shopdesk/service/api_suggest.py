"""Reply suggestions under /api/v1/service/ (see service/api_urls.py): `POST suggest/`.

Body {"message": "...", "conversation": optional id}. The answer names the buyer's intent, the model's confidence,
up to three fitting canned replies (variables filled from the conversation when one is given) and, for a
bargaining message, the next move of the playbook (一拒二拉三引四斩, `bargaining.py`). Nothing is stored.
Needs service.view_conversation; a conversation of a shop the caller does not work on is 404.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shopdesk.core.drf import RequirePerms
from shopdesk.service import bargaining, intents, selectors, services, suggest
from shopdesk.service.models import Conversation


class SuggestInput(serializers.Serializer):
    message = serializers.CharField(max_length=services.MAX_TEXT,
                                    help_text="The buyer's message, as written (at most 2,000 characters).")
    conversation = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None,
                                            help_text="The conversation it belongs to: fills the replies' "
                                                      "variables and counts the buyer's bargaining.")


class SuggestedReplySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The canned reply.")
    text = serializers.CharField(help_text="Its text, variables filled where the conversation has a value.")


class BargainMoveSerializer(serializers.Serializer):
    step = serializers.IntegerField(help_text="1 refuse (一拒), 2 pull back with the promotion (二拉), 3 lead to "
                                              "value (三引), 4 close (四斩; also the supervisor request and the gift)")
    action = serializers.ChoiceField(choices=bargaining.ACTIONS)
    explanation = serializers.CharField(help_text="Guidance for the agent, in Chinese.")
    offer_percent = serializers.CharField(allow_null=True,
                                          help_text="For close: the most the agent may give, in percent.")


class SuggestionSerializer(serializers.Serializer):
    intent = serializers.ChoiceField(choices=intents.INTENTS)
    confidence = serializers.FloatField(min_value=0, max_value=1)
    replies = SuggestedReplySerializer(many=True)
    bargain = BargainMoveSerializer(allow_null=True, help_text="Only for a bargaining message, else null.")


class SuggestView(APIView):
    """The intent of a buyer's message and the canned replies that answer it (意图识别 + 推荐回复). Needs
    service.view_conversation."""

    permission_classes = [RequirePerms]
    required_perms = ["service.view_conversation"]
    parser_classes = [JSONParser]

    @extend_schema(
        request=SuggestInput, responses={200: SuggestionSerializer}, operation_id="service_suggest",
        examples=[
            OpenApiExample("a bargaining message", request_only=True,
                           value={"message": "能便宜点吗", "conversation": 12}),
            OpenApiExample("suggestion", response_only=True, value={
                "intent": "bargain", "confidence": 0.97,
                "replies": [{"id": 14, "text": "亲，真不好意思，测试天猫店的商品都是统一定价、实价销售的，……"}],
                "bargain": {"step": 1, "action": "refuse", "offer_percent": None,
                            "explanation": "一拒：第一次议价，礼貌地拒绝并说明理由——全店统一定价、"
                                           "品质有保障、实价销售，语气诚恳，不要直接给折扣。"}})])
    def post(self, request):
        data = SuggestInput(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = None
        if data.validated_data["conversation"] is not None:
            try:
                conversation = selectors.conversation_detail(request.user, data.validated_data["conversation"])
            except Conversation.DoesNotExist:
                raise Http404 from None
        found = suggest.suggest(user=request.user, text=data.validated_data["message"], conversation=conversation)
        return Response(found.as_dict())


urlpatterns = [path("suggest/", SuggestView.as_view(), name="api-service-suggest")]
