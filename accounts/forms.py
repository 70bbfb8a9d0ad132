from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils import timezone

from accounts.cohorts import CohortError, find_by_code
from accounts.models import User


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
