"""The chat-log import form (聊天记录导入): the file, and the shop for rows that name none."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.fulfillment.uploads import DataFileField


class ChatImportForm(forms.Form):
    file = DataFileField(label=_("Chat log"), help_text=_(
        "xlsx or CSV (UTF-8 or GBK) with the columns 时间, 店铺, 买家, 客服, 方向 and 内容."))
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None, required=False,
                                  empty_label=_("As the file says (店铺 column)"),
                                  help_text=_("For rows whose 店铺 cell is empty, or a file without that column."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops_visible_to(user).order_by("code")
