"""DRF plumbing shared by every app: the error body, pagination and the permission class.

The REST_FRAMEWORK setting imports this module, so it must not import viewsets (they read that setting).

Every error has one shape: {"error": {"code": ..., "message": ..., "fields": {...}}}.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, pagination, permissions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shopdesk.core.errors import ServiceError


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                out[key] = [str(v) for v in value]
            else:
                out[key] = [str(value)]
        return out
    return {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": [
            str(d) for d in (exc.detail if isinstance(exc.detail, list) else [exc.detail])]}
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        response.data = error_body("invalid", message, fields)
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", str(exc))
    if isinstance(detail, dict | list):
        detail = str(detail)
    response.data = error_body(str(getattr(detail, "code", code) or code), str(detail))
    return response


class RequirePerms(permissions.BasePermission):
    """Checks the Django permissions a view names in `required_perms`: {"GET": [...], "POST": [...]} or a list.

    The same permission strings guard the matching web page, so the API and the UI agree.
    """

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        perms = getattr(view, "required_perms", None)
        if perms is None:
            return True
        if isinstance(perms, dict):
            action = getattr(view, "action", None)
            perms = perms.get(action, perms.get(request.method, perms.get("*", [])))
        return request.user.has_perms(perms)
