"""Shops (店铺): one storefront on one platform. Importers and platform adapters live beside them in this app."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock


class Platform(models.TextChoices):
    TAOBAO = "taobao", _("Taobao")
    TMALL = "tmall", _("Tmall")
    JD = "jd", _("JD")
    ALIBABA_1688 = "1688", _("1688")
    OWN_SITE = "own_site", _("Own site")
    DISTRIBUTOR = "distributor", _("Distributor")


shop_code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{1,39}$",
    _("2-40 lower-case letters, digits, '-' or '_', starting with a letter or digit"),
)


class Shop(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[shop_code_validator])
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
