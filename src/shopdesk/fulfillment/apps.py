from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfillmentConfig(AppConfig):
    name = "shopdesk.fulfillment"
    label = "fulfillment"
    verbose_name = _("Fulfilment")

    def ready(self):
        from shopdesk.fulfillment.workbench import register_tiles
        from shopdesk.fulfillment.workbench_logistics import register_logistics_tiles

        register_tiles()
        register_logistics_tiles()
