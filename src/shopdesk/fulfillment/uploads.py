"""Uploaded data files (xlsx/CSV) of the fulfilment pages and API: the size limit, the form and serializer fields,
and `saved_upload`, which keeps an upload in a temporary file for the path-based import services."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

UPLOAD_LIMIT = 50 * 1024 * 1024  # a month of a busy carrier's bill as CSV
UPLOAD_TYPES = ".xlsx,.csv,.txt,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"


@contextmanager
def saved_upload(upload) -> Iterator[Path]:
    """The uploaded file in a temporary folder of its own, under the name the person chose (messages name the file
    they know); removed afterwards."""
    folder = tempfile.mkdtemp(prefix="shopdesk-upload-")
    name = Path((upload.name or "").replace("\\", "/")).name.strip().lstrip(".") or "upload"
    path = Path(folder) / name[-120:]
    try:
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class DataFileField(forms.FileField):
    """An xlsx or CSV upload of at most 50 MB (the content is checked by the reader, not the name)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": UPLOAD_TYPES}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload.size > UPLOAD_LIMIT:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


class UploadFile(serializers.FileField):
    """The API's data-file field, with the same limit."""

    def to_internal_value(self, data):
        upload = super().to_internal_value(data)
        if upload.size > UPLOAD_LIMIT:
            raise serializers.ValidationError(gettext("The file is larger than 50 MB."))
        return upload
