"""Review pages under /reviews/: the list and its queues, a review (follow-ups, outcome, thank-you), manual entry,
the import with its template, the weekly review-cause report and its workbook, the thank-you template settings."""

from django.urls import path

from shopdesk.reviews import views as v

app_name = "reviews"
urlpatterns = [
    path("", v.review_list, name="list"),
    path("new/", v.review_create, name="create"),
    path("import/", v.review_import, name="import"),
    path("import/template.xlsx", v.review_template, name="template"),
    path("report/", v.report, name="report"),
    path("report.xlsx", v.report_xlsx, name="report_xlsx"),
    path("settings/", v.review_settings, name="settings"),
    path("<int:pk>/", v.review_detail, name="detail"),
    path("<int:pk>/follow-up/", v.follow_up, name="follow_up"),
    path("<int:pk>/outcome/", v.outcome, name="outcome"),
    path("<int:pk>/thank-you/", v.thank_you, name="thank_you"),
]
