"""Forms of the ledger import/export pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import Length

ALLOWED_EXTENSIONS = ("xlsx", "xls", "csv")


class UploadForm(FlaskForm):
    """The ledger file to check (dry run) before importing."""

    file = FileField(_l("Ledger file (.xlsx, .xls or .csv)"))

    def validate_file(self, field) -> None:
        """A file must be chosen and end in .xlsx, .xls or .csv."""
        from wtforms.validators import ValidationError

        data = field.data
        if data is None or not getattr(data, "filename", ""):
            raise ValidationError(_l("Choose a file to upload."))
        if data.filename.lower().rsplit(".", 1)[-1] not in ALLOWED_EXTENSIONS:
            raise ValidationError(_l("Upload an Excel file (.xlsx or .xls) or a CSV file."))


class ExportForm(FlaskForm):
    """Format and masking of an export. Unmasked exports need a reason (domain.md 9.3); the view
    checks the ``export.unmasked`` capability."""

    fmt = RadioField(_l("Format"), choices=[("xlsx", _l("Excel (.xlsx)")), ("csv", _l("CSV (UTF-8)"))],
                     default="xlsx")
    unmasked = BooleanField(_l("Include full ID numbers and phone numbers"))
    reason = TextAreaField(_l("Reason for the unmasked export"), validators=[Length(max=500)])

    def validate_reason(self, field) -> None:
        """A reason of at least four characters is required for an unmasked export."""
        from wtforms.validators import ValidationError

        if self.unmasked.data and len((field.data or "").strip()) < 4:
            raise ValidationError(_l("State why the full personal data is needed (at least 4 characters)."))
