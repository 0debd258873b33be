"""Fulfilment pages under /fulfilment/: the warehouse stations, the carrier set-up, logistics and the courier bill."""

from shopdesk.fulfillment.urls_logistics import urlpatterns as logistics
from shopdesk.fulfillment.urls_setup import urlpatterns as setup
from shopdesk.fulfillment.urls_warehouse import urlpatterns as warehouse

app_name = "fulfillment"
urlpatterns = [*warehouse, *setup, *logistics]
