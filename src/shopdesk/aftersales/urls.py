"""After-sales pages under /aftersales/: the case queues and pages, opening a case with the policy preview, return
receiving, the returns register and its workbook, complaints, the supervisor's daily check."""

from django.urls import path

from shopdesk.aftersales import views as v
from shopdesk.aftersales import views_complaints as c
from shopdesk.aftersales import views_register as r

app_name = "aftersales"
urlpatterns = [
    path("", v.case_list, name="cases"),
    path("new/<int:order_pk>/", v.case_new, name="case_new"),
    path("policy-preview/", v.policy_preview, name="policy_preview"),
    path("<int:pk>/", v.case_detail, name="case"),
    path("<int:pk>/parcel/", v.case_parcel, name="case_parcel"),
    path("<int:pk>/evidence/", v.case_evidence, name="case_evidence"),
    path("<int:pk>/refund/", v.case_refund, name="case_refund"),
    path("<int:pk>/approve/", v.case_approve, name="case_approve"),
    path("<int:pk>/accept/", v.case_accept, name="case_accept"),
    path("<int:pk>/compensate/", v.case_compensate, name="case_compensate"),
    path("<int:pk>/withdraw/", v.case_withdraw, name="case_withdraw"),
    path("<int:pk>/receive/", v.receive, name="receive"),
    path("evidence/<int:pk>/photo/", v.evidence_photo, name="evidence_photo"),
    path("receiving/", v.receiving, name="receiving"),
    path("register/", r.register, name="register"),
    path("register/export/", r.register_export, name="register_export"),
    path("daily/", v.daily, name="daily"),
    path("complaints/", c.complaint_list, name="complaints"),
    path("complaints/new/", c.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", c.complaint_detail, name="complaint"),
    path("complaints/<int:pk>/advance/", c.complaint_advance, name="complaint_advance"),
    path("complaints/<int:pk>/follow-up/", c.complaint_follow_up, name="complaint_follow_up"),
]
