from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "shopdesk.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from shopdesk.catalog import receivers, workbench  # noqa: F401  (workbench registers its tiles)

        # Auto delist / relist when the inventory engine reports changed stock (004:13).
        receivers.connect()
