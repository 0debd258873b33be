"""Catalog (商品): products (SPU, 宝贝) and their SKUs (规格), brands, categories with their attributes."""

from __future__ import annotations

from django.conf import settings
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


def _image_path(instance, filename: str) -> str:
    """MEDIA_ROOT/products/<item number>/<random>.<ext>: archived by item number (货号), never a user's file name."""
    import re
    import uuid

    folder = re.sub(r"[^A-Za-z0-9._-]", "_", instance.product.item_number) or "_"
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"products/{folder}/{uuid.uuid4().hex}.{ext}"


class ProductImage(models.Model):
    """A product photo. The one with the lowest `sort` is the main image (主图). Served through a
    permission-checked view, never from a public /media/ URL."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE,
                                related_name="images")
    file = models.FileField(_("file"), upload_to=_image_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sort = models.PositiveIntegerField(_("sort"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=clock.now)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return f"{self.product.item_number} #{self.sort + 1}"


class ListingStatus(models.TextChoices):
    LISTED = "listed", _("Listed")
    DELISTED = "delisted", _("Delisted")


OUT_OF_STOCK_REASON = "缺货自动下架"


class Listing(models.Model):
    """One of our SKUs offered in one shop (上架/下架), with the shop's own SKU code and price.

    `channel_sku_code` is the code the platform's order exports carry; the order importer maps it to our SKU through
    `selectors.sku_for_channel_code` and reports codes it cannot map, never guessing.
    """

    shop = models.ForeignKey("channels.Shop", verbose_name=_("shop"), on_delete=models.PROTECT,
                             related_name="listings")
    sku = models.ForeignKey(SKU, verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="listings")
    channel_sku_code = models.CharField(_("channel SKU code"), max_length=80)
    channel_price = models.DecimalField(_("channel price"), null=True, blank=True,
                                        help_text=_("Empty: the SKU's price."), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=ListingStatus.choices,
                              default=ListingStatus.LISTED, db_index=True)
    auto_delist = models.BooleanField(_("delist when out of stock"), default=True,
                                      help_text=_("Delist automatically when sellable stock reaches 0 and relist "
                                                  "on restock."))
    auto_delisted = models.BooleanField(_("delisted automatically"), default=False, editable=False)
    delist_reason = models.CharField(_("delist reason"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["shop_id", "sku_id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "channel_sku_code"], name="unique_channel_sku_code_per_shop"),
            models.UniqueConstraint(fields=["shop", "sku"], name="unique_sku_per_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.shop.code}:{self.channel_sku_code}"

    @property
    def price(self):
        return self.channel_price if self.channel_price is not None else self.sku.price


class PriceChangeStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    PENDING = "pending", _("Waiting for approval")
    REJECTED = "rejected", _("Rejected")


class PriceField(models.TextChoices):
    LIST_PRICE = "list_price", _("list price")
    MEMBER_PRICE = "member_price", _("member price")
    VIP_PRICE = "vip_price", _("VIP price")
    CHANNEL_PRICE = "channel_price", _("channel price")


# Which price fields each target has.
PRODUCT_PRICE_FIELDS = ("list_price", "member_price", "vip_price")
SKU_PRICE_FIELDS = ("list_price",)
LISTING_PRICE_FIELDS = ("channel_price",)


class PriceChange(models.Model):
    """改价记录: every price change of a product, SKU or listing (who, when, old, new, why).

    A decrease beyond the actor's authority (max discount %) waits for a person with `staff.approve_price_change`.
    `product` is always set; `sku` / `listing` narrow the target.
    """

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="price_changes")
    sku = models.ForeignKey(SKU, verbose_name=_("SKU"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="price_changes")
    listing = models.ForeignKey(Listing, verbose_name=_("listing"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="price_changes")
    field = models.CharField(_("price"), max_length=20, choices=PriceField.choices)
    old_value = models.DecimalField(_("old price"), max_digits=12, decimal_places=2, null=True, blank=True)
    new_value = models.DecimalField(_("new price"), max_digits=12, decimal_places=2, null=True, blank=True)
    decrease_percent = models.DecimalField(_("decrease %"), max_digits=6, decimal_places=2, default=0)
    limit_percent = models.DecimalField(_("requester's limit %"), max_digits=5, decimal_places=2, default=0)
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("time"), default=clock.now, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=PriceChangeStatus.choices, db_index=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rejected by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.target_label} {self.get_field_display()} {self.old_value} → {self.new_value}"

    @property
    def target_label(self) -> str:
        if self.listing_id:
            return str(self.listing)
        if self.sku_id:
            return self.sku.code
        return self.product.item_number
