"""Reads of the catalog, with their joins and prefetches so a page costs a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, prefetch_related_objects

from shopdesk.catalog.models import (
    SKU,
    Category,
    CategoryAttribute,
    Listing,
    ListingStatus,
    PriceChange,
    PriceChangeStatus,
    Product,
    ProductImage,
)
from shopdesk.catalog.quality import ListingFacts, Quality, score_listing


def products():
    """Products with brand, category, SKUs and images (for lists and the API)."""
    return Product.objects.select_related("brand", "category").prefetch_related(
        Prefetch("skus", queryset=SKU.objects.order_by("id")),
        Prefetch("images", queryset=ProductImage.objects.order_by("sort", "id")),
    )


def search_products(qs, text: str):
    """The search box: item number, name, title, SKU codes, barcodes, pinyin initials of the name (无钢圈文胸 is
    found by "wgqwx"). Matches `search_text`, and SKU codes/barcodes directly in case the text was cut."""
    text = (text or "").strip().lower()
    if not text:
        return qs
    sku_match = SKU.objects.filter(product=OuterRef("pk")).filter(Q(code__icontains=text) | Q(barcode=text))
    return qs.filter(Q(search_text__icontains=text) | Exists(sku_match))


def product_for_page(pk: int):
    """One product with everything its page shows."""
    return Product.objects.select_related("brand", "category").prefetch_related(
        Prefetch("skus", queryset=SKU.objects.order_by("id")),
        Prefetch("images", queryset=ProductImage.objects.order_by("sort", "id")),
        "category__attributes",
    ).get(pk=pk)


def skus():
    return SKU.objects.select_related("product", "product__brand")


def sku_by_code(code: str) -> SKU | None:
    return SKU.objects.select_related("product").filter(code__iexact=(code or "").strip()).first()


# --- Channel SKU code mapping (used by the order importer) ------------------------------------------------------


def sku_for_channel_code(shop, code: str) -> SKU | None:
    """Our SKU for a shop's channel SKU code (the code in the platform's order export), or None when unmapped.

    Exact match on the code as the listing stores it (surrounding spaces ignored); never a guess.
    """
    code = (code or "").strip()
    if not code:
        return None
    listing = Listing.objects.select_related("sku", "sku__product").filter(shop=shop, channel_sku_code=code).first()
    return listing.sku if listing is not None else None


def skus_for_channel_codes(shop, codes) -> dict[str, SKU]:
    """Channel code -> our SKU for the codes of one shop that are mapped, in one query (for a whole import file)."""
    wanted = {(c or "").strip() for c in codes} - {""}
    rows = Listing.objects.select_related("sku", "sku__product").filter(shop=shop, channel_sku_code__in=wanted)
    return {row.channel_sku_code: row.sku for row in rows}


def unmapped_codes(shop, codes) -> list[str]:
    """The channel codes (in their first-seen order, each once) that map to no SKU in this shop."""
    seen, ordered = set(), []
    for code in codes:
        code = (code or "").strip()
        if code and code not in seen:
            seen.add(code)
            ordered.append(code)
    mapped = set(Listing.objects.filter(shop=shop, channel_sku_code__in=ordered)
                 .values_list("channel_sku_code", flat=True))
    return [c for c in ordered if c not in mapped]


# --- Listings and their quality ---------------------------------------------------------------------------------


def listings_visible_to(user):
    """Listings of the shops the person may see (managers and admins: every shop)."""
    from shopdesk.channels.selectors import shops_visible_to

    return Listing.objects.filter(shop__in=shops_visible_to(user)).select_related(
        "shop", "sku", "sku__product", "sku__product__brand", "sku__product__category")


def product_type_words() -> tuple[str, ...]:
    """Names of leaf categories: a title naming one that is not its own sells two products (one product per
    title)."""
    rows = list(Category.objects.values_list("pk", "name", "parent_id"))
    parents = {parent for _pk, _name, parent in rows if parent is not None}
    return tuple(name for pk, name, _parent in rows if pk not in parents)


def listing_facts(product: Product, *, price, image_count: int, type_words: tuple[str, ...]) -> ListingFacts:
    """Plain facts of a product (its SKUs, category attributes prefetched) for `quality.score_listing`."""
    attrs = list(product.category.attributes.all()) if product.category_id else []
    skus_ = [s for s in product.skus.all() if s.is_active]
    return ListingFacts(
        title=product.title, name=product.name, brand=product.brand.name if product.brand_id else "",
        category=product.category.name if product.category_id else "",
        required_attributes=tuple(a.name for a in attrs if a.required),
        attributes=dict(product.attributes or {}),
        colours=tuple(dict.fromkeys(s.colour for s in skus_ if s.colour)),
        other_product_words=type_words, sku_count=len(skus_), image_count=image_count,
        description=product.description, price=price,
    )


def quality_of(listings, type_words: tuple[str, ...] | None = None) -> dict[int, Quality]:
    """Stars and suggestions per listing id for listings fetched with sku__product (and its brand and category)
    selected, as `listings_visible_to` does. Costs a fixed number of queries however many listings."""
    listings = list(listings)
    products = {}
    for listing in listings:
        products.setdefault(listing.sku.product_id, listing.sku.product)
    prefetch_related_objects(list(products.values()), "category__attributes",
                             Prefetch("skus", queryset=SKU.objects.order_by("id")))
    counts = dict(ProductImage.objects.filter(product_id__in=list(products)).values("product_id")
                  .annotate(n=Count("id")).values_list("product_id", "n"))
    words = product_type_words() if type_words is None else type_words
    return {
        listing.pk: score_listing(listing_facts(products[listing.sku.product_id], price=listing.price,
                                                image_count=counts.get(listing.sku.product_id, 0),
                                                type_words=words))
        for listing in listings
    }


def product_listings(product: Product, user):
    """The product's listings in the shops the person may see, ordered by shop."""
    return listings_visible_to(user).filter(sku__product=product).order_by("shop__code", "sku_id")


