"""Image uploads are checked by their first bytes (magic numbers), not by the name or the browser's content type."""

from __future__ import annotations

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGES_PER_PRODUCT = 30

# content type -> file extension
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def sniff_image_type(head: bytes) -> str | None:
    """The image type of a file from its first 12 bytes: JPEG, PNG, WebP or GIF; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
