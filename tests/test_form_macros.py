"""templates/macros/forms.html: the field() macro's accessibility attributes."""
from __future__ import annotations

import re

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

MACRO = '{% from "macros/forms.html" import field %}{{ field(form.name, placeholder="张三") }}'


class NameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(min=2)])


def _render(app, errors: list[str]) -> str:
    with app.test_request_context():
        form = NameForm(meta={"csrf": False})
        form.name.errors = list(errors)
        return render_template_string(MACRO, form=form)


def test_no_describedby_without_errors(app):
    html = _render(app, [])
    assert "aria-describedby" not in html and "None" not in html
    assert 'aria-invalid="false"' in html and 'placeholder="张三"' in html   # caller's attributes kept
    assert 'class="error"' not in html


@pytest.mark.parametrize("errors", [["必填"], ["必填", "至少两个字"]])
def test_describedby_names_every_error_message(app, errors):
    html = _render(app, errors)
    described = re.search(r'<input[^>]*aria-describedby="([^"]+)"', html)[1].split()
    ids = re.findall(r'<p class="error" id="([^"]+)">', html)
    assert described == ids and len(ids) == len(errors) == len(set(ids))
    assert ids[0] == "name-error"                      # the first message keeps the plain id
    assert 'aria-invalid="true"' in html and 'placeholder="张三"' in html
