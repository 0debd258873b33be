"""Every write of the catalog (商品): products with their SKU grid, images, listings per shop, price changes with
approval, automatic delisting on stock-out, brands, categories and the Excel import.

Each public function is one business action: it runs in a transaction, checks the actor's permission with
`staff.authz.authorize` (actor None = the system: jobs, demo, signal receivers), validates everything before it writes,
and records its audit event(s) in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils.translation import gettext, ngettext

from shopdesk.catalog import images as image_rules
from shopdesk.catalog import text as catalog_text
from shopdesk.catalog.models import (
    LISTING_PRICE_FIELDS,
    OUT_OF_STOCK_REASON,
    PRODUCT_PRICE_FIELDS,
    SKU,
    Brand,
    Category,
    CategoryAttribute,
    Listing,
    ListingStatus,
    PriceChange,
    PriceChangeStatus,
    Product,
    ProductImage,
)
from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError, validation_fields
from shopdesk.staff.authz import Grant, authority_limits, authorize, authorize_actor
from shopdesk.staff.roles import APPROVE_PRICE_CHANGE, VIEW_COST_PRICE

CHANGE_PRICE = "catalog.add_pricechange"
ITEM_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
FLAG_FIELDS = ("is_hygiene", "is_special_price", "is_gift", "is_key_product", "is_new", "is_active")
_TEXT_FIELDS = ("name", "title")
_MONEY_FIELDS = ("cost_price", "list_price", "member_price", "vip_price")
PRODUCT_FIELDS = ("name", "title", "brand", "category", "attributes", "description", *_MONEY_FIELDS,
                  "weight_grams", *FLAG_FIELDS)
_AUDIT_PRODUCT_FIELDS = ["item_number", *[f for f in PRODUCT_FIELDS if f not in PRODUCT_PRICE_FIELDS]]
_AUDIT_SKU_FIELDS = ["code", "colour", "size", "style", "barcode", "is_active"]
_AUDIT_LISTING_FIELDS = ["shop", "sku", "channel_sku_code", "channel_price", "status", "auto_delist",
                         "delist_reason"]
MANUAL_DELIST_REASON = "手动下架"


_authorize = authorize_actor  # the system (actor None) acts without a permission check


def _refuse(message: str, fields: dict[str, list[str]], code: str = "invalid") -> ServiceError:
    # The message names the problems; `fields` (shown beside each field, and in the API body) says where.
    problems = "; ".join(m for msgs in fields.values() for m in msgs)
    return ServiceError(f"{message} {problems}".strip(), code=code, fields=fields)


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(str(message))


def _money(value, key: str, errors: dict, *, allow_none: bool) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        _add(errors, key, gettext("A price is required."))
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        _add(errors, key, gettext("Not a number: %(value)s") % {"value": value})
        return None
    if not amount.is_finite() or amount < 0:
        _add(errors, key, gettext("A price cannot be negative."))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        _add(errors, key, gettext("At most two decimal places."))
        return None
    if amount >= Decimal("10000000000"):
        _add(errors, key, gettext("Too large."))
        return None
    return amount.quantize(Decimal("0.01"))




# --- Brands and categories --------------------------------------------------------------------------------------


@transaction.atomic
def create_brand(*, actor, name: str) -> Brand:
    """Add a brand (品牌)."""
    grant = _authorize(actor, "catalog.add_brand")
    name = (name or "").strip()
    if not name:
        raise _refuse(gettext("Invalid brand:"), {"name": [gettext("This field is required.")]}, "required")
    if Brand.objects.filter(name__iexact=name).exists():
        raise Conflict(gettext("Brand %(name)s already exists.") % {"name": name}, code="brand_exists",
                       fields={"name": [gettext("A brand with this name already exists.")]})
    brand = Brand(name=name)
    try:
        brand.full_clean()
    except ValidationError as exc:
        raise _refuse(gettext("Invalid brand:"), validation_fields(exc)) from exc
    brand.save()
    audit.record_event("catalog.create_brand", actor=actor, obj=brand, grant=grant,
                       changes=audit.created(brand, ["name"]))
    return brand


@transaction.atomic
def create_category(*, actor, name: str, parent: Category | None = None, sort: int = 0) -> Category:
    """Add a node to the category tree (类目); names are unique among siblings."""
    grant = _authorize(actor, "catalog.add_category")
    name = (name or "").strip()
    if not name:
        raise _refuse(gettext("Invalid category:"), {"name": [gettext("This field is required.")]}, "required")
    if Category.objects.filter(parent=parent, name=name).exists():
        raise Conflict(gettext("Category %(name)s already exists here.") % {"name": name}, code="category_exists",
                       fields={"name": [gettext("A category with this name already exists here.")]})
    category = Category(name=name, parent=parent, sort=sort)
    try:
        category.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise _refuse(gettext("Invalid category:"), validation_fields(exc)) from exc
    category.save()
    audit.record_event("catalog.create_category", actor=actor, obj=category, grant=grant,
                       changes=audit.created(category, ["name", "parent", "sort"]))
    return category


def _split_choices(choices: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,，]", choices or "") if c.strip()]


@transaction.atomic
def add_category_attribute(*, actor, category: Category, name: str, required: bool = True, choices: str = "",
                           sort: int | None = None) -> CategoryAttribute:
    """Add an attribute products of the category fill (面料, 罩杯 ...); `choices` comma-separated or empty (free)."""
    grant = _authorize(actor, "catalog.change_category")
    name = (name or "").strip()
    if not name:
        raise _refuse(gettext("Invalid attribute:"), {"name": [gettext("This field is required.")]}, "required")
    if CategoryAttribute.objects.filter(category=category, name=name).exists():
        raise Conflict(gettext("Category %(c)s already has attribute %(a)s.") % {"c": category.name, "a": name},
                       code="attribute_exists", fields={"name": [gettext("This attribute already exists.")]})
    if sort is None:
        sort = CategoryAttribute.objects.filter(category=category).count()
    attribute = CategoryAttribute(category=category, name=name, required=required,
                                  choices=",".join(_split_choices(choices)), sort=sort)
    try:
        attribute.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise _refuse(gettext("Invalid attribute:"), validation_fields(exc)) from exc
    attribute.save()
    audit.record_event("catalog.add_category_attribute", actor=actor, obj=attribute, grant=grant,
                       changes=audit.created(attribute, ["category", "name", "required", "choices", "sort"]))
    return attribute


@transaction.atomic
def remove_category_attribute(*, actor, attribute: CategoryAttribute) -> None:
    """Remove an attribute from its category. Values already filled stay on products until they are next saved."""
    grant = _authorize(actor, "catalog.change_category")
    before = audit.snapshot(attribute, ["category", "name", "required", "choices"])
    audit.record_event("catalog.remove_category_attribute", actor=actor, obj=attribute, grant=grant,
                       changes=audit.changes_between(before, {}))
    attribute.delete()


# --- Products and SKUs ------------------------------------------------------------------------------------------


@dataclass
class SkuInput:
    """One row of the SKU grid. `id` names an existing SKU of the product; None adds a row."""

    code: str
    colour: str = ""
    size: str = ""
    style: str = ""
    barcode: str = ""
    list_price: Decimal | str | None = None
    is_active: bool = True
    id: int | None = None


@dataclass
class ProductUpdate:
    """What `update_product` did: the product, and the price changes it made (applied or waiting for approval)."""

    product: Product
    price_changes: list[PriceChange] = field(default_factory=list)
    changed: bool = False  # anything besides prices changed

    @property
    def pending(self) -> list[PriceChange]:
        return [c for c in self.price_changes if c.status == PriceChangeStatus.PENDING]


def _clean_attributes(category: Category | None, attributes, errors: dict, *, strict: bool = True) -> dict:
    """Attribute values keyed by name, in the category's order. Unknown names are errors (or dropped when not
    strict, e.g. after a category change); values must be one of the attribute's choices when it has any."""
    given = {str(k).strip(): str(v).strip() for k, v in (attributes or {}).items()
             if v is not None and str(v).strip()}
    if category is None:
        if given and strict:
            _add(errors, "attributes", gettext("Choose a category before filling attributes."))
        return {}
    defs = list(category.attributes.all())
    known = {a.name for a in defs}
    for name in given:
        if name not in known and strict:
            _add(errors, f"attributes.{name}", gettext("Category %(c)s has no attribute %(a)s.")
                 % {"c": category.name, "a": name})
    clean = {}
    for a in defs:
        value = given.get(a.name)
        if value is None:
            continue
        choices = _split_choices(a.choices)
        if choices and value not in choices:
            _add(errors, f"attributes.{a.name}", gettext("%(a)s must be one of: %(choices)s.")
                 % {"a": a.name, "choices": "、".join(choices)})
            continue
        clean[a.name] = value
    return clean


