"""Forms of the administration pages. Choices that depend on the admin's scope are filled by the view."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from portal.admin.services import APPOINTMENT_TYPES, COMMITTEE_TYPES, POSITIONS, ROLE_LABELS, SEXES
from portal.validation import InvalidValue, normalize_text, validate_phone


def _strip(value):
    return normalize_text(value) if isinstance(value, str) else value


def _phone(form, field):
    if field.data:
        try:
            field.data = validate_phone(field.data)
        except InvalidValue as error:
            raise ValidationError(str(error.message))


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _lazy_choices(labels: dict, blank=None) -> list[SelectChoice]:
    return ([SelectChoice("", blank)] if blank is not None else []) + [SelectChoice(k, v) for k, v in labels.items()]


class UnitForm(FlaskForm):
    """Name and 12-digit division code of an org unit (the code is checked in the service)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)], filters=[_strip])
    division_code = StringField(_l("Division code"), validators=[Optional(), Length(max=20)], filters=[_strip],
                                render_kw={"inputmode": "numeric", "maxlength": 12, "placeholder": "620599101201"})


class CommitteeForm(FlaskForm):
    """A mediation committee (人民调解法 第八条, 第三十四条)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)], filters=[_strip])
    case_prefix = StringField(_l("Case number prefix"), validators=[DataRequired(), Length(max=20)],
                              filters=[_strip])
    committee_type = SelectField(_l("Type"), choices=_lazy_choices(COMMITTEE_TYPES))
    term_start = DateField(_l("Term from"), validators=[Optional()], render_kw={"type": "date"})
    term_end = DateField(_l("Term until"), validators=[Optional()], render_kw={"type": "date"})

    def validate_term_end(self, field):
        if field.data and self.term_start.data and field.data < self.term_start.data:
            raise ValidationError(_l("The term cannot end before it starts."))


class MediatorForm(FlaskForm):
    """A people's mediator (人民调解法 第十三条)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=40)], filters=[_strip])
    sex = SelectField(_l("Sex"), choices=_lazy_choices(SEXES, blank=""), validators=[DataRequired()])
    position = SelectField(_l("Position"), choices=_lazy_choices(POSITIONS), default="MEMBER")
    appointment_type = SelectField(_l("Appointment"), choices=_lazy_choices(APPOINTMENT_TYPES))
    phone = StringField(_l("Phone"), validators=[Optional(), _phone], filters=[_strip],
                        render_kw={"type": "tel", "inputmode": "tel"})


class UserForm(FlaskForm):
    """An account: role and scope; the initial password only when creating."""

    username = StringField(_l("User name"), validators=[
        DataRequired(), Length(min=2, max=40),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, dot, dash and underscore only."))],
        filters=[_strip])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=40)], filters=[_strip])
    phone = StringField(_l("Phone"), validators=[Optional(), _phone], filters=[_strip],
                        render_kw={"type": "tel", "inputmode": "tel"})
    role = SelectField(_l("Role"), choices=_lazy_choices(ROLE_LABELS))
    org_unit_id = SelectField(_l("Area"), coerce=_int_or_none, validate_choice=False)
    grids = SelectMultipleField(_l("Grids (grid workers only)"), coerce=int, validate_choice=False,
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class EditUserForm(UserForm):
    """Like :class:`UserForm` without the user name and password (those have their own actions)."""

    username = None
    password = None
    confirm = None


class ResetPasswordForm(FlaskForm):
    """A temporary password the user must change at the next login."""

    password = PasswordField(_l("Temporary password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
