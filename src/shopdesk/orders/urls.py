"""Order pages under /orders/: the pool and each order (urls_orders), and the daily work queues, imports and rules
(urls_work)."""

from shopdesk.orders import urls_orders, urls_work

app_name = "orders"
urlpatterns = [*urls_orders.urlpatterns, *urls_work.urlpatterns]
