from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "shopdesk.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from shopdesk.core import audit, masking

        # Buyer personal data never enters the audit trail in clear (PIPL).
        audit.PERSONAL_DATA_FIELDS.update({
            "mobile": masking.mask_phone, "landline": masking.mask_phone, "buyer_name": masking.mask_name,
            "address_detail": lambda value: masking.mask_address("", "", "", value),
        })

        from shopdesk.orders.workbench import register_tiles

        register_tiles()