def _product_values(values: dict, errors: dict, *, product: Product | None) -> dict:
    """Normalise and check product field values (only the keys given). Errors are keyed by field name."""
    out = {}
    for key, value in values.items():
        if key in _TEXT_FIELDS:
            out[key] = (value or "").strip()
        elif key == "description":
            out[key] = catalog_text.sanitize_description(value or "")
        elif key in _MONEY_FIELDS:
            # An empty cost price keeps the current one (0 for a new product); member/VIP prices may be cleared.
            out[key] = _money(value, key, errors, allow_none=key != "list_price")
        elif key == "weight_grams":
            try:
                grams = int(value or 0)
                if grams < 0:
                    raise ValueError
                out[key] = grams
            except (TypeError, ValueError):
                _add(errors, key, gettext("Enter a whole number of grams (0 or more)."))
        elif key in FLAG_FIELDS:
            out[key] = bool(value)
        elif key in ("brand", "category", "attributes"):
            out[key] = value
        else:
            raise TypeError(f"unknown product field {key!r}")
    if "name" in out and not out["name"]:
        _add(errors, "name", gettext("This field is required."))
    return out


def _check_item_number(item_number: str, errors: dict) -> str:
    item_number = (item_number or "").strip()
    if not item_number:
        _add(errors, "item_number", gettext("This field is required."))
    elif not ITEM_NUMBER_RE.match(item_number):
        _add(errors, "item_number", gettext("1-40 letters, digits, '.', '-' or '_', starting with a letter or "
                                            "digit."))
    elif Product.objects.filter(item_number__iexact=item_number).exists():
        _add(errors, "item_number", gettext("Item number %(n)s is already used.") % {"n": item_number})
    return item_number


def _sku_rows(product: Product | None, rows: list[SkuInput], errors: dict) -> list[tuple[SKU, dict]]:
    """Check the SKU grid and return (sku, new values) per row; errors keyed "skus.<row index>.<field>".

    Codes and barcodes are unique across the whole catalog; a clash names the SKU and product that hold them.
    """
    existing = {s.pk: s for s in product.skus.all()} if product is not None and product.pk else {}
    planned: list[tuple[SKU, dict]] = []
    codes_seen: dict[str, int] = {}
    barcodes_seen: dict[str, int] = {}
    own_ids = set()
    for i, row in enumerate(rows):
        key = f"skus.{i}."
        values = {
            "code": (row.code or "").strip(), "colour": (row.colour or "").strip(), "size": (row.size or "").strip(),
            "style": (row.style or "").strip(), "barcode": (row.barcode or "").strip() or None,
            "list_price": _money(row.list_price, key + "list_price", errors, allow_none=True),
            "is_active": bool(row.is_active),
        }
        if row.id is not None:
            sku = existing.get(int(row.id))
            if sku is None:
                _add(errors, key + "code", gettext("This SKU does not belong to the product."))
                continue
            own_ids.add(sku.pk)
        else:
            sku = SKU(product=product)
        if not values["code"]:
            _add(errors, key + "code", gettext("This field is required."))
        elif values["code"].lower() in codes_seen:
            _add(errors, key + "code", gettext("SKU code %(c)s appears twice in the grid.") % {"c": values["code"]})
        else:
            codes_seen[values["code"].lower()] = i
        if values["barcode"]:
            if values["barcode"] in barcodes_seen:
                _add(errors, key + "barcode", gettext("Barcode %(b)s appears twice in the grid.")
                     % {"b": values["barcode"]})
            else:
                barcodes_seen[values["barcode"]] = i
        probe = SKU(product=product, **values)
        try:
            probe.full_clean(exclude=["product"], validate_unique=False)
        except ValidationError as exc:
            for k, msgs in exc.message_dict.items():
                for m in msgs:
                    _add(errors, key + k, m)
        planned.append((sku, values))
    # Clashes with other SKUs in the database (one query each for codes and barcodes).
    if codes_seen:
        code_q = Q()
        for c in codes_seen:
            code_q |= Q(code__iexact=c)
        for other in SKU.objects.filter(code_q).exclude(pk__in=own_ids).select_related("product"):
            i = codes_seen[other.code.lower()]
            _add(errors, f"skus.{i}.code", gettext("SKU code %(c)s is already used by product %(p)s.")
                 % {"c": other.code, "p": other.product.item_number})
    if barcodes_seen:
        for other in SKU.objects.filter(barcode__in=list(barcodes_seen)).exclude(pk__in=own_ids) \
                .select_related("product"):
            i = barcodes_seen[other.barcode]
            _add(errors, f"skus.{i}.barcode",
                 gettext("Barcode %(b)s is already used by SKU %(c)s of product %(p)s.")
                 % {"b": other.barcode, "c": other.code, "p": other.product.item_number})
    return planned