def listing_tabs_q() -> dict[str, Q]:
    return {
        "listed": Q(status=ListingStatus.LISTED),
        "out_of_stock": Q(status=ListingStatus.DELISTED, auto_delisted=True),
        "delisted": Q(status=ListingStatus.DELISTED, auto_delisted=False),
        "all": Q(),
    }


# --- Price changes ----------------------------------------------------------------------------------------------


def price_changes():
    return PriceChange.objects.select_related("product", "sku", "listing", "listing__shop", "actor",
                                              "approved_by", "rejected_by")


def pending_price_changes():
    return price_changes().filter(status=PriceChangeStatus.PENDING)


def price_history(product: Product, limit: int = 30):
    return list(price_changes().filter(product=product)[:limit])


# --- Categories -------------------------------------------------------------------------------------------------


def categories_with_attributes():
    return Category.objects.select_related("parent").prefetch_related(
        Prefetch("attributes", queryset=CategoryAttribute.objects.order_by("sort", "id"))
    ).annotate(product_count=Count("products", distinct=True))


def category_paths() -> dict[int, str]:
    """Category id -> "内衣/文胸" for every category, in one query."""
    rows = {pk: (name, parent) for pk, name, parent in Category.objects.values_list("pk", "name", "parent_id")}

    def path(pk):
        names, seen = [], set()
        while pk is not None and pk in rows and pk not in seen:
            seen.add(pk)
            name, parent = rows[pk]
            names.append(name)
            pk = parent
        return "/".join(reversed(names))

    return {pk: path(pk) for pk in rows}


def products_for_export(qs=None):
    qs = qs if qs is not None else Product.objects.all()
    return qs.select_related("brand").prefetch_related(Prefetch("skus", queryset=SKU.objects.order_by("id"))) \
        .order_by("item_number")
