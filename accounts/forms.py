from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils import timezone

from accounts.cohorts import CohortError, find_by_code
from accounts.models import Membership, User


class SignUpForm(UserCreationForm):
    join_code = forms.CharField(
        label="Cohort join code",
        required=False,
        max_length=30,
        help_text="Optional: the code your team lead gave you.",
    )

    class Meta:
        model = User
        fields = ("username", "email")
        help_texts = {"email": "Optional: only used to reset a forgotten password."}

    def clean_join_code(self) -> str:
        code = self.cleaned_data.get("join_code", "")
        if code:
            try:
                find_by_code(code, timezone.now())
            except CohortError as error:
                raise forms.ValidationError(str(error)) from None
        return code


class EmailForm(forms.ModelForm):
    """The account's email address: password reset sends its link there."""

    class Meta:
        model = User
        fields = ("email",)
        labels = {"email": "Email address"}
        help_texts = {"email": "Used only to send a link when you forget your password."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True


class JoinCohortForm(forms.Form):
    join_code = forms.CharField(label="Join code", max_length=30)

    def clean_join_code(self) -> str:
        code = self.cleaned_data["join_code"]
        try:
            self.cohort = find_by_code(code, timezone.now())
        except CohortError as error:
            raise forms.ValidationError(str(error)) from None
        return code


MAX_UPLOAD_BYTES = 512 * 1024


class BulkMembersForm(forms.Form):
    """A list of usernames or emails, pasted or uploaded (accounts/membership.py)."""

    names = forms.CharField(
        label="Usernames or emails",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocapitalize": "none"}),
        help_text="One or more per line, separated by spaces, commas or semicolons.",
    )
    upload = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text="Plain text or CSV, UTF-8, up to 512 KB; a header row is skipped.",
    )
    invite = forms.BooleanField(
        label="Email an invitation link to addresses that have no account",
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        text = data.get("names") or ""
        upload = data.get("upload")
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError("The file is larger than 512 KB; split the list.")
            try:
                content = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    "The file is not UTF-8 text: save it as UTF-8 (CSV UTF-8) and upload it again."
                ) from None
            text = f"{text}\n{content}" if text.strip() else content
        if not text.strip():
            raise forms.ValidationError("Paste usernames or emails, or choose a file.")
        data["text"] = text
        return data


class StaffBulkMembersForm(BulkMembersForm):
    role = forms.ChoiceField(label="Add as", choices=Membership.Role.choices, initial="learner")
