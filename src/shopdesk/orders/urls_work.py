"""The daily order work under /orders/: imports, the queues, change approvals, tasks and rules (names in the
"orders" namespace of orders/urls.py)."""

from django.urls import path

from shopdesk.orders import views_work as v

urlpatterns = [
    path("import/", v.import_page, name="import"),
    path("import/template.xlsx", v.import_template_xlsx, name="import_template_xlsx"),
    path("import/template.csv", v.import_template_csv, name="import_template_csv"),
    path("imports/", v.import_history, name="imports"),
    path("imports/<int:pk>/", v.import_run, name="import_run"),
    path("imports/<int:pk>/progress/", v.import_progress, name="import_progress"),
    path("unpaid/", v.unpaid, name="unpaid"),
    path("unpaid/<int:pk>/remind/", v.remind, name="unpaid_remind"),
    path("review/", v.review, name="review"),
    path("review/verify/", v.review_verify_batch, name="review_verify_batch"),
    path("review/<int:pk>/verify/", v.review_verify, name="review_verify"),
    path("exceptions/", v.exceptions, name="exceptions"),
    path("exceptions/<int:pk>/recheck/", v.exceptions_recheck, name="exceptions_recheck"),
    path("cannot-ship/", v.cannot_ship, name="cannot_ship"),
    path("cannot-ship/<int:pk>/told/", v.buyer_told, name="buyer_told"),
    path("changes/", v.changes, name="changes"),
    path("changes/<int:pk>/approve/", v.change_approve, name="change_approve"),
    path("changes/<int:pk>/reject/", v.change_reject, name="change_reject"),
    path("tasks/", v.tasks, name="tasks"),
    path("tasks/<int:pk>/done/", v.task_done, name="task_done"),
    path("rules/", v.rules, name="rules"),
    path("rules/areas/<int:pk>/remove/", v.rules_area_remove, name="rules_area_remove"),
]