def _refresh_search_text(product: Product) -> None:
    rows = list(SKU.objects.filter(product=product).values_list("code", "barcode"))
    product.search_text = catalog_text.search_text(
        item_number=product.item_number, name=product.name, title=product.title,
        sku_codes=[c for c, _b in rows], barcodes=[b for _c, b in rows if b])
    product.save(update_fields=["search_text"])


def _sku_snapshot(product: Product) -> dict:
    values = {}
    for sku in SKU.objects.filter(product=product).order_by("id"):
        for name, value in audit.snapshot(sku, _AUDIT_SKU_FIELDS).items():
            values[f"sku {sku.pk}.{name}"] = value
        values[f"sku {sku.pk}.list_price"] = audit.snapshot(sku, ["list_price"])["list_price"]
    return values


def _require_cost_permission(actor, values: dict, product: Product | None) -> None:
    """Cost prices are seen (and so set) only with staff.view_cost_price."""
    if actor is None or "cost_price" not in values:
        return
    current = product.cost_price if product is not None else Decimal("0")
    if values["cost_price"] is not None and values["cost_price"] != current:
        authorize(actor, VIEW_COST_PRICE)


def _create_product_checked(*, actor, grant, item_number: str, values: dict, skus: list[SkuInput],
                            errors: dict) -> Product | None:
    """Validate and create; returns None (with `errors` filled) when anything is wrong, writing nothing."""
    item_number = _check_item_number(item_number, errors)
    clean = _product_values(values, errors, product=None)
    if "name" not in clean:
        _add(errors, "name", gettext("This field is required."))
    if "attributes" in clean or "category" in clean:
        clean["attributes"] = _clean_attributes(clean.get("category"), clean.get("attributes"), errors)
    if not skus:
        _add(errors, "skus", gettext("Add at least one SKU (colour/size)."))
    planned = _sku_rows(None, skus, errors)
    if clean.get("cost_price") is None:
        clean.pop("cost_price", None)
    if clean.get("list_price") is None:
        clean.pop("list_price", None)
    product = Product(item_number=item_number, **clean)
    if not errors:
        try:
            product.full_clean(validate_unique=False)
        except ValidationError as exc:
            for k, msgs in exc.message_dict.items():
                for m in msgs:
                    _add(errors, k, m)
    if errors:
        return None
    _require_cost_permission(actor, clean, None)
    product.save()
    for sku, values_ in planned:
        for k, v in values_.items():
            setattr(sku, k, v)
        sku.product = product
        sku.save()
    _refresh_search_text(product)
    changes = audit.created(product, _AUDIT_PRODUCT_FIELDS + list(PRODUCT_PRICE_FIELDS))
    changes.update(audit.changes_between({}, _sku_snapshot(product)))
    audit.record_event("catalog.create_product", actor=actor, obj=product, grant=grant, changes=changes)
    return product


@transaction.atomic
def create_product(*, actor, item_number: str, name: str, skus: list[SkuInput], **fields) -> Product:
    """Add a product (SPU, 宝贝) with its SKU grid (颜色/尺码/款式, barcode, price per row).

    `fields` are any of PRODUCT_FIELDS. The description is stored as sanitised HTML; attributes must belong to the
    category; SKU codes and barcodes are unique across the catalog. Setting a cost price needs
    staff.view_cost_price. Initial prices are not price changes (product.md §2.1: changes need approval).
    """
    grant = _authorize(actor, "catalog.add_product")
    errors: dict[str, list[str]] = {}
    product = _create_product_checked(actor=actor, grant=grant, item_number=item_number,
                                      values={"name": name, **fields}, skus=list(skus), errors=errors)
    if product is None:
        raise _refuse(gettext("Invalid product:"), errors)
    return product


def _update_product_checked(*, actor, grant, product: Product, values: dict, skus: list[SkuInput] | None,
                            price_reason: str, errors: dict) -> ProductUpdate | None:
    product = Product.objects.select_for_update().get(pk=product.pk)
    clean = _product_values(values, errors, product=product)
    category = clean.get("category", product.category)
    if "attributes" in clean:
        clean["attributes"] = _clean_attributes(category, clean["attributes"], errors)
    elif "category" in clean and clean["category"] != product.category:
        clean["attributes"] = _clean_attributes(category, product.attributes, errors, strict=False)
    for key in ("cost_price", "list_price"):
        if key in clean and clean[key] is None:
            del clean[key]
    planned = _sku_rows(product, skus, errors) if skus is not None else []

    # Prices go through the price-change rule; collect the changes first, check the permission and the reason.
    price_moves: list[tuple[object, str, Decimal | None]] = []
    for key in PRODUCT_PRICE_FIELDS:
        if key in clean:
            new = clean.pop(key)
            if new != getattr(product, key):
                price_moves.append((product, key, new))
    for sku, new_values in planned:
        if sku.pk and new_values["list_price"] != sku.list_price:
            price_moves.append((sku, "list_price", new_values["list_price"]))
    if price_moves:
        if actor is not None and not actor.has_perm(CHANGE_PRICE):
            _add(errors, "price_reason", gettext("You may not change prices; ask operations or the manager."))
        elif not (price_reason or "").strip():
            _add(errors, "price_reason", gettext("Give a reason for the price change (season, campaign ...)."))
        if any(p is None and f == "list_price" and isinstance(t, Product) for t, f, p in price_moves):
            _add(errors, "list_price", gettext("A price is required."))
    if not errors:
        probe = Product(**{**{f: getattr(product, f) for f in ("item_number", *PRODUCT_FIELDS)}, **clean})
        try:
            probe.full_clean(validate_unique=False)
        except ValidationError as exc:
            for k, msgs in exc.message_dict.items():
                for m in msgs:
                    _add(errors, k, m)
    if errors:
        return None
    _require_cost_permission(actor, clean, product)

    before = audit.snapshot(product, _AUDIT_PRODUCT_FIELDS)
    before.update(_sku_snapshot(product))
    for key, value in clean.items():
        setattr(product, key, value)
    product.save()
    for sku, new_values in planned:
        new_values = dict(new_values)
        if sku.pk:
            new_values.pop("list_price")  # price changes of existing SKUs go through the rule below
        for k, v in new_values.items():
            setattr(sku, k, v)
        sku.product = product
        sku.save()
    _refresh_search_text(product)
    after = audit.snapshot(product, _AUDIT_PRODUCT_FIELDS)
    after.update(_sku_snapshot(product))
    changes = audit.changes_between(before, after)
    if changes:
        audit.record_event("catalog.update_product", actor=actor, obj=product, grant=grant, changes=changes)
    made = [_price_change(actor=actor, target=t, field=f, new_value=v, reason=price_reason)
            for t, f, v in price_moves]
    return ProductUpdate(product=product, price_changes=made, changed=bool(changes))


