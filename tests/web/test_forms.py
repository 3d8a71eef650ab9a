"""web.forms.FastSelect writes Django's Select markup itself: it must stay the same HTML."""

import pytest
from django import forms
from django.utils import translation

from web.forms import CustomerFilterForm, FastSelect

CHOICES = [("", "Tất cả"), (1, "A & <b>"), ("x", "Ý 王"), ("Nhóm", [(3, "c"), (4, "d")])]


@pytest.mark.parametrize("value", [None, "", "1", 1, "x", "3", ["1", "x"]])
@pytest.mark.parametrize("attrs", [{}, {"class": "a", "disabled": True, "data-x": False,
                                        "title": 'say "hi"'}])
def test_fast_select_renders_what_djangos_select_renders(value, attrs):
    slow = forms.Select(choices=CHOICES, attrs=attrs).render("group", value, {"id": "id_group"})
    fast = FastSelect(choices=CHOICES, attrs=attrs).render("group", value, {"id": "id_group"})
    assert fast == slow


def test_the_filter_form_renders_as_with_djangos_select(in_acme):
    from django.contrib.auth.models import User

    owner = User.objects.get(username="owner@acme.test")
    data = {"role": "agent", "status": "inactive", "has_receivable": "true"}
    with translation.override("vi"):
        form = CustomerFilterForm(data, user=owner)
        fast = {name: str(form[name]) for name in form.fields}
        for field in form.fields.values():
            if isinstance(field.widget, FastSelect):
                field.widget.__class__ = forms.Select
        slow = {name: str(form[name]) for name in form.fields}
    assert fast == slow
    assert 'value="agent" selected' in fast["role"]
