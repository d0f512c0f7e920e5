"""The permit tasks' transition forms (the portal's controls; every check is the services')."""

from django import forms
from django.utils.translation import gettext_lazy

from applications.forms import PortalForm

from .models import GreenOwner


class NoteForm(PortalForm):
    note = forms.CharField(
        label=gettext_lazy("意见（选填）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(PortalForm):
    reason = forms.CharField(
        label=gettext_lazy("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class GrantForm(PortalForm):
    permit_number = forms.CharField(label=gettext_lazy("许可文号"), required=False, max_length=60)
    note = forms.CharField(
        label=gettext_lazy("意见（选填）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FilingForm(PortalForm):
    green_owner = forms.ChoiceField(
        label=gettext_lazy("绿地权属"), choices=GreenOwner.choices, required=False, widget=forms.RadioSelect
    )


class EmptyForm(PortalForm):
    pass
