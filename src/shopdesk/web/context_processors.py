from shopdesk.staff.authz import held_roles
from shopdesk.web.navigation import nav_for


def shell(request):
    """What the base layout needs: the navigation and the roles the person holds today."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_sections": nav_for(user, request.path), "held_roles": held_roles(user)}
