"""API of the customer-service workbench under /api/v1/service/: see service/api_urls.py."""

urlpatterns: list = []
