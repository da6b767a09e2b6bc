"""Forms of the reports feature: report narrative, re-opening, screening returns, campaigns."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class NarrativeForm(FlaskForm):
    """The report's narrative (domain.md 7.5) and the preparer printed in the footer."""

    narrative = TextAreaField(_l("Narrative"), validators=[Length(max=5000)])
    preparer_name = StringField(_l("Prepared by"), validators=[Optional(), Length(max=40)])
    preparer_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=20)])


class ReopenForm(FlaskForm):
    """Re-opening a submitted report needs a reason (kept with the new version)."""

    reason = TextAreaField(_l("Reason for re-opening"), validators=[DataRequired(), Length(min=4, max=1000)])


class ReturnForm(FlaskForm):
    """A village's screening return (排查情况) for a month or a campaign."""

    rounds = IntegerField(_l("Screening rounds held"), validators=[DataRequired(), NumberRange(min=1, max=999)])
    zero_report = BooleanField(_l("Nothing found (zero report)"))
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=1000)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(FlaskForm):
    """A campaign (专项行动): name, period and the villages taking part (Part A item 2)."""

    name = StringField(_l("Campaign name"), validators=[DataRequired(), Length(max=120)])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[DataRequired()])
    villages = MultiCheckboxField(_l("Villages taking part"), coerce=int,
                                  validators=[DataRequired(_l("Choose at least one village."))])

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date is before the start date."))
        if self.start_date.data and field.data and (field.data - self.start_date.data).days > 366:
            raise ValidationError(_l("A campaign lasts at most one year."))
