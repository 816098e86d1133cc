"""The fast widget renderer writes exactly what Django's widget templates write."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from frontdesk.core.forms import FastWidgetRenderer


class Everything(forms.Form):
    text = forms.CharField(initial='a "quoted" <b>value</b> & more', max_length=20)
    email = forms.EmailField(required=False)
    number = forms.IntegerField(initial=3)
    hidden = forms.CharField(widget=forms.HiddenInput, initial="v1")
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), initial=datetime.date(2026, 1, 2)
    )
    flag = forms.BooleanField(initial=True, required=False)
    off = forms.BooleanField(initial=False, required=False)
    choice = forms.ChoiceField(
        choices=[("", "(none)"), ("a", "A & <b>"), ("Group", [("x", "X"), ("y", 'Y "q"')])],
        initial="y",
    )
    many = forms.MultipleChoiceField(choices=[("1", "one"), ("2", "two")], initial=["2"])
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), initial="<script>x</script>\nline"
    )
    empty_body = forms.CharField(widget=forms.Textarea, required=False)
    secret = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


@pytest.mark.parametrize("name", list(Everything.base_fields))
def test_each_widget_renders_the_same_markup(name):
    slow = Everything(renderer=DjangoTemplates())
    fast = Everything(renderer=FastWidgetRenderer())
    assert str(fast[name]) == str(slow[name])


def test_bound_values_with_errors_render_the_same():
    data = {"text": "x" * 30, "number": "nope", "choice": "a", "many": ["1", "2"], "body": "b & c"}
    slow = Everything(data, renderer=DjangoTemplates())
    fast = Everything(data, renderer=FastWidgetRenderer())
    assert not fast.is_valid()
    for name in Everything.base_fields:
        assert str(fast[name]) == str(slow[name]), name
