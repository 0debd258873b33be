from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "shopdesk.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from shopdesk.inventory.tiles import register_tiles

        register_tiles()
