"""Staff, roles (岗位) and stand-ins (临时代理)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock
from shopdesk.staff.roles import ROLES, role_name


class Role(models.Model):
    """A post of the department. Its permissions live on `group`; its authority limits live here."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="role")
    max_discount_percent = models.DecimalField(
        _("max discount %"), max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Largest discount this role may give without the manager's approval (权限范围内议价)."),
    )
    max_shipping_fee_change = models.DecimalField(
        _("max shipping-fee change (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Largest change to an order's shipping fee this role may make without approval."),
    )
    max_refund = models.DecimalField(
        _("max refund (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Largest after-sales refund this role may mark paid without a supervisor's approval."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]
        permissions = [
            ("view_cost_price", _("See cost prices")),
            ("unmask_personal_data", _("Unmask buyer personal data (logged)")),
            ("export_personal_data", _("Export buyer personal data (logged)")),
            ("approve_price_change", _("Approve price changes beyond a role's limit")),
            ("approve_over_limit", _("Approve discounts and shipping-fee changes beyond a role's limit")),
            ("view_all_shops", _("See every shop")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return role_name(self.code)

    @property
    def spec(self):
        return ROLES.get(self.code)


class StaffProfile(models.Model):
    """What ShopDesk keeps about a person beyond the Django user: display name, work phone, assigned shops."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    shops = models.ManyToManyField("channels.Shop", verbose_name=_("shops"), blank=True, related_name="staff")

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class StandInQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True)


class StandIn(models.Model):
    """临时代理: `user` acts with `role`'s permissions from `starts_on` to `ends_on` inclusive (004:44,63,77,93)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
                             related_name="stand_ins")
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT, related_name="stand_ins")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("granted by"), on_delete=models.PROTECT,
                                   related_name="+")
    granted_at = models.DateTimeField(_("granted at"), default=clock.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    objects = StandInQuerySet.as_manager()

    class Meta:
        verbose_name = _("stand-in")
        verbose_name_plural = _("stand-ins")
        ordering = ["-starts_on", "-id"]
        default_permissions = ("add", "change", "view")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="stand_in_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.role.name} ({self.starts_on} ~ {self.ends_on})"

    def status(self, today=None) -> str:
        today = today or clock.today()
        if self.revoked_at:
            return "revoked"
        if today < self.starts_on:
            return "upcoming"
        if today > self.ends_on:
            return "expired"
        return "active"
