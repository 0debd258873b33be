from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginRequiredForPages(LoginRequiredMiddleware):
    """Every page needs a login (Django's LoginRequiredMiddleware); the API answers 401 itself with its error body."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(("/api/", "/static/")):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
