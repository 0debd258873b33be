"""URL patterns of the logistics pages (included by urls.py)."""

urlpatterns: list = []
