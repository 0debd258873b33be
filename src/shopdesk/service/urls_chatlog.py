"""The chat-log import pages under /service/ (included with app_name "service")."""

from django.urls import path

from shopdesk.service import views_chatlog as v

urlpatterns = [
    path("import/", v.chat_import, name="chat_import"),
    path("import/template.xlsx", v.chat_import_template, name="chat_import_template"),
]
