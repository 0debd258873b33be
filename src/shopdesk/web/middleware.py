from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LoginRequiredForPages(LoginRequiredMiddleware):
    """Every page needs a login (Django's LoginRequiredMiddleware); the API answers 401 itself with its error body."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(("/api/", "/static/")):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages are Chinese unless the person chose another language with the switch (cookie); the browser's
    Accept-Language is ignored, so a shared warehouse PC with an English browser still shows the department's
    language. The API follows Accept-Language (default Chinese)."""

    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            # API clients state their language with Accept-Language (error messages follow it).
            language = translation.get_language_from_request(request)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
