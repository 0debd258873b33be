"""Pages of the customer-service workbench (included by service/urls.py, namespace "service"): the workbench and a
conversation with its thread partial and actions, the canned replies and the supervisor's discount requests."""

from django.urls import path

from shopdesk.service import views as v

urlpatterns = [
    path("", v.workbench, name="workbench"),
    path("c/<int:pk>/", v.conversation, name="conversation"),
    path("c/<int:pk>/thread/", v.thread, name="thread"),
    path("c/<int:pk>/reply/", v.reply, name="reply"),
    path("c/<int:pk>/note/", v.note, name="note"),
    path("c/<int:pk>/quick-replies/", v.quick_replies, name="quick_replies"),
    path("c/<int:pk>/assign/", v.assign, name="assign"),
    path("c/<int:pk>/tags/", v.tags, name="tags"),
    path("c/<int:pk>/close/", v.close, name="close"),
    path("c/<int:pk>/discount/", v.discount_request, name="discount_request"),
    path("c/<int:pk>/orders/<int:order_pk>/verification/", v.verification, name="verification"),
    path("c/<int:pk>/orders/<int:order_pk>/note/", v.order_note, name="order_note"),
    path("c/<int:pk>/notices/<int:notice_pk>/send/", v.send_notice, name="send_notice"),
    path("replies/", v.reply_list, name="replies"),
    path("replies/new/", v.reply_new, name="reply_new"),
    path("replies/install/", v.replies_install, name="replies_install"),
    path("replies/<int:pk>/", v.reply_edit, name="reply_edit"),
    path("replies/<int:pk>/delete/", v.reply_delete, name="reply_delete"),
    path("discounts/", v.discounts, name="discounts"),
    path("discounts/<int:pk>/decide/", v.discount_decide, name="discount_decide"),
]
