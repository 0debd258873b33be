"""Files people upload that are not public (a buyer's photos): served by a view that has checked the permission and
the shop, never from a media URL."""

from __future__ import annotations

from django.http import FileResponse, Http404


def private_image(field_file) -> FileResponse:
    """The image of `field_file` (an ImageField/FileField value) for the browser to show, not to cache or sniff;
    404 when there is none or the file is gone."""
    from shopdesk.catalog.images import sniff_image_type

    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = sniff_image_type(handle.read(16)) or "application/octet-stream"
    handle.seek(0)
    response = FileResponse(handle, content_type=kind)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
