from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "shopdesk.aftersales"
    label = "aftersales"
    verbose_name = _("After-sales")

    def ready(self):
        from shopdesk.aftersales.workbench import register_tiles

        register_tiles()
