"""Chat-log import API under /api/v1/service/ (聊天记录导入):

POST chat-imports/ (multipart: `file`, optional `shop` code for rows without one) → 201 {created, duplicates,
rejected: [], rejected_count, conversations, new_conversations}; a file with bad rows imports nothing and answers
400 with the usual error body (code invalid_import, `rows`: [{line, column, reason}]) plus the same summary keys.
Permission service.import_chatlog, like the page; every shop of the file must be assigned to the caller (403).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shopdesk.channels.models import Shop
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core.drf import RequirePerms, error_body
from shopdesk.fulfillment.uploads import UploadFile, saved_upload
from shopdesk.service import chatlog


class ChatImportInput(serializers.Serializer):
    file = UploadFile()
    shop = serializers.CharField(required=False, allow_blank=True,
                                 help_text="shop code for rows whose 店铺 cell is empty")


class ChatImportRejectedRow(serializers.Serializer):
    line = serializers.IntegerField(help_text="the file's line (the header is line 1); 0 for the whole file")
    column = serializers.CharField()
    reason = serializers.CharField()


class ChatImportResult(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = ChatImportRejectedRow(many=True)
    rejected_count = serializers.IntegerField()
    conversations = serializers.IntegerField()
    new_conversations = serializers.IntegerField()


class ChatImportView(APIView):
    """Import a platform chat log (CSV or xlsx; layout in docs/chatlog-format.md). Idempotent: messages already
    imported are counted as duplicates. All or nothing: any bad row and nothing is imported (400)."""

    permission_classes = [RequirePerms]
    required_perms = [chatlog.IMPORT]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": ChatImportInput},
                   responses={201: ChatImportResult, 400: ChatImportResult})
    def post(self, request):
        s = ChatImportInput(data=request.data)
        s.is_valid(raise_exception=True)
        code = (s.validated_data.get("shop") or "").strip()
        shop = None
        if code:
            shop = shops_visible_to(request.user).filter(code=code).first()
            if shop is None:
                message = ("Shop %s is not assigned to you." if Shop.objects.filter(code=code).exists()
                           else "No shop with code %s.") % code
                return Response(error_body("invalid", message, {"shop": [message]}),
                                status=status.HTTP_400_BAD_REQUEST)
        upload = s.validated_data["file"]
        with saved_upload(upload) as file_path:
            summary = chatlog.import_chat_log(actor=request.user, path=file_path, default_shop=shop,
                                              filename=upload.name)
        data = summary.as_dict()
        if summary.rejected_count:
            body = error_body("invalid_import", summary.error, {"file": [summary.error]})
            body["error"]["rows"] = summary.rejected
            return Response({**body, **data}, status=status.HTTP_400_BAD_REQUEST)
        return Response(data, status=status.HTTP_201_CREATED)


urlpatterns = [path("chat-imports/", ChatImportView.as_view(), name="api-service-chat-imports")]