@transaction.atomic
def update_product(*, actor, product: Product, skus: list[SkuInput] | None = None, price_reason: str = "",
                   **fields) -> ProductUpdate:
    """Change a product and its SKU grid in one step. `fields` are any of PRODUCT_FIELDS (the item number stays).

    Rows of `skus` with an id update that SKU, rows without add one; SKUs not listed stay as they are (deactivate a
    SKU with is_active=False: stock and orders refer to it). Changed prices (product list/member/VIP price, SKU
    price) become price changes with `price_reason`: applied at once within the actor's authority, otherwise
    waiting for the manager's approval (product.md §2.1).
    """
    grant = _authorize(actor, "catalog.change_product")
    errors: dict[str, list[str]] = {}
    result = _update_product_checked(actor=actor, grant=grant, product=product, values=fields,
                                     skus=list(skus) if skus is not None else None, price_reason=price_reason,
                                     errors=errors)
    if result is None:
        raise _refuse(gettext("Invalid product:"), errors)
    return result


@transaction.atomic
def delete_product(*, actor, product: Product) -> None:
    """Remove a product entered by mistake, with its SKUs and photos.

    Refused once anything refers to it (listings, stock, price changes, orders): such a product is deactivated
    (is_active=False) instead, so the history that reports depend on stays.
    """
    grant = _authorize(actor, "catalog.delete_product")
    product = Product.objects.select_for_update().get(pk=product.pk)
    changes = audit.changes_between(audit.snapshot(product, _AUDIT_PRODUCT_FIELDS), {})
    changes.update(audit.changes_between(_sku_snapshot(product), {}))
    files = list(ProductImage.objects.filter(product=product).values_list("file", flat=True))
    try:
        with transaction.atomic():
            audit.record_event("catalog.delete_product", actor=actor, obj=product, grant=grant, changes=changes)
            ProductImage.objects.filter(product=product).delete()
            SKU.objects.filter(product=product).delete()
            product.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict(gettext("Product %(p)s is in use (listings, stock, orders or price changes); deactivate it "
                               "instead.") % {"p": product.item_number}, code="in_use") from exc
    storage = ProductImage.file.field.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])


# --- Images -----------------------------------------------------------------------------------------------------


@transaction.atomic
def add_product_images(*, actor, product: Product, files) -> list[ProductImage]:
    """Upload photos (JPEG, PNG, WebP or GIF, checked by their first bytes, up to 10 MB each), appended in order.

    Stored under MEDIA_ROOT/products/<item number>/. All or nothing: one bad file refuses the whole upload.
    """
    grant = _authorize(actor, "catalog.add_productimage")
    files = list(files)
    errors: dict[str, list[str]] = {}
    if not files:
        _add(errors, "images", gettext("Choose at least one image file."))
    count = ProductImage.objects.filter(product=product).count()
    if count + len(files) > image_rules.MAX_IMAGES_PER_PRODUCT:
        _add(errors, "images", gettext("At most %(n)d images per product.") % {"n": image_rules.MAX_IMAGES_PER_PRODUCT})
    kinds = []
    for f in files:
        name = getattr(f, "name", "") or "image"
        size = getattr(f, "size", None)
        if size is None:
            f.seek(0, 2)
            size = f.tell()
        f.seek(0)
        head = f.read(16)
        f.seek(0)
        kind = image_rules.sniff_image_type(head)
        if size > image_rules.MAX_IMAGE_BYTES:
            _add(errors, "images", gettext("%(name)s is larger than 10 MB.") % {"name": name})
        elif kind is None:
            _add(errors, "images", gettext("%(name)s is not a JPEG, PNG, WebP or GIF image.") % {"name": name})
        kinds.append((f, name, size, kind))
    if errors:
        raise _refuse(gettext("Images refused:"), errors, "invalid_image")
    created, saved_names = [], []
    try:
        for offset, (f, name, size, kind) in enumerate(kinds):
            image = ProductImage(product=product, content_type=kind, original_name=name[:200], size=size,
                                 sort=count + offset, uploaded_at=clock.now())
            image.file.save(f"upload.{image_rules.EXTENSIONS[kind]}", f, save=False)
            saved_names.append(image.file.name)
            image.save()
            created.append(image)
    except Exception:
        for stored in saved_names:
            ProductImage.file.field.storage.delete(stored)
        raise
    audit.record_event("catalog.add_product_images", actor=actor, obj=product, grant=grant,
                       changes={"images": {"before": count, "after": count + len(created)}},
                       reason=", ".join(i.original_name for i in created)[:500])
    return created


@transaction.atomic
def reorder_product_images(*, actor, product: Product, image_ids: list[int]) -> list[ProductImage]:
    """Put the product's images in the given order; the first is the main image (主图)."""
    grant = _authorize(actor, "catalog.change_productimage")
    images = {i.pk: i for i in ProductImage.objects.select_for_update().filter(product=product)}
    wanted = [int(i) for i in image_ids]
    if sorted(wanted) != sorted(images):
        raise ServiceError(gettext("The new order must list each image of the product once."), code="invalid",
                           fields={"images": [gettext("The new order must list each image of the product once.")]})
    before = [i.pk for i in sorted(images.values(), key=lambda i: (i.sort, i.pk))]
    for position, pk in enumerate(wanted):
        image = images[pk]
        if image.sort != position:
            image.sort = position
            image.save(update_fields=["sort"])
    if before != wanted:
        audit.record_event("catalog.reorder_product_images", actor=actor, obj=product, grant=grant,
                           changes={"images": {"before": before, "after": wanted}})
    return [images[pk] for pk in wanted]


@transaction.atomic
def delete_product_image(*, actor, image: ProductImage) -> None:
    """Remove a photo; the file is deleted once the removal is committed."""
    grant = _authorize(actor, "catalog.delete_productimage")
    product = image.product
    name = image.file.name
    audit.record_event("catalog.delete_product_image", actor=actor, obj=product, grant=grant,
                       changes={"image": {"before": image.original_name or name, "after": None}})
    image.delete()
    rest = list(ProductImage.objects.filter(product=product).order_by("sort", "id"))
    for position, other in enumerate(rest):
        if other.sort != position:
            other.sort = position
            other.save(update_fields=["sort"])
    storage = ProductImage.file.field.storage
    transaction.on_commit(lambda: storage.delete(name))


# --- Price changes ----------------------------------------------------------------------------------------------


def _price_target(target) -> tuple[Product, SKU | None, Listing | None, tuple[str, ...]]:
    if isinstance(target, Listing):
        return target.sku.product, target.sku, target, LISTING_PRICE_FIELDS
    if isinstance(target, SKU):
        return target.product, target, None, ("list_price",)
    if isinstance(target, Product):
        return target, None, None, PRODUCT_PRICE_FIELDS
    raise TypeError(f"not a price target: {target!r}")


def _effective(target, field_name: str, value: Decimal | None) -> Decimal | None:
    """The price a buyer would pay for a value (empty SKU / listing prices fall back to the level above)."""
    if value is not None:
        return value
    if isinstance(target, Listing):
        return target.sku.price
    if isinstance(target, SKU):
        return target.product.list_price
    return None


