"""The supervisor's customer-service pages under /service/ (app "service"): KPIs, quality inspection, the duty
roster, the monthly score sheets and the CS settings."""

from django.urls import path

from shopdesk.service import views_team as v

urlpatterns = [
    path("kpis/", v.kpi_page, name="kpis"),
    path("quality/", v.quality_list, name="quality"),
    path("quality/inspect/", v.quality_inspect, name="quality_inspect"),
    path("quality/<int:pk>/", v.quality_detail, name="quality_detail"),
    path("roster/", v.roster_page, name="roster"),
    path("roster/add/", v.roster_add, name="roster_add"),
    path("roster/<int:pk>/remove/", v.roster_remove, name="roster_remove"),
    path("roster/shifts/<int:pk>/", v.shift_edit, name="shift_edit"),
    path("score-sheets/", v.score_sheet_list, name="score_sheets"),
    path("score-sheets/build/", v.score_sheets_build, name="score_sheets_build"),
    path("score-sheets/<int:pk>/", v.score_sheet_detail, name="score_sheet"),
    path("score-sheets/<int:pk>/rebuild/", v.score_sheet_rebuild, name="score_sheet_rebuild"),
    path("score-sheets/<int:pk>/adjust/", v.score_sheet_adjust, name="score_sheet_adjust"),
    path("score-sheets/<int:pk>/submit/", v.score_sheet_submit, name="score_sheet_submit"),
    path("score-sheets/<int:pk>/decide/", v.score_sheet_decide, name="score_sheet_decide"),
    path("settings/", v.team_settings, name="team_settings"),
]
