"""URL patterns of the setup pages (included by urls.py)."""

urlpatterns: list = []
