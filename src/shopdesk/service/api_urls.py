"""Customer-service API under /api/v1/service/: conversations, messages and canned replies (api), reply
suggestions (api_suggest), KPIs, quality, roster and score sheets (api_team), chat-log import (api_chatlog)."""

from shopdesk.service import api, api_chatlog, api_suggest, api_team

urlpatterns = [*api.urlpatterns, *api_suggest.urlpatterns, *api_team.urlpatterns, *api_chatlog.urlpatterns]