def _decrease_percent(old: Decimal | None, new: Decimal | None) -> Decimal:
    if old is None or new is None or old <= 0 or new >= old:
        return Decimal("0")
    return ((old - new) * 100 / old).quantize(Decimal("0.01"))


def _apply_price(change: PriceChange, target) -> dict:
    before = getattr(target, change.field)
    setattr(target, change.field, change.new_value)
    update = [change.field]
    if isinstance(target, Listing):
        target.updated_at = clock.now()
        update.append("updated_at")
    target.save(update_fields=update)
    return {change.field: {"before": str(before) if before is not None else None,
                           "after": str(change.new_value) if change.new_value is not None else None}}


def _price_change(*, actor, target, field: str, new_value, reason: str) -> PriceChange:
    """Record a price change and apply it when the decrease is within the actor's authority (max discount %)."""
    grant = _authorize(actor, CHANGE_PRICE)
    product, sku, listing, allowed = _price_target(target)
    if listing is not None:
        _check_shop(actor, listing.shop)
    errors: dict[str, list[str]] = {}
    if field not in allowed:
        _add(errors, "field", gettext("%(f)s is not a price of this record.") % {"f": field})
    reason = (reason or "").strip()
    if not reason:
        _add(errors, "reason", gettext("Give a reason for the price change (season, campaign ...)."))
    new = _money(new_value, "new_value", errors,
                 allow_none=field in ("member_price", "vip_price", "channel_price") or sku is not None)
    if errors:
        raise _refuse(gettext("Invalid price change:"), errors)
    old = getattr(target, field)
    if old == new:
        raise ServiceError(gettext("The new price is the same as the current one."), code="unchanged",
                           fields={"new_value": [gettext("The new price is the same as the current one.")]})
    waiting = PriceChange.objects.filter(product=product, sku=sku if listing is None else listing.sku,
                                         listing=listing, field=field, status=PriceChangeStatus.PENDING)
    if waiting.exists():
        raise Conflict(gettext("A change of this price is already waiting for approval."), code="pending_exists",
                       fields={"new_value": [gettext("A change of this price is already waiting for approval.")]})
    decrease = _decrease_percent(_effective(target, field, old), _effective(target, field, new))
    limit = authority_limits(actor).max_discount_percent if actor is not None else Decimal("100")
    within = actor is None or decrease <= limit
    change = PriceChange(product=product, sku=sku, listing=listing, field=field, old_value=old, new_value=new,
                         decrease_percent=decrease, limit_percent=limit, reason=reason[:200],
                         actor=actor if actor is not None else None, created_at=clock.now(),
                         status=PriceChangeStatus.APPLIED if within else PriceChangeStatus.PENDING)
    if within:
        change.decided_at = change.created_at
        change.save()
        changes = _apply_price(change, target)
        changes["decrease_percent"] = {"before": None, "after": str(decrease)}
        audit.record_event("catalog.change_price", actor=actor, obj=change, grant=grant, reason=reason,
                           changes=changes)
    else:
        change.save()
        audit.record_event("catalog.request_price_change", actor=actor, obj=change, grant=grant, reason=reason,
                           changes={change.field: {"before": str(old) if old is not None else None,
                                                   "after": str(new) if new is not None else None},
                                    "status": {"before": None, "after": change.status},
                                    "decrease_percent": {"before": None, "after": str(decrease)}})
    return change


@transaction.atomic
def request_price_change(*, actor, target, field: str, new_value, reason: str) -> PriceChange:
    """Change a price of a product (list/member/VIP), SKU (list) or listing (channel price), with a reason.

    The percentage decrease is compared with the actor's authority (staff.authz.authority_limits: max discount %):
    within it the change is applied at once, beyond it the change waits until a person with
    staff.approve_price_change approves or rejects it (product.md §2.1, 004:60). Every change is kept.
    """
    target = type(target).objects.select_for_update().get(pk=target.pk)
    return _price_change(actor=actor, target=target, field=field, new_value=new_value, reason=reason)


def _decide(actor, change: PriceChange) -> tuple[Grant | None, PriceChange]:
    grant = _authorize(actor, APPROVE_PRICE_CHANGE)
    change = PriceChange.objects.select_for_update(of=("self",)).select_related(
        "product", "sku", "listing").get(pk=change.pk)
    if change.status != PriceChangeStatus.PENDING:
        raise Conflict(gettext("This price change was already decided."), code="already_decided")
    if actor is not None and change.actor_id == actor.pk and not actor.is_superuser:
        raise NotAllowed(gettext("You cannot approve or reject your own price change."), code="own_request")
    return grant, change


def _target_of(change: PriceChange):
    if change.listing_id:
        return Listing.objects.select_for_update(of=("self",)).select_related("sku__product").get(pk=change.listing_id)
    if change.sku_id:
        return SKU.objects.select_for_update(of=("self",)).select_related("product").get(pk=change.sku_id)
    return Product.objects.select_for_update().get(pk=change.product_id)


@transaction.atomic
def approve_price_change(*, actor, change: PriceChange, note: str = "") -> PriceChange:
    """The manager approves a price change beyond the requester's authority; the new price applies now.

    Refused when the price moved since the request (request again from the current price) and for one's own request.
    """
    grant, change = _decide(actor, change)
    target = _target_of(change)
    if getattr(target, change.field) != change.old_value:
        raise Conflict(gettext("The price changed since this request (now %(now)s); reject it and request again.")
                       % {"now": getattr(target, change.field)}, code="stale")
    changes = _apply_price(change, target)
    change.status = PriceChangeStatus.APPLIED
    change.approved_by = actor
    change.decided_at = clock.now()
    change.decision_note = (note or "").strip()[:200]
    change.save(update_fields=["status", "approved_by", "decided_at", "decision_note"])
    changes["status"] = {"before": PriceChangeStatus.PENDING, "after": PriceChangeStatus.APPLIED}
    audit.record_event("catalog.approve_price_change", actor=actor, obj=change, grant=grant, reason=note,
                       changes=changes)
    return change


@transaction.atomic
def reject_price_change(*, actor, change: PriceChange, note: str = "") -> PriceChange:
    """The manager refuses a price change; the price stays as it was and the request is kept as rejected."""
    grant, change = _decide(actor, change)
    change.status = PriceChangeStatus.REJECTED
    change.rejected_by = actor
    change.decided_at = clock.now()
    change.decision_note = (note or "").strip()[:200]
    change.save(update_fields=["status", "rejected_by", "decided_at", "decision_note"])
    audit.record_event("catalog.reject_price_change", actor=actor, obj=change, grant=grant, reason=note,
                       changes={"status": {"before": PriceChangeStatus.PENDING, "after": PriceChangeStatus.REJECTED}})
    return change


# --- Listings ---------------------------------------------------------------------------------------------------


def _check_shop(actor, shop) -> None:
    from shopdesk.channels.selectors import check_shop_access

    check_shop_access(actor, shop)


