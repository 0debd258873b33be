"""Catalog pages: products (list, editor with SKU grid, page with photos, listings and their stars), listings per
shop, price-change approvals, Excel import/export, categories and brands. Thin: a form, one service call, a render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.catalog import selectors, services, xlsx
from shopdesk.catalog.filters import ListingFilter, ProductFilter
from shopdesk.catalog.forms import (
    AttributeForm,
    BrandForm,
    CategoryForm,
    DelistForm,
    ImageUploadForm,
    ImportForm,
    ListingEditForm,
    ListingForm,
    ProductForm,
    SkuFormSet,
    sku_initial,
)
from shopdesk.catalog.models import (
    PRODUCT_PRICE_FIELDS,
    CategoryAttribute,
    PriceChange,
    PriceChangeStatus,
    Product,
    ProductImage,
)
from shopdesk.catalog.quality import score_listing
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core.errors import ServiceError
from shopdesk.staff.roles import APPROVE_PRICE_CHANGE, VIEW_COST_PRICE
from shopdesk.web.forms import add_service_error
from shopdesk.web.tables import BatchAction, Column, Tab, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Products ---------------------------------------------------------------------------------------------------


def _product_tabs() -> list[Tab]:
    return [Tab("all", _("All"), Q()), Tab("active", _("On sale"), Q(is_active=True)),
            Tab("inactive", _("Discontinued"), Q(is_active=False)),
            Tab("key", _("Key products"), Q(is_key_product=True)), Tab("new", _("New"), Q(is_new=True)),
            Tab("no_images", _("No photos"), Q(images__isnull=True))]


@permission_required("catalog.view_product", raise_exception=True)
def product_list(request):
    table = Table(
        request, selectors.products(),
        columns=[Column("image", "", css="thumb-col"), Column("item_number", _("Item number"), "item_number"),
                 Column("name", _("Name"), "name"), Column("brand", _("Brand"), "brand__name"),
                 Column("category", _("Category"), "category__name"), Column("skus", _("SKUs")),
                 Column("price", _("List price"), "list_price", css="num"), Column("flags", _("Flags")),
                 Column("created", _("Created"), "created_at")],
        tabs=_product_tabs(),
        filterset_class=ProductFilter, row_template="catalog/rows/product.html", default_sort="-created_at",
        empty_text=_("No products. Add one or import the Excel template."),
    )
    return render(request, "catalog/product_list.html", {"table": table})


def _product_form_page(request, product: Product | None):
    user = request.user
    categories = list(selectors.categories_with_attributes())
    can_see_cost = user.has_perm(VIEW_COST_PRICE)
    can_change_price = user.has_perm(services.CHANGE_PRICE)
    initial = {"list_price": 0, "weight_grams": 0, "is_active": True}
    if product is not None:
        initial = {f: getattr(product, f) for f in ("item_number", "name", "title", "brand", "category",
                                                    "cost_price", "list_price", "member_price", "vip_price",
                                                    "weight_grams", "description", *ProductForm.FLAGS)}
        for category in categories:
            for attribute in category.attributes.all():
                if category.pk == product.category_id and attribute.name in (product.attributes or {}):
                    initial[f"attr_{attribute.pk}"] = product.attributes[attribute.name]
    data = request.POST if request.method == "POST" else None
    form = ProductForm(data, initial=initial, categories=categories, editing=product is not None,
                       can_see_cost=can_see_cost, can_change_price=can_change_price)
    formset = SkuFormSet(data, prefix="skus",
                         initial=sku_initial(product.skus.all()) if product is not None else None)
    if request.method == "POST" and form.is_valid() & formset.is_valid():
        d = form.cleaned_data
        rows = [(i, f) for i, f in enumerate(formset.forms) if not f.is_blank()]
        fields = {k: d[k] for k in ("name", "title", "brand", "category", "weight_grams", "description",
                                    *ProductForm.FLAGS)}
        fields["attributes"] = form.attributes_for(d.get("category"))
        for k in ("cost_price", *PRODUCT_PRICE_FIELDS):
            if k in form.fields and not form.fields[k].disabled:
                fields[k] = d.get(k)
        try:
            if product is None:
                product = services.create_product(actor=user, item_number=d["item_number"],
                                                  skus=[f.to_input() for _i, f in rows], **fields)
                messages.success(request, gettext("Product %(p)s added.") % {"p": product.item_number})
            else:
                result = services.update_product(actor=user, product=product,
                                                 skus=[f.to_input() for _i, f in rows],
                                                 price_reason=d.get("price_reason", ""), **fields)
                messages.success(request, gettext("Product %(p)s saved.") % {"p": product.item_number})
                for change in result.pending:
                    messages.warning(request, gettext(
                        "The %(field)s change to %(new)s (-%(pct)s%%) is beyond your authority and waits for the "
                        "manager's approval.") % {"field": change.get_field_display(), "new": change.new_value,
                                                  "pct": change.decrease_percent})
        except ServiceError as exc:
            _place_product_errors(form, formset, rows, exc, d.get("category"))
        else:
            return redirect("catalog:product", pk=product.pk)
    return render(request, "catalog/product_form.html", {
        "form": form, "formset": formset, "product": product,
        "title": product.name if product else _("New product"),
        "cancel_url": reverse("catalog:product", args=[product.pk]) if product else reverse("catalog:products"),
        "current_category": (form["category"].value() or ""),
    })


def _place_product_errors(form, formset, rows, exc: ServiceError, category) -> None:
    """Service errors beside their fields: SKU grid rows ("skus.<i>.<field>") and attributes ("attributes.<name>")."""
    rest = {}
    for key, msgs in (exc.fields or {}).items():
        if key.startswith("skus.") and key.count(".") == 2:
            _prefix, index, name = key.split(".")
            sku_form = rows[int(index)][1] if int(index) < len(rows) else None
            if sku_form is not None:
                for m in msgs:
                    sku_form.add_error(name if name in sku_form.fields else None, m)
                continue
        if key.startswith("attributes."):
            field_name = form.attribute_field_name(category, key.split(".", 1)[1])
            if field_name:
                for m in msgs:
                    form.add_error(field_name, m)
                continue
        rest[key] = msgs
    if rest or not exc.fields:
        add_service_error(form, ServiceError(exc.message, code=exc.code, fields=rest))


@permission_required("catalog.add_product", raise_exception=True)
def product_create(request):
    return _product_form_page(request, None)


@permission_required("catalog.change_product", raise_exception=True)
def product_edit(request, pk):
    return _product_form_page(request, get_object_or_404(selectors.products(), pk=pk))


@permission_required("catalog.delete_product", raise_exception=True)
@require_POST
def product_delete(request, pk):
    product = get_object_or_404(Product, pk=pk)
    try:
        services.delete_product(actor=request.user, product=product)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:product_edit", pk=pk)
    messages.success(request, gettext("Product %(p)s deleted.") % {"p": product.item_number})
    return redirect("catalog:products")


@permission_required("catalog.view_product", raise_exception=True)
def product_detail(request, pk):
    try:
        product = selectors.product_for_page(pk)
    except Product.DoesNotExist:
        raise Http404 from None
    images = list(product.images.all())
    listings = list(selectors.product_listings(product, request.user))
    words = selectors.product_type_words()
    qualities = selectors.quality_of(listings, words)
    for listing in listings:
        listing.quality = qualities[listing.pk]
    overview = score_listing(selectors.listing_facts(product, price=product.list_price,
                                                               image_count=len(images), type_words=words))
    attributes = []
    if product.category_id:
        for a in product.category.attributes.all():
            attributes.append({"name": a.name, "value": (product.attributes or {}).get(a.name, ""),
                               "required": a.required})
    return render(request, "catalog/product_detail.html", {
        "product": product, "images": images, "listings": listings, "overview": overview,
        "attributes": attributes, "skus": list(product.skus.all()),
        "price_history": selectors.price_history(product) if request.user.has_perm("catalog.view_pricechange")
        else None,
        "can_see_cost": request.user.has_perm(VIEW_COST_PRICE),
        "upload_form": ImageUploadForm() if request.user.has_perm("catalog.add_productimage") else None,
    })


@permission_required("catalog.view_product", raise_exception=True)
def product_image(request, pk):
    """A product photo, for people who may see products (no public /media/ URL)."""
    image = get_object_or_404(ProductImage, pk=pk)
    try:
        handle = image.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


@permission_required("catalog.add_productimage", raise_exception=True)
@require_POST
def product_images_upload(request, pk):
    product = get_object_or_404(Product, pk=pk)
    form = ImageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = services.add_product_images(actor=request.user, product=product,
                                                files=form.cleaned_data["images"])
        except ServiceError as exc:
            for m in exc.fields.get("images", [exc.message]):
                messages.error(request, m)
        else:
            messages.success(request, ngettext("%(n)d photo added.", "%(n)d photos added.", len(added))
                             % {"n": len(added)})
    else:
        for errors in form.errors.values():
            for m in errors:
                messages.error(request, m)
    return redirect(reverse("catalog:product", args=[pk]) + "#photos")


@permission_required("catalog.change_productimage", raise_exception=True)
@require_POST
def product_image_move(request, pk):
    """Move a photo: to the front (main image), one place left or right."""
    image = get_object_or_404(ProductImage.objects.select_related("product"), pk=pk)
    order = list(ProductImage.objects.filter(product=image.product).order_by("sort", "id").values_list("pk",
                                                                                                      flat=True))
    index = order.index(image.pk)
    where = request.POST.get("to", "")
    order.pop(index)
    target = {"first": 0, "left": max(0, index - 1), "right": min(len(order), index + 1)}.get(where, index)
    order.insert(target, image.pk)
    services.reorder_product_images(actor=request.user, product=image.product, image_ids=order)
    return redirect(reverse("catalog:product", args=[image.product_id]) + "#photos")


@permission_required("catalog.delete_productimage", raise_exception=True)
@require_POST
def product_image_delete(request, pk):
    image = get_object_or_404(ProductImage.objects.select_related("product"), pk=pk)
    product_id = image.product_id
    services.delete_product_image(actor=request.user, image=image)
    messages.success(request, gettext("Photo removed."))
    return redirect(reverse("catalog:product", args=[product_id]) + "#photos")


# --- Listings ---------------------------------------------------------------------------------------------------


def _attach_quality(table) -> None:
    """Stars and suggestions for the listings on the current page (a fixed number of queries)."""
    rows = list(table.rows)
    qualities = selectors.quality_of(rows)
    for row in rows:
        row.quality = qualities.get(row.pk)
    table.page.object_list = rows


@permission_required("catalog.view_listing", raise_exception=True)
def listing_list(request):
    tabs_q = selectors.listing_tabs_q()
    tab = request.GET.get("tab", "listed")
    batch = []
    if request.user.has_perm("catalog.change_listing"):
        if tab in ("listed", "all"):
            batch.append(BatchAction("delist", _("Delist"), reverse("catalog:listing_batch"),
                                     confirm=gettext("Delist the selected listings?"), danger=True))
        if tab in ("out_of_stock", "delisted", "all"):
            batch.append(BatchAction("relist", _("Relist"), reverse("catalog:listing_batch")))
    table = Table(
        request, selectors.listings_visible_to(request.user),
        columns=[Column("shop", _("Shop"), "shop__code"), Column("code", _("Channel SKU code"), "channel_sku_code"),
                 Column("sku", _("SKU"), "sku__code"), Column("product", _("Product"), "sku__product__name"),
                 Column("price", _("Price"), "channel_price", css="num"), Column("status", _("Status"), "status"),
                 Column("stars", _("Quality")), Column("updated", _("Updated"), "updated_at")],
        tabs=[Tab("listed", _("Listed"), tabs_q["listed"]),
              Tab("out_of_stock", _("Delisted: out of stock"), tabs_q["out_of_stock"]),
              Tab("delisted", _("Delisted by hand"), tabs_q["delisted"]), Tab("all", _("All"), tabs_q["all"])],
        filterset_class=ListingFilter, row_template="catalog/rows/listing.html", default_sort="shop__code",
        batch_actions=batch, empty_text=_("No listings. List a SKU from its product page."),
    )
    _attach_quality(table)
    return render(request, "catalog/listing_list.html", {
        "table": table, "can_change": request.user.has_perm("catalog.change_listing"),
        "can_add": request.user.has_perm("catalog.add_listing"),
    })


@permission_required("catalog.change_listing", raise_exception=True)
@require_POST
def listing_batch(request):
    action = request.POST.get("action")
    ids = request.POST.getlist("ids")
    if action not in {"delist", "relist"} or not ids:
        messages.error(request, gettext("Choose an action and at least one row."))
        return redirect("catalog:listings")
    done, refused = 0, []
    for listing in selectors.listings_visible_to(request.user).filter(pk__in=ids):
        try:
            if action == "delist":
                services.delist_listing(actor=request.user, listing=listing, reason=request.POST.get("reason", ""))
            else:
                services.relist_listing(actor=request.user, listing=listing)
            done += 1
        except ServiceError as exc:
            refused.append(f"{listing.shop.code} {listing.channel_sku_code}: {exc.message}")
    messages.success(request, ngettext("%(n)d listing updated.", "%(n)d listings updated.", done) % {"n": done})
    for line in refused:
        messages.error(request, line)
    return redirect("catalog:listings")


@permission_required("catalog.add_listing", raise_exception=True)
def listing_create(request):
    shops = shops_visible_to(request.user).filter(is_active=True).order_by("code")
    sku_code = request.GET.get("sku", "")
    form = ListingForm(request.POST or None, shops=shops,
                       initial={"sku_code": sku_code, "channel_sku_code": sku_code, "auto_delist": True})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            listing = services.create_listing(actor=request.user, shop=d["shop"], sku=d["sku"],
                                              channel_sku_code=d["channel_sku_code"],
                                              channel_price=d["channel_price"], status=d["status"],
                                              auto_delist=d["auto_delist"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("%(sku)s listed in %(shop)s.") % {"sku": listing.sku.code,
                                                                               "shop": listing.shop.name})
            if listing.auto_delisted:
                messages.warning(request, gettext("The shop has no sellable stock of %(sku)s yet: the listing stays "
                                                  "delisted until stock arrives.") % {"sku": listing.sku.code})
            return redirect("catalog:product", pk=listing.sku.product_id)
    return render(request, "web/form_page.html", {"form": form, "title": _("List a SKU in a shop"),
                                                  "cancel_url": reverse("catalog:listings")})


@permission_required("catalog.change_listing", raise_exception=True)
def listing_edit(request, pk):
    listing = get_object_or_404(selectors.listings_visible_to(request.user), pk=pk)
    can_change_price = request.user.has_perm(services.CHANGE_PRICE)
    form = ListingEditForm(request.POST or None, can_change_price=can_change_price, initial={
        "channel_sku_code": listing.channel_sku_code, "channel_price": listing.channel_price,
        "auto_delist": listing.auto_delist})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        price = {"channel_price": d["channel_price"], "price_reason": d.get("price_reason", "")} \
            if can_change_price else {}
        try:
            change = services.update_listing(actor=request.user, listing=listing,
                                             channel_sku_code=d["channel_sku_code"], auto_delist=d["auto_delist"],
                                             **price)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Listing %(l)s saved.") % {"l": listing.channel_sku_code})
            if change is not None and change.status == PriceChangeStatus.PENDING:
                messages.warning(request, gettext("The price change waits for the manager's approval."))
            return redirect("catalog:product", pk=listing.sku.product_id)
    return render(request, "catalog/listing_form.html", {
        "form": form, "listing": listing, "title": f"{listing.shop.name} · {listing.channel_sku_code}",
        "cancel_url": reverse("catalog:product", args=[listing.sku.product_id]), "delist_form": DelistForm(),
    })


@permission_required("catalog.change_listing", raise_exception=True)
@require_POST
def listing_status(request, pk):
    """Delist or relist one listing from its page."""
    listing = get_object_or_404(selectors.listings_visible_to(request.user), pk=pk)
    try:
        if request.POST.get("action") == "relist":
            services.relist_listing(actor=request.user, listing=listing)
            messages.success(request, gettext("Listing relisted."))
        else:
            services.delist_listing(actor=request.user, listing=listing, reason=request.POST.get("reason", ""))
            messages.success(request, gettext("Listing delisted."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("catalog:listing_edit", pk=pk)


# --- Price changes ----------------------------------------------------------------------------------------------


@permission_required("catalog.view_pricechange", raise_exception=True)
def price_change_list(request):
    can_decide = request.user.has_perm(APPROVE_PRICE_CHANGE)
    tab = request.GET.get("tab", "pending")
    batch = []
    if can_decide and tab == "pending":
        batch = [BatchAction("approve", _("Approve"), reverse("catalog:price_change_decide")),
                 BatchAction("reject", _("Reject"), reverse("catalog:price_change_decide"),
                             confirm=gettext("Reject the selected price changes?"), danger=True)]
    table = Table(
        request, selectors.price_changes(),
        columns=[Column("time", _("Time"), "created_at"), Column("target", _("Product / SKU / listing")),
                 Column("field", _("Price"), "field"), Column("change", _("Old → new"), css="num"),
                 Column("decrease", _("Decrease"), "decrease_percent", css="num"),
                 Column("who", _("Requested by"), "actor__username"), Column("reason", _("Reason")),
                 Column("status", _("Status"), "status")],
        tabs=[Tab("pending", _("Waiting for approval"), Q(status=PriceChangeStatus.PENDING)),
              Tab("applied", _("Applied"), Q(status=PriceChangeStatus.APPLIED)),
              Tab("rejected", _("Rejected"), Q(status=PriceChangeStatus.REJECTED)), Tab("all", _("All"), Q())],
        row_template="catalog/rows/price_change.html", default_sort="-created_at", batch_actions=batch,
        empty_text=_("No price changes."),
    )
    return render(request, "catalog/price_change_list.html", {"table": table, "can_decide": can_decide})


@permission_required(APPROVE_PRICE_CHANGE, raise_exception=True)
@require_POST
def price_change_decide(request):
    action = request.POST.get("action")
    ids = request.POST.getlist("ids")
    if action not in {"approve", "reject"} or not ids:
        messages.error(request, gettext("Choose an action and at least one row."))
        return redirect(reverse("catalog:price_changes") + "?tab=pending")
    done, refused = 0, []
    decide = services.approve_price_change if action == "approve" else services.reject_price_change
    for change in PriceChange.objects.filter(pk__in=ids, status=PriceChangeStatus.PENDING):
        try:
            decide(actor=request.user, change=change, note=request.POST.get("note", ""))
            done += 1
        except ServiceError as exc:
            refused.append(f"#{change.pk}: {exc.message}")
    messages.success(request, ngettext("%(n)d price change decided.", "%(n)d price changes decided.", done)
                     % {"n": done})
    for line in refused:
        messages.error(request, line)
    return redirect(reverse("catalog:price_changes") + "?tab=pending")


# --- Excel import and export ------------------------------------------------------------------------------------


@permission_required(["catalog.add_product", "catalog.change_product"], raise_exception=True)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.import_products_xlsx(actor=request.user, file=upload, file_name=upload.name)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext(
                "Imported %(rows)d rows: %(created)d products added, %(updated)d updated, %(same)d unchanged.")
                % {"rows": result.rows, "created": len(result.created), "updated": len(result.updated),
                   "same": len(result.unchanged)})
            if result.pending:
                messages.warning(request, ngettext(
                    "%(n)d price change waits for the manager's approval.",
                    "%(n)d price changes wait for the manager's approval.", len(result.pending))
                    % {"n": len(result.pending)})
            return redirect("catalog:products")
    return render(request, "catalog/import.html", {"form": form, "title": _("Import and export products")})


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_required("catalog.view_product", raise_exception=True)
def export_download(request):
    """The products of the current list (same search, filters and tab) as an .xlsx in the import layout."""
    from shopdesk.core import clock

    qs = ProductFilter(request.GET, queryset=Product.objects.all(), request=request).qs
    tab = next((t.q for t in _product_tabs() if t.key == request.GET.get("tab")), Q())
    content = xlsx.export_xlsx(selectors.products_for_export(qs.filter(tab).distinct()),
                               include_cost=request.user.has_perm(VIEW_COST_PRICE),
                               category_paths=selectors.category_paths())
    return _xlsx_response(content, f"products-{clock.today():%Y%m%d}.xlsx")


@permission_required("catalog.add_product", raise_exception=True)
def template_download(request):
    return _xlsx_response(xlsx.template_xlsx(include_cost=request.user.has_perm(VIEW_COST_PRICE)),
                          "product-import-template.xlsx")


# --- Categories and brands --------------------------------------------------------------------------------------


@permission_required("catalog.view_category", raise_exception=True)
def category_list(request):
    from shopdesk.catalog.models import Brand

    user = request.user
    forms_ = {"brand": BrandForm(prefix="brand"), "category": CategoryForm(prefix="category"),
              "attribute": AttributeForm(prefix="attribute")}
    if request.method == "POST":
        kind = request.POST.get("form")
        needed = {"brand": "catalog.add_brand", "category": "catalog.add_category",
                  "attribute": "catalog.change_category"}.get(kind)
        if needed is None or not user.has_perm(needed):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = {"brand": BrandForm, "category": CategoryForm, "attribute": AttributeForm}[kind](
            request.POST, prefix=kind)
        forms_[kind] = form
        if form.is_valid():
            d = form.cleaned_data
            try:
                if kind == "brand":
                    services.create_brand(actor=user, name=d["name"])
                elif kind == "category":
                    services.create_category(actor=user, name=d["name"], parent=d["parent"])
                else:
                    services.add_category_attribute(actor=user, category=d["category"], name=d["name"],
                                                    required=d["required"], choices=d["choices"])
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, gettext("Saved."))
                return redirect("catalog:categories")
    paths = selectors.category_paths()
    categories = sorted(selectors.categories_with_attributes(), key=lambda c: paths.get(c.pk, ""))
    for c in categories:
        c.path = paths.get(c.pk, c.name)
    return render(request, "catalog/category_list.html", {
        "categories": categories, "brands": Brand.objects.all(), "forms": forms_,
        "can_add_brand": user.has_perm("catalog.add_brand"), "can_add_category": user.has_perm("catalog.add_category"),
        "can_change_category": user.has_perm("catalog.change_category"),
    })


@permission_required("catalog.change_category", raise_exception=True)
@require_POST
def attribute_delete(request, pk):
    attribute = get_object_or_404(CategoryAttribute, pk=pk)
    services.remove_category_attribute(actor=request.user, attribute=attribute)
    messages.success(request, gettext("Attribute %(a)s removed.") % {"a": attribute.name})
    return redirect("catalog:categories")
