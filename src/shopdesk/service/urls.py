"""Customer-service pages under /service/: the workbench and canned replies (urls_workbench), the supervisor's
KPIs, quality inspection, roster and score sheets (urls_team), the own-site chat widget's public endpoints
(urls_widget) and the chat-log import (urls_chatlog)."""

from shopdesk.service import urls_chatlog, urls_team, urls_widget, urls_workbench

app_name = "service"
urlpatterns = [*urls_workbench.urlpatterns, *urls_team.urlpatterns, *urls_widget.urlpatterns,
               *urls_chatlog.urlpatterns]
