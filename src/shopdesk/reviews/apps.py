from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "shopdesk.reviews"
    label = "reviews"
    verbose_name = _("Reviews")

    def ready(self):
        from shopdesk.reviews.workbench import register_review_tiles

        register_review_tiles()
