"""The own-site chat widget under /service/: its public JSON endpoints and try page (no login; see views_widget) and
the supervisor's settings page."""

from django.urls import path

from shopdesk.service import views_widget

urlpatterns = [
    path("widget/<str:key>/config/", views_widget.widget_config, name="widget_config"),
    path("widget/<str:key>/start/", views_widget.widget_start, name="widget_start"),
    path("widget/<str:key>/messages/", views_widget.widget_messages, name="widget_messages"),
    path("widget/<str:key>/try/", views_widget.widget_try, name="widget_try"),
    path("widget-settings/", views_widget.widget_settings, name="widget_settings"),
]