def _availability(sku_ids) -> dict | None:
    """Sellable stock per (sku id, shop id) from the inventory app; None when the inventory app is not there."""
    try:
        from shopdesk.inventory import selectors as inventory_selectors
    except ImportError:
        return None
    return inventory_selectors.available_by_shop(list(sku_ids))


@transaction.atomic
def create_listing(*, actor, shop, sku: SKU, channel_sku_code: str, channel_price=None, auto_delist: bool = True,
                   status: str = ListingStatus.LISTED) -> Listing:
    """Offer a SKU in a shop (上架) under the shop's own SKU code (the code its order exports carry).

    One listing per SKU and shop; a channel code maps to one SKU per shop. Empty channel price = the SKU's price.
    With automatic delisting on, a SKU the shop has no sellable stock of starts delisted (缺货自动下架) and is
    listed as soon as stock arrives, exactly as if it had sold out (004:13).
    """
    grant = _authorize(actor, "catalog.add_listing")
    _check_shop(actor, shop)
    errors: dict[str, list[str]] = {}
    code = (channel_sku_code or "").strip()
    if not code:
        _add(errors, "channel_sku_code", gettext("This field is required."))
    elif len(code) > 80:
        _add(errors, "channel_sku_code", gettext("At most 80 characters."))
    price = _money(channel_price, "channel_price", errors, allow_none=True)
    if status not in ListingStatus.values:
        _add(errors, "status", gettext("Unknown status %(s)s.") % {"s": status})
    if not sku.is_active and status == ListingStatus.LISTED:
        _add(errors, "sku", gettext("SKU %(c)s is deactivated.") % {"c": sku.code})
    if errors:
        raise _refuse(gettext("Invalid listing:"), errors)
    clash = Listing.objects.filter(shop=shop, channel_sku_code=code).select_related("sku").first()
    if clash is not None:
        raise Conflict(gettext("Channel code %(code)s is already mapped to SKU %(sku)s in %(shop)s.")
                       % {"code": code, "sku": clash.sku.code, "shop": shop.name}, code="channel_code_taken",
                       fields={"channel_sku_code": [gettext("Already used in this shop by SKU %(sku)s.")
                                                    % {"sku": clash.sku.code}]})
    if Listing.objects.filter(shop=shop, sku=sku).exists():
        raise Conflict(gettext("SKU %(sku)s is already listed in %(shop)s.") % {"sku": sku.code, "shop": shop.name},
                       code="already_listed", fields={"sku": [gettext("Already listed in this shop.")]})
    listing = Listing(shop=shop, sku=sku, channel_sku_code=code, channel_price=price, status=status,
                      auto_delist=auto_delist, updated_at=clock.now(),
                      delist_reason="" if status == ListingStatus.LISTED else MANUAL_DELIST_REASON)
    if status == ListingStatus.LISTED and auto_delist:
        available = _availability([sku.pk])
        if available is not None and available.get((sku.pk, shop.pk), 0) <= 0:
            listing.status, listing.auto_delisted = ListingStatus.DELISTED, True
            listing.delist_reason = OUT_OF_STOCK_REASON
    listing.save()
    audit.record_event("catalog.create_listing", actor=actor, obj=listing, grant=grant,
                       changes=audit.created(listing, _AUDIT_LISTING_FIELDS))
    return listing


_KEEP = object()


@transaction.atomic
def update_listing(*, actor, listing: Listing, channel_sku_code: str | None = None, auto_delist: bool | None = None,
                   channel_price=_KEEP, price_reason: str = "") -> PriceChange | None:
    """Change a listing's channel code or automatic delisting; a new channel price goes through the price-change
    rule (applied within the actor's authority, else waiting for approval). Returns that price change, if any."""
    grant = _authorize(actor, "catalog.change_listing")
    listing = Listing.objects.select_for_update(of=("self",)).select_related("sku__product", "shop").get(pk=listing.pk)
    _check_shop(actor, listing.shop)
    before = audit.snapshot(listing, _AUDIT_LISTING_FIELDS)
    if channel_sku_code is not None:
        code = channel_sku_code.strip()
        if not code or len(code) > 80:
            raise _refuse(gettext("Invalid listing:"), {"channel_sku_code": [gettext("1-80 characters.")]})
        clash = Listing.objects.filter(shop=listing.shop, channel_sku_code=code).exclude(pk=listing.pk) \
            .select_related("sku").first()
        if clash is not None:
            raise Conflict(gettext("Channel code %(code)s is already mapped to SKU %(sku)s in %(shop)s.")
                           % {"code": code, "sku": clash.sku.code, "shop": listing.shop.name},
                           code="channel_code_taken",
                           fields={"channel_sku_code": [gettext("Already used in this shop by SKU %(sku)s.")
                                                        % {"sku": clash.sku.code}]})
        listing.channel_sku_code = code
    if auto_delist is not None:
        listing.auto_delist = bool(auto_delist)
    change = None
    if channel_price is not _KEEP:
        errors: dict[str, list[str]] = {}
        new_price = _money(channel_price, "channel_price", errors, allow_none=True)
        if errors:
            raise _refuse(gettext("Invalid listing:"), errors)
        if new_price != listing.channel_price:
            if not (price_reason or "").strip():
                raise _refuse(gettext("Invalid listing:"), {"price_reason": [
                    gettext("Give a reason for the price change (season, campaign ...).")]})
            change = _price_change(actor=actor, target=listing, field="channel_price", new_value=new_price,
                                   reason=price_reason)
            listing.refresh_from_db()
            if channel_sku_code is not None:
                listing.channel_sku_code = channel_sku_code.strip()
            if auto_delist is not None:
                listing.auto_delist = bool(auto_delist)
    changes = audit.changes_between(before, audit.snapshot(listing, _AUDIT_LISTING_FIELDS))
    changes.pop("channel_price", None)  # recorded by the price change
    if changes:
        listing.updated_at = clock.now()
        listing.save()
        audit.record_event("catalog.update_listing", actor=actor, obj=listing, grant=grant, changes=changes)
    return change


@transaction.atomic
def delist_listing(*, actor, listing: Listing, reason: str = "") -> Listing:
    """下架 by hand. A listing delisted by a person is never relisted automatically."""
    grant = _authorize(actor, "catalog.change_listing")
    listing = Listing.objects.select_for_update(of=("self",)).select_related("shop", "sku").get(pk=listing.pk)
    _check_shop(actor, listing.shop)
    if listing.status == ListingStatus.DELISTED and not listing.auto_delisted:
        raise Conflict(gettext("This listing is already delisted."), code="already_delisted")
    before = audit.snapshot(listing, ["status", "delist_reason", "auto_delisted"])
    listing.status = ListingStatus.DELISTED
    listing.auto_delisted = False
    listing.delist_reason = (reason or "").strip()[:200] or MANUAL_DELIST_REASON
    listing.updated_at = clock.now()
    listing.save(update_fields=["status", "auto_delisted", "delist_reason", "updated_at"])
    audit.record_event("catalog.delist_listing", actor=actor, obj=listing, grant=grant, reason=listing.delist_reason,
                       changes=audit.changes_between(before, audit.snapshot(
                           listing, ["status", "delist_reason", "auto_delisted"])))
    return listing


