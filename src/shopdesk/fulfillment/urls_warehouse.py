"""URL patterns of the warehouse pages (included by urls.py)."""

urlpatterns: list = []
