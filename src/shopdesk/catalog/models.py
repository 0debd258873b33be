"""Catalog (商品): products (SPU, 宝贝) and their SKUs (规格), brands, categories with their attributes."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A node of the category tree (类目)."""

    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    sort = models.PositiveIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="unique_category_name_per_parent")]

    def __str__(self) -> str:
        return self.name


class CategoryAttribute(models.Model):
    """An attribute products of a category must or may fill (面料, 罩杯, 适用季节 ...)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    name = models.CharField(_("name"), max_length=40)
    required = models.BooleanField(_("required"), default=True)
    choices = models.CharField(_("choices"), max_length=500, blank=True,
                               help_text=_("Separated by commas; empty = free text."))
    sort = models.PositiveIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="unique_attribute_per_category")]

    def __str__(self) -> str:
        return f"{self.category}: {self.name}"


class Product(models.Model):
    """SPU (宝贝). Prices are exact decimals in CNY. `search_text` holds name, item number and pinyin initials."""

    item_number = models.CharField(_("item number"), max_length=40, unique=True)  # 货号
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=120, blank=True)
    brand = models.ForeignKey(Brand, verbose_name=_("brand"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="products")
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="products")
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Sanitised HTML."))
    cost_price = models.DecimalField(_("cost price"), default=0, **MONEY)
    list_price = models.DecimalField(_("list price"), default=0, **MONEY)
    member_price = models.DecimalField(_("member price"), null=True, blank=True, **MONEY)
    vip_price = models.DecimalField(_("VIP price"), null=True, blank=True, **MONEY)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)
    is_hygiene = models.BooleanField(_("hygiene item"), default=False)  # 个人卫生用品: no non-quality returns
    is_special_price = models.BooleanField(_("special price"), default=False)  # 特价
    is_gift = models.BooleanField(_("gift"), default=False)  # 赠品
    is_key_product = models.BooleanField(_("key product"), default=False)  # 主推款
    is_new = models.BooleanField(_("new"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=400, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.item_number} {self.name}"


class SKU(models.Model):
    """规格: one colour/size/style of a product; the unit stock is kept in."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=60, unique=True)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    size = models.CharField(_("size"), max_length=30, blank=True)
    style = models.CharField(_("style"), max_length=30, blank=True)
    barcode = models.CharField(_("barcode"), max_length=40, unique=True, null=True, blank=True)
    list_price = models.DecimalField(_("list price"), null=True, blank=True,
                                     help_text=_("Empty: the product's list price."), **MONEY)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["product_id", "id"]

    def __str__(self) -> str:
        variant = " ".join(v for v in (self.colour, self.size, self.style) if v)
        return f"{self.code} {variant}".strip()

    @property
    def price(self):
        return self.list_price if self.list_price is not None else self.product.list_price