@transaction.atomic
def relist_listing(*, actor, listing: Listing) -> Listing:
    """上架 again by hand. Refused while the shop has no sellable stock of the SKU and automatic delisting is on
    (it would be delisted again at once); turn automatic delisting off to list it anyway (pre-sale)."""
    grant = _authorize(actor, "catalog.change_listing")
    listing = Listing.objects.select_for_update(of=("self",)).select_related("shop", "sku").get(pk=listing.pk)
    _check_shop(actor, listing.shop)
    if listing.status == ListingStatus.LISTED:
        raise Conflict(gettext("This listing is already listed."), code="already_listed")
    if not listing.sku.is_active:
        raise ServiceError(gettext("SKU %(c)s is deactivated.") % {"c": listing.sku.code}, code="sku_inactive")
    if listing.auto_delist:
        available = _availability([listing.sku_id])
        if available is not None and available.get((listing.sku_id, listing.shop_id), 0) <= 0:
            raise ServiceError(gettext("No sellable stock of %(c)s for this shop; restock first or turn off "
                                       "automatic delisting.") % {"c": listing.sku.code}, code="out_of_stock")
    before = audit.snapshot(listing, ["status", "delist_reason", "auto_delisted"])
    listing.status = ListingStatus.LISTED
    listing.auto_delisted = False
    listing.delist_reason = ""
    listing.updated_at = clock.now()
    listing.save(update_fields=["status", "auto_delisted", "delist_reason", "updated_at"])
    audit.record_event("catalog.relist_listing", actor=actor, obj=listing, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(
                           listing, ["status", "delist_reason", "auto_delisted"])))
    return listing


@dataclass
class AvailabilitySync:
    delisted: list[Listing] = field(default_factory=list)
    relisted: list[Listing] = field(default_factory=list)


@transaction.atomic
def sync_listing_availability(*, actor=None, sku_ids) -> AvailabilitySync:
    """Auto delist / relist (004:13 及时下架网店上的缺货产品): run when the sellable stock of SKUs changed.

    A listed listing with automatic delisting on whose shop has no sellable stock left (available = on hand -
    reserved over the warehouses serving the shop; no stock record counts as 0) is delisted with reason 缺货自动下架.
    A listing delisted that way is relisted as soon as stock is back. Listings delisted by a person, and listings
    with automatic delisting turned off, are never touched. Each change is one audit row (actor None = system).
    """
    grant = _authorize(actor, "catalog.change_listing")
    ids = sorted({int(i) for i in sku_ids})
    result = AvailabilitySync()
    if not ids:
        return result
    candidates = list(Listing.objects.select_for_update(of=("self",)).select_related("shop", "sku").filter(
        sku_id__in=ids, auto_delist=True).filter(
        Q(status=ListingStatus.LISTED) | Q(status=ListingStatus.DELISTED, auto_delisted=True)).order_by("pk"))
    if not candidates:
        return result
    available = _availability(ids)
    if available is None:
        return result  # no inventory app: nothing is known about stock
    now = clock.now()
    for listing in candidates:
        qty = available.get((listing.sku_id, listing.shop_id), 0)
        before = audit.snapshot(listing, ["status", "delist_reason", "auto_delisted"])
        if listing.status == ListingStatus.LISTED and qty <= 0:
            listing.status, listing.auto_delisted, listing.delist_reason = ListingStatus.DELISTED, True, \
                OUT_OF_STOCK_REASON
            action = "catalog.auto_delist_listing"
            result.delisted.append(listing)
        elif listing.status == ListingStatus.DELISTED and listing.auto_delisted and qty > 0:
            listing.status, listing.auto_delisted, listing.delist_reason = ListingStatus.LISTED, False, ""
            action = "catalog.auto_relist_listing"
            result.relisted.append(listing)
        else:
            continue
        listing.updated_at = now
        listing.save(update_fields=["status", "auto_delisted", "delist_reason", "updated_at"])
        audit.record_event(action, actor=actor, obj=listing, grant=grant,
                           reason=OUT_OF_STOCK_REASON if action.endswith("delist_listing") else
                           gettext("Back in stock (%(n)d available)") % {"n": qty},
                           changes=audit.changes_between(before, audit.snapshot(
                               listing, ["status", "delist_reason", "auto_delisted"])))
    return result




# --- Excel import -----------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # item numbers
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    brands_created: list[str] = field(default_factory=list)
    price_changes: list[PriceChange] = field(default_factory=list)
    rows: int = 0

    @property
    def pending(self) -> list[PriceChange]:
        return [c for c in self.price_changes if c.status == PriceChangeStatus.PENDING]


def _text_to_html(value: str) -> str:
    from django.utils.html import escape

    value = (value or "").strip()
    if not value or "<" in value:
        return value
    return "".join(f"<p>{escape(line.strip())}</p>" for line in value.splitlines() if line.strip())


def _resolve_category(text: str, categories: list[Category]) -> tuple[Category | None, str]:
    """A category by path ("内衣/文胸") or by a name that is unique in the tree."""
    by_id = {c.pk: c for c in categories}

    def path(c):
        names = []
        while c is not None:
            names.append(c.name)
            c = by_id.get(c.parent_id)
        return "/".join(reversed(names))

    text = "/".join(p.strip() for p in text.replace("＞", "/").replace(">", "/").split("/") if p.strip())
    if "/" in text:
        found = [c for c in categories if path(c) == text]
    else:
        found = [c for c in categories if c.name == text]
    if len(found) == 1:
        return found[0], ""
    if not found:
        return None, gettext("no category %(c)s; ask the merchandiser to add it") % {"c": text}
    return None, gettext("%(c)s is ambiguous; write the full path, e.g. %(p)s") % {"c": text, "p": path(found[0])}


