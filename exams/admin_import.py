"""The admin's "Import questions" pages: upload a bank file, preview, confirm.

Thin views over `exams/bank/uploads.py`. Reachable from the question list for
staff who may both add and change questions (the Instructors group).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from exams.bank.importing import YAML, ImportOptions
from exams.bank.uploads import (
    MAX_UPLOAD_BYTES,
    UploadGone,
    UploadRefused,
    apply_upload,
    describe_upload,
    preview_upload,
    store_upload,
)
from exams.models import BankUpload, Objective, Question

PERMISSIONS = ("exams.add_question", "exams.change_question")


def can_import(user) -> bool:
    return user.is_active and user.is_staff and user.has_perms(PERMISSIONS)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Bank file",
        help_text=(
            "Quizsite's own YAML or JSON, Moodle GIFT (.gift, .txt) or Moodle XML (.xml), "
            f"at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB. The format is told from the content."
        ),
    )


class OptionsForm(forms.Form):
    """How a Moodle file's questions become the bank's; one select per category."""

    objective = forms.ChoiceField(
        label="Default objective",
        required=False,
        help_text="For questions whose category is not mapped below.",
    )
    skip_unsupported = forms.BooleanField(
        label="Skip questions of unsupported types (essay, numerical, short answer, cloze…) "
        "and import the rest",
        required=False,
    )
    overwrite = forms.BooleanField(
        label="Replace questions changed in the admin since they were last loaded",
        required=False,
    )

    def __init__(self, *args, categories: list[tuple[str, int]], moodle: bool, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        choices = [
            (code, f"{code} — {title}")
            for code, title in Objective.objects.order_by("code").values_list("code", "title")
        ]
        self.categories = categories
        self.fields["objective"].choices = [("", "— none —"), *choices]
        for index, (label, count) in enumerate(categories):
            self.fields[f"map-{index}"] = forms.ChoiceField(
                label=f"{label or '(no category)'} — {count} question(s)",
                required=False,
                choices=[("", "— the default objective —"), *choices],
            )
        if not moodle:
            del self.fields["objective"], self.fields["skip_unsupported"]

    def import_options(self) -> tuple[ImportOptions, bool]:
        data = self.cleaned_data
        mapping = {
            label: data[f"map-{index}"]
            for index, (label, _) in enumerate(self.categories)
            if data.get(f"map-{index}") and label
        }
        unlabeled = [i for i, (label, _) in enumerate(self.categories) if not label]
        objective = data.get("objective", "")
        if unlabeled and data.get(f"map-{unlabeled[0]}"):
            # Questions without a category only have the default to go to.
            objective = objective or data[f"map-{unlabeled[0]}"]
        options = ImportOptions(mapping, objective, bool(data.get("skip_unsupported")))
        return options, bool(data.get("overwrite"))

    def map_fields(self) -> list[forms.BoundField]:
        return [self[f"map-{index}"] for index in range(len(self.categories))]


def _context(request: HttpRequest, **extra) -> dict:
    opts = Question._meta
    return {**admin.site.each_context(request), "opts": opts, "title": "Import questions", **extra}


def _check(request: HttpRequest) -> None:
    if not can_import(request.user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def upload_view(request: HttpRequest) -> HttpResponse:
    _check(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            if file.size > MAX_UPLOAD_BYTES:
                raise UploadRefused(
                    f"The file is {file.size / 1024 / 1024:.1f} MB; the limit is "
                    f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB. Split the bank into several files."
                )
            upload = store_upload(
                user=request.user, name=file.name, data=file.read(), now=timezone.now()
            )
        except UploadRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("exams_question_import_preview", upload_id=upload.pk)
    return render(request, "admin/exams/question/import_upload.html", _context(request, form=form))


@require_http_methods(["GET", "POST"])
def preview_view(request: HttpRequest, upload_id) -> HttpResponse:
    """The dry run's report for the options chosen (GET), and the import (POST)."""
    _check(request)
    upload = get_object_or_404(BankUpload, pk=upload_id, user=request.user)
    fmt, categories = describe_upload(upload)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = OptionsForm(data, categories=categories, moodle=fmt != YAML)
    options, overwrite = ImportOptions(), False
    if data is not None and form.is_valid():
        options, overwrite = form.import_options()
    now = timezone.now()
    if request.method == "POST" and form.is_valid():
        try:
            report, preview = apply_upload(
                upload,
                options,
                overwrite=overwrite,
                expected=request.POST.get("fingerprint", ""),
                user=request.user,
                now=now,
            )
        except UploadGone:
            messages.info(request, f"{upload.name} has already been imported.")
            return redirect(reverse("admin:exams_question_changelist"))
        if report is not None:
            messages.success(request, f"Imported {upload.name}: {report.summary()}.")
            return redirect(reverse("admin:exams_question_changelist"))
        messages.warning(
            request,
            "Nothing was imported: the outcome differs from the preview you confirmed "
            "(the bank changed meanwhile). Here is the new preview; confirm again if it "
            "is what you want.",
        )
    else:
        preview = preview_upload(upload, options, overwrite=overwrite, user=request.user, now=now)
    return render(
        request,
        "admin/exams/question/import_preview.html",
        _context(request, upload=upload, form=form, preview=preview, moodle=fmt != YAML),
    )


def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """A malformed upload id: not the admin's "question with ID … doesn't exist"."""
    raise Http404("No such upload.")


urlpatterns = [
    path("", admin.site.admin_view(upload_view), name="exams_question_import"),
    path(
        "<uuid:upload_id>/",
        admin.site.admin_view(preview_view),
        name="exams_question_import_preview",
    ),
    path("<path:rest>", not_found),
]
