"""Order importers (订单导入): read platform order exports into plain records, without touching the database.

- `taobao`: the Taobao/Tmall seller-centre CSV pair (ExportOrderList + ExportOrderDetailList);
- `jd`: the JD seller xlsx export;
- `generic`: ShopDesk's own template (xlsx or CSV), with `template_xlsx()` / `template_csv()`;
- `detect_format(path)` tells them apart by the header row.

Each `iter_orders(path)` is a generator of `OrderRecord` and `RowError`; it raises `ImportFileError` (when first
advanced) for a file that cannot be read at all.
"""

from .detect import FORMATS, detect_format
from .records import PLATFORM_STATUSES, ImportFileError, LineRecord, OrderRecord, RowError

__all__ = [
    "FORMATS",
    "PLATFORM_STATUSES",
    "ImportFileError",
    "LineRecord",
    "OrderRecord",
    "RowError",
    "detect_format",
]
