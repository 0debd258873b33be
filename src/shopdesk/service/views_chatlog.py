"""The chat-log import page under /service/import/ (聊天记录导入): upload a platform chat export, see what was
imported or every rejected row with its line; the template workbook to download."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from shopdesk.core.errors import ServiceError
from shopdesk.fulfillment.uploads import saved_upload
from shopdesk.service import chatlog
from shopdesk.service.forms_chatlog import ChatImportForm
from shopdesk.web.forms import add_service_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (column, other spellings, required, what to write): the layout of docs/chatlog-format.md.
COLUMN_HELP = [
    ("时间", "聊天时间 / 发送时间 / time", _("yes"),
     _("2026-11-22 09:30:05, 2026/11/22 9:30 or ISO 8601; a time without a zone is China time")),
    ("店铺", "店铺代码 / 店铺名称 / shop", _("unless a shop is chosen below"),
     _("the shop's code in ShopDesk (or its name)")),
    ("买家", "买家账号 / 买家ID / buyer", _("yes"), _("the buyer's platform account, at most 80 characters")),
    ("客服", "客服账号 / agent", _("on the agent's messages"),
     _("the agent as the platform names them (a sub-account 店铺:小美 too); empty on the buyer's messages")),
    ("方向", "消息方向 / direction", _("yes"),
     _("买家, 客服 or 系统; or 收 (received from the buyer) / 发 (sent by the shop)")),
    ("内容", "消息内容 / 聊天内容 / text", _("yes"), _("the message, at most 2000 characters")),
]


@permission_required(chatlog.IMPORT, raise_exception=True)
def chat_import(request):
    form = ChatImportForm(request.POST or None, request.FILES or None, user=request.user)
    summary = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with saved_upload(upload) as path:
                summary = chatlog.import_chat_log(actor=request.user, path=path,
                                                  default_shop=form.cleaned_data["shop"], filename=upload.name)
        except ServiceError as exc:
            add_service_error(form, exc)
    return render(request, "service/chatlog/import.html", {
        "form": form, "summary": summary, "headers": chatlog.TEMPLATE_HEADERS, "notes": COLUMN_HELP,
        "hidden_rejected": summary.rejected_count - len(summary.rejected) if summary else 0})


@permission_required(chatlog.IMPORT, raise_exception=True)
def chat_import_template(request):
    response = HttpResponse(chatlog.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="chat-log-template.xlsx"'
    return response
