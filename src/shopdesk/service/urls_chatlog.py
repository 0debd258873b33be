"""Pages of the customer-service workbench: see service/urls.py."""

urlpatterns: list = []