@transaction.atomic
def import_products_xlsx(*, actor, file, file_name: str = "") -> ImportResult:
    """Import products and SKUs from an .xlsx in the template's layout (one row per SKU, product columns repeated).

    Every row is checked; if any row is bad nothing is imported and each problem is reported as "第N行 列: 原因"
    with the row number Excel shows. Re-importing the same file updates, never duplicates: products are matched by
    item number (货号), SKUs by SKU code. Changed prices of existing products go through the price-change rule
    (reason "Excel导入 <file>"). Brands that do not exist yet are created; categories must exist.
    """
    from shopdesk.catalog import xlsx

    grant = _authorize(actor, "catalog.add_product")
    change_grant = _authorize(actor, "catalog.change_product")
    sheet = xlsx.read_product_sheet(file)
    problems: list[tuple[int, str, str]] = list(sheet.errors)
    bad_rows = {r for r, _c, _m in problems}
    result = ImportResult(rows=len(sheet.rows))
    reason = f"Excel导入 {file_name}".strip()

    # Group the rows by item number; the product columns of a group must agree.
    groups: dict[str, list] = {}
    for row in sheet.rows:
        item = (row.product.get("item_number") or "").strip()
        if not item:
            problems.append((row.number, xlsx.header_of("product", "item_number"), gettext("required")))
            continue
        if not row.sku.get("code"):
            problems.append((row.number, xlsx.header_of("sku", "code"), gettext("required")))
            continue
        groups.setdefault(item.upper(), []).append(row)
    merged: dict[str, dict] = {}
    for key, rows in groups.items():
        values: dict = {}
        first_row: dict = {}
        for row in rows:  # an empty cell repeats the product's value from another row
            for name, value in row.product.items():
                empty = value is None or value == "" or value == {}
                if name not in values or (_blank(values[name]) and not empty):
                    values[name], first_row[name] = value, row.number
                elif not empty and value != values[name]:
                    problems.append((row.number, xlsx.header_of("product", name),
                                     gettext("differs from row %(r)d (one product, one value)")
                                     % {"r": first_row[name]}))
        for column in sheet.columns:
            if column.kind == "bool" and column.level == "product" and values.get(column.field) is None:
                values[column.field] = column.empty_bool
        merged[key] = values

    categories = list(Category.objects.all())
    brands = {b.name.lower(): b for b in Brand.objects.all()}
    can_see_cost = actor is None or actor.has_perm(VIEW_COST_PRICE)

    for key, rows in groups.items():
        if any(r.number in bad_rows for r in rows):
            continue
        values = dict(merged[key])
        first = rows[0].number
        item_number = values.pop("item_number")
        if "brand" in values:
            name = (values["brand"] or "").strip()
            if len(name) > Brand._meta.get_field("name").max_length:
                problems.append((first, xlsx.header_of("product", "brand"), gettext("at most 60 characters")))
                continue
            if name and name.lower() not in brands:
                brands[name.lower()] = Brand.objects.create(name=name)
                result.brands_created.append(name)
                audit.record_event("catalog.create_brand", actor=actor, obj=brands[name.lower()], grant=grant,
                                   changes=audit.created(brands[name.lower()], ["name"]), reason=reason)
            values["brand"] = brands[name.lower()] if name else None
        if "category" in values:
            text = (values["category"] or "").strip()
            values["category"] = None
            if text:
                category, problem = _resolve_category(text, categories)
                if problem:
                    problems.append((first, xlsx.header_of("product", "category"), problem))
                    continue
                values["category"] = category
        if "description" in values:
            values["description"] = _text_to_html(values["description"])
        if "cost_price" in values and values["cost_price"] is not None and not can_see_cost:
            problems.append((first, xlsx.header_of("product", "cost_price"),
                             gettext("you may not set cost prices; leave the column empty")))
            continue
        for name in ("cost_price", "list_price", "weight_grams"):
            if name in values and values[name] is None:
                del values[name]  # empty = keep (0 for a new product)

        product = Product.objects.filter(item_number__iexact=item_number).first()
        existing = {s.code.lower(): s for s in product.skus.all()} if product else {}
        skus = []
        for row in rows:
            current = existing.get(row.sku["code"].lower())
            data = {f: getattr(current, f) if current else None for f in ("colour", "size", "style", "barcode",
                                                                           "list_price", "is_active")}
            data = {k: v for k, v in data.items() if v is not None} if current else {}
            data.update({k: v for k, v in row.sku.items() if k != "code"})
            skus.append(SkuInput(code=row.sku["code"], id=current.pk if current else None,
                                 colour=data.get("colour", ""), size=data.get("size", ""),
                                 style=data.get("style", ""), barcode=data.get("barcode") or "",
                                 list_price=data.get("list_price"), is_active=data.get("is_active", True)))
        errors: dict[str, list[str]] = {}
        try:
            with transaction.atomic():
                if product is None:
                    done = _create_product_checked(actor=actor, grant=grant, item_number=item_number,
                                                   values=values, skus=skus, errors=errors)
                    if done is not None:
                        result.created.append(done.item_number)
                else:
                    done = _update_product_checked(actor=actor, grant=change_grant, product=product,
                                                   values=values, skus=skus, price_reason=reason, errors=errors)
                    if done is not None:
                        result.price_changes.extend(done.price_changes)
                        changed = done.changed or done.price_changes
                        (result.updated if changed else result.unchanged).append(product.item_number)
                if errors:
                    raise _ImportRowsRefused
        except _ImportRowsRefused:
            pass
        except ServiceError as exc:
            errors.setdefault("", []).append(exc.message)
        for key_, messages in errors.items():
            row_number, column = _import_error_place(key_, rows, xlsx)
            for m in messages:
                problems.append((row_number, column, m))

    if problems:
        problems.sort(key=lambda p: p[0])
        lines = [xlsx.row_error(r, c, m) for r, c, m in problems]
        shown = lines[:200]
        if len(lines) > len(shown):
            shown.append(gettext("… and %(n)d more problems.") % {"n": len(lines) - len(shown)})
        raise ServiceError(ngettext("Nothing was imported: %(n)d problem in the file.",
                                    "Nothing was imported: %(n)d problems in the file.", len(lines)) % {"n": len(lines)}
                           + "\n" + "\n".join(shown), code="invalid_import", fields={"file": shown})
    audit.record_event("catalog.import_products", actor=actor, grant=grant, reason=reason,
                       changes={"rows": {"before": None, "after": result.rows},
                                "created": {"before": None, "after": len(result.created)},
                                "updated": {"before": None, "after": len(result.updated)},
                                "price_changes_pending": {"before": None, "after": len(result.pending)}})
    return result


def _blank(value) -> bool:
    return value is None or value == "" or value == {}


class _ImportRowsRefused(Exception):
    """A product of the file failed validation: undo its savepoint, keep collecting problems."""


def _import_error_place(key: str, rows, xlsx) -> tuple[int, str]:
    """Row number and column header for a validation error key ("name", "skus.2.barcode", "attributes.面料")."""
    if key.startswith("skus."):
        parts = key.split(".")
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        name = parts[2] if len(parts) > 2 else "code"
        return rows[min(index, len(rows) - 1)].number, xlsx.header_of("sku", name)
    if key.startswith("attributes"):
        return rows[0].number, xlsx.header_of("product", "attributes")
    if key == "skus":
        return rows[0].number, xlsx.header_of("sku", "code")
    if key == "price_reason":
        return rows[0].number, xlsx.header_of("product", "list_price")
    if key == "":
        return rows[0].number, xlsx.header_of("product", "item_number")
    return rows[0].number, xlsx.header_of("product", key)
