"""One table component for every list page: status tabs with counts, filters, sorting, paging, batch actions.

A list view builds a `Table` from a queryset and renders `web/components/table.html` with a row template of its own.
Queries stay bounded whatever the page size: one for the tab counts, one for the total, one for the page (plus the
related rows the caller prefetches).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Q


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str = ""  # ORM ordering expression; empty = not sortable
    css: str = ""


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    q: Q = field(default_factory=Q)


@dataclass(frozen=True)
class BatchAction:
    name: str
    label: str
    url: str
    confirm: str = ""
    danger: bool = False


class Table:
    page_sizes = (25, 50, 100, 200)

    def __init__(self, request, queryset, *, columns, row_template, tabs=(), filterset_class=None,
                 default_sort="", batch_actions=(), page_size=25, empty_text=""):
        self.request = request
        self.columns = list(columns)
        self.row_template = row_template
        self.batch_actions = list(batch_actions)
        self.empty_text = empty_text
        params = request.GET

        self.filterset = filterset_class(params, queryset=queryset, request=request) if filterset_class else None
        filtered = self.filterset.qs if self.filterset is not None and self.filterset.is_valid() else queryset
        if self.filterset is not None and not self.filterset.is_valid():
            filtered = queryset.none()

        self.tabs = []
        self.active_tab = params.get("tab") or (tabs[0].key if tabs else "")
        if tabs:
            # distinct: a tab condition across a to-many relation must not count a row twice.
            counts = filtered.order_by().aggregate(
                **{f"t_{t.key}": Count("pk", filter=t.q, distinct=True) for t in tabs})
            for t in tabs:
                self.tabs.append({"key": t.key, "label": t.label, "count": counts[f"t_{t.key}"],
                                  "url": self._url(tab=t.key, page=None), "active": t.key == self.active_tab})
            chosen = next((t for t in tabs if t.key == self.active_tab), tabs[0])
            filtered = filtered.filter(chosen.q)

        sortable = {c.key: c.sort for c in self.columns if c.sort}
        requested = params.get("sort", "")
        key = requested.lstrip("-")
        if key in sortable:
            self.sort = requested
            expr = sortable[key]
            ordering = [("-" + expr) if requested.startswith("-") else expr, "-pk"]
        else:
            self.sort = ""
            ordering = [default_sort, "-pk"] if default_sort else ["-pk"]
        filtered = filtered.order_by(*ordering)

        try:
            per_page = int(params.get("page_size", page_size))
        except ValueError:
            per_page = page_size
        self.per_page = per_page if per_page in self.page_sizes else page_size
        self.paginator = Paginator(filtered, self.per_page)
        self.page = self.paginator.get_page(params.get("page"))
        self.headers = [
            {"label": c.label, "css": c.css, "sortable": bool(c.sort),
             "state": ("asc" if self.sort == c.key else "desc" if self.sort == "-" + c.key else ""),
             "url": self._url(sort=("-" + c.key) if self.sort == c.key else c.key, page=None) if c.sort else ""}
            for c in self.columns
        ]

    @property
    def rows(self):
        return self.page.object_list

    def _url(self, **changes) -> str:
        params = self.request.GET.copy()
        for k, v in changes.items():
            if v is None:
                params.pop(k, None)
            else:
                params[k] = v
        return "?" + urlencode(sorted((k, v) for k in params for v in params.getlist(k)))

    def page_url(self, number: int) -> str:
        return self._url(page=number)

    @property
    def prev_url(self):
        return self.page_url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self):
        return self.page_url(self.page.next_page_number()) if self.page.has_next() else ""
