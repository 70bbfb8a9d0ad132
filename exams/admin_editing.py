"""Safe editing in the question admin: drafts, preview, publish, versions, duplicate,
where used, and a choice form that fits the question's kind.

The workflow itself (what is written, in which transaction, refused when) lives
in `exams.revisions`; this module parses the request, calls it and renders.
`QuestionEditing` is mixed into `QuestionAdmin`; `KindFittedChoices` into its
choice inline, whose formset checks rows with `check_choice_rows`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from exams import revisions
from exams.bank.diff import content_changes
from exams.bank.rules import (
    KINDS,
    MATCHING,
    MULTIPLE,
    ORDERING,
    SINGLE,
    Option,
    option_findings,
)
from exams.bank.schema import QuestionSpec
from exams.models import Case, Choice, Objective, Question, QuestionDraft, QuestionVersion

# --- the choice rows, fitted to the kind -----------------------------------

# The columns that mean something for each kind (the others are left out).
CHOICE_COLUMNS = {
    SINGLE: {"text", "is_correct", "feedback"},
    MULTIPLE: {"text", "is_correct", "feedback"},
    ORDERING: {"position", "text", "feedback"},
    MATCHING: {"text", "match", "feedback"},
}
OPTIONAL_COLUMNS = {"position", "is_correct", "match"}
CHOICE_LABELS = {
    SINGLE: {"text": "Choice", "is_correct": "Correct"},
    MULTIPLE: {"text": "Choice", "is_correct": "Correct"},
    ORDERING: {"position": "Place", "text": "Item (in the correct order)"},
    MATCHING: {"text": "Prompt", "match": "Match"},
}
# Which row field a rule's finding is shown beside.
FINDING_FIELDS = {"text": "text", "match": "match", "correct": "is_correct"}


def form_kind(request: HttpRequest, obj: Question | None) -> str | None:
    """The kind the choice rows are for: the one posted, else the question's."""
    posted = request.POST.get("kind") if request.method == "POST" else None
    if posted in KINDS:
        return posted
    return obj.kind if obj is not None and obj.pk else None


class KindFittedChoices:
    """A choice inline that shows only the columns the question's kind uses.

    A new question (kind not saved yet) shows every column; changing the kind
    and saving shows the new kind's columns, with the rules' messages beside
    the rows that need a change.
    """

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        kind = form_kind(request, obj)
        if kind is None:
            return fields
        unused = OPTIONAL_COLUMNS - CHOICE_COLUMNS[kind]
        return [name for name in fields if name not in unused]

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        kind = form_kind(request, obj)
        kwargs.setdefault("labels", CHOICE_LABELS.get(kind, {}))
        return super().get_formset(request, obj, **kwargs)

    def get_extra(self, request: HttpRequest, obj=None, **kwargs) -> int:
        draft = getattr(obj, "editing_draft", None)
        if draft is not None and request.method != "POST":
            return len(_option_rows(draft.content))
        return super().get_extra(request, obj, **kwargs)


def _kept_forms(formset) -> list:
    """The row forms that stay, in the order they are shown."""
    return [
        form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def options_from_formset(formset, kind: str) -> list[tuple[Any, Option]]:
    """Each kept row form with its option, in key order (ordering: by place)."""
    rows = []
    for index, form in enumerate(_kept_forms(formset)):
        data = form.cleaned_data
        option = Option(
            text=data.get("text", ""),
            feedback=data.get("feedback", ""),
            is_correct=bool(data.get("is_correct")) if kind in (SINGLE, MULTIPLE) else False,
            match=data.get("match", "") if kind == MATCHING else "",
        )
        place = (data.get("position") or 0) if kind == ORDERING else 0
        rows.append(((place, index), form, option))
    rows.sort(key=lambda row: row[0])
    return [(form, option) for _, form, option in rows]


def check_choice_rows(formset) -> None:
    """The bank's rules on the rows; a finding about some rows is shown beside them."""
    kind = formset.instance.kind
    if kind not in KINDS:
        return
    rows = options_from_formset(formset, kind)
    forms = [form for form, _ in rows]
    overall: list[str] = []
    beside = False
    for finding in option_findings(kind, [option for _, option in rows]):
        message = finding.message[0].upper() + finding.message[1:] + "."
        if not finding.rows:
            overall.append(message)
            continue
        for index in finding.rows:
            form = forms[index]
            field = FINDING_FIELDS.get(finding.field, "")
            form.add_error(field if field in form.fields else None, message)
            beside = True
    if kind == ORDERING:
        places: dict[int, list] = {}
        for form in forms:
            places.setdefault(form.cleaned_data.get("position") or 0, []).append(form)
        for place, same in places.items():
            if len(same) > 1:
                for form in same:
                    form.add_error(
                        "position" if "position" in form.fields else None,
                        f"Place {place} is given to {len(same)} items: give each item of an "
                        "ordering question its own place (1 = first); the places are the key.",
                    )
                beside = True
    if beside:
        overall.append("Some rows need a change: see the message beside each.")
    if overall:
        raise ValidationError(overall)
    _fit_rows(formset, kind, forms)


def _fit_rows(formset, kind: str, forms: list) -> None:
    """Rows get what their hidden columns mean: no key flag or match where the
    kind has none, and a place after the others for a new row."""
    columns = CHOICE_COLUMNS[kind]
    last = max((form.instance.position for form in forms if form.instance.pk), default=0)
    for form in forms:
        instance = form.instance
        if "is_correct" not in columns:
            instance.is_correct = False
        if "match" not in columns:
            instance.match = ""
        if "position" not in columns and not instance.pk:
            last += 1
            instance.position = last


# --- drafts in the change form ---------------------------------------------


def _option_rows(content: dict[str, Any]) -> list[dict[str, Any]]:
    """A content's options as choice-row initial data."""
    spec_kind = content["kind"]
    rows = []
    for place, option in enumerate(_spec(content).options, start=1):
        rows.append(
            {
                "position": place,
                "text": option.text,
                "match": option.match if spec_kind == MATCHING else "",
                "is_correct": option.is_correct,
                "feedback": option.feedback,
            }
        )
    return rows


def _spec(content: dict[str, Any], question: Question | None = None) -> QuestionSpec:
    return revisions.spec_from_content(question or Question(external_id="draft"), content)


def _overlay(question: Question, content: dict[str, Any]) -> None:
    """Show `content` in the change form (in memory only: nothing is saved from it)."""
    objective = Objective.objects.filter(code=content["objective"]).first()
    if objective is not None:
        question.objective = objective
    question.case = Case.objects.filter(external_id=content.get("case") or "").first()
    question.kind = content["kind"]
    question.difficulty = content["difficulty"]
    question.stem = content["stem"]
    question.explanation = content["explanation"]
    question.source = content["source"]


def content_from_forms(form, formsets) -> dict[str, Any]:
    """What the change form says, as a version's content."""
    data = form.cleaned_data
    kind = data["kind"]
    choices = next(fs for fs in formsets if fs.model is Choice)
    return QuestionSpec(
        external_id=form.instance.external_id,
        objective=data["objective"].code,
        kind=kind,
        difficulty=data["difficulty"],
        stem=data["stem"],
        options=tuple(option for _, option in options_from_formset(choices, kind)),
        explanation=data["explanation"],
        source=data["source"],
        case=data["case"].external_id if data.get("case") else "",
    ).content()


# Not part of a draft: they belong to the question, and change on it directly.
DRAFT_FIXED = ("external_id", "status")


def _draft_mode(request: HttpRequest) -> bool:
    return request.GET.get("draft") == "1"


class QuestionEditing:
    """Drafts, preview, publish, versions, duplicate and where used for QuestionAdmin."""

    # -- the change form ---------------------------------------------------

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and _draft_mode(request):
            draft = QuestionDraft.objects.filter(question=obj).select_related("saved_by").first()
            obj.editing_draft = draft
            if draft is not None:
                _overlay(obj, draft.content)
        return obj

    def get_formset_kwargs(self, request: HttpRequest, obj, inline, prefix: str) -> dict:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if inline.model is Choice and _draft_mode(request):
            # The rows are the draft's, not the question's: none of them is saved.
            kwargs["queryset"] = Choice.objects.none()
            draft = getattr(obj, "editing_draft", None)
            if draft is not None and request.method != "POST":
                kwargs["initial"] = _option_rows(draft.content)
        return kwargs

    def _saving_draft(self, request: HttpRequest, change: bool) -> bool:
        return change and ("_save_draft" in request.POST or _draft_mode(request))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if _draft_mode(request):  # a draft holds content; the ID and status are the question's
            fields += [name for name in DRAFT_FIXED if name not in fields]
        return fields

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if _draft_mode(request) and request.method != "POST":
            obj = self.get_object(request, object_id)
            if obj is not None and obj.editing_draft is None:
                messages.info(request, f"“{obj}” has no draft: this is the question as published.")
                return HttpResponseRedirect(request.path)
        if _draft_mode(request):
            extra_context.update(
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
                editing_draft_mode=True,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            if hasattr(obj, "editing_draft"):  # read already by get_object
                context["question_draft"] = obj.editing_draft
            else:
                context["question_draft"] = (
                    QuestionDraft.objects.filter(question=obj).select_related("saved_by").first()
                )
            context["can_save_draft"] = obj.status == Question.Status.PUBLISHED or _draft_mode(
                request
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Question, form, change: bool) -> None:
        if self._saving_draft(request, change):
            return  # the question stays as learners see it; save_related keeps the draft
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        if not self._saving_draft(request, change):
            super().save_related(request, form, formsets, change)
            return
        try:
            revisions.save_draft(
                form.instance.pk,
                content_from_forms(form, formsets),
                user=request.user,
                now=timezone.now(),
                seen_revision=form.cleaned_data["opened_revision"],
            )
        except revisions.EditRefused as refused:  # the form's own check comes first
            raise PermissionDenied(str(refused)) from refused
        ignored = [name for name in DRAFT_FIXED if name in form.changed_data]
        if ignored:
            names = " and ".join(str(form.fields[name].label) for name in ignored)
            messages.warning(
                request,
                f"The draft keeps the content only: the question's {names} did not change. "
                "Change them on the question itself.",
            )

    def construct_change_message(self, request, form, formsets, add=False):
        if self._saving_draft(request, not add):  # its formsets were not saved
            return "Saved a draft (not published)."
        return super().construct_change_message(request, form, formsets, add)

    def response_change(self, request: HttpRequest, obj: Question) -> HttpResponse:
        if self._saving_draft(request, True):
            messages.success(
                request,
                f"Draft of “{obj.external_id}” saved. Learners still see version "
                f"{obj.version} until you publish the draft.",
            )
            return HttpResponseRedirect(reverse("admin:exams_question_draft", args=[obj.pk]))
        return super().response_change(request, obj)

    # -- the pages ---------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        mine = [
            path("<path:object_id>/draft/", wrap(self.draft_view), name="exams_question_draft"),
            path(
                "<path:object_id>/versions/",
                wrap(self.versions_view),
                name="exams_question_versions",
            ),
            path(
                "<path:object_id>/duplicate/",
                wrap(self.duplicate_view),
                name="exams_question_duplicate",
            ),
            path("<path:object_id>/usage/", wrap(self.usage_view), name="exams_question_usage"),
        ]
        return [*mine, *super().get_urls()]

    def _question(self, request: HttpRequest, object_id: str, need: str) -> Question:
        """The question, or 404 for a malformed or unknown id; 403 without `need`."""
        question = self.get_object(request, object_id)
        if question is None:
            raise Http404("No such question.")
        allowed = {
            "view": self.has_view_permission,
            "change": self.has_change_permission,
        }[need](request, question)
        if not allowed:
            raise PermissionDenied
        return question

    def _context(
        self, request: HttpRequest, question: Question, title: str, here: str, **extra
    ) -> dict:
        return {
            "here": here,
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": question,
            "question": question,
            "title": title,
            "has_change_permission": self.has_change_permission(request, question),
            **extra,
        }

    def _seen_revision(self, request: HttpRequest) -> int:
        try:
            return int(request.POST.get("revision", ""))
        except ValueError:
            raise Http404("That form is malformed.") from None

    def draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The draft as learners would see it, with its key and its changes; publish
        or discard it (POST)."""
        question = self._question(
            request, object_id, "change" if request.method == "POST" else "view"
        )
        draft = QuestionDraft.objects.filter(question=question).select_related("saved_by").first()
        change_url = reverse("admin:exams_question_change", args=[question.pk])
        if request.method == "POST":
            seen = self._seen_revision(request)
            now = timezone.now()
            try:
                if "_publish" in request.POST:
                    version = revisions.publish_draft(
                        question.pk, user=request.user, now=now, seen_revision=seen
                    )
                    self.log_change(request, question, f"Published its draft as version {version}.")
                    messages.success(
                        request,
                        f"“{question}” is now version {version}: new attempts and practice "
                        "show it; attempts already started keep the version they showed.",
                    )
                    return HttpResponseRedirect(change_url)
                if "_discard" in request.POST:
                    revisions.discard_draft(
                        question.pk, user=request.user, now=now, seen_revision=seen
                    )
                    self.log_change(request, question, "Discarded its draft.")
                    messages.success(request, f"The draft of “{question}” was discarded.")
                    return HttpResponseRedirect(change_url)
            except revisions.EditRefused as refused:
                messages.error(request, str(refused))
                return HttpResponseRedirect(request.path)
            raise Http404("Unknown step.")
        if draft is None:
            raise Http404("This question has no draft.")
        published = revisions.current_content(question.pk)
        spec = _spec(draft.content, question)
        shown, choices = _preview_objects(question, spec)
        context = self._context(
            request,
            question,
            f"Draft of {question.external_id}: preview",
            "Draft",
            draft=draft,
            preview_question=shown,
            choices=choices,
            changes=content_changes(published, revisions.draft_content(draft.content, question)),
            edit_url=f"{change_url}?draft=1",
        )
        return TemplateResponse(request, "admin/exams/question/draft.html", context)

    def versions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every version with what changed from the one before; restore one (POST)."""
        question = self._question(
            request, object_id, "change" if request.method == "POST" else "view"
        )
        if request.method == "POST":
            seen = self._seen_revision(request)
            try:
                number = int(request.POST.get("restore", ""))
            except ValueError:
                raise Http404("No such version.") from None
            if not QuestionVersion.objects.filter(question=question, version=number).exists():
                raise Http404("No such version.")
            try:
                version = revisions.restore_version(
                    question.pk, number, user=request.user, now=timezone.now(), seen_revision=seen
                )
            except revisions.EditRefused as refused:
                messages.error(request, str(refused))
            else:
                self.log_change(request, question, f"Restored version {number} as {version}.")
                messages.success(
                    request,
                    f"Version {number} of “{question}” is restored as version {version}; "
                    "attempts already started keep the version they showed.",
                )
            return HttpResponseRedirect(request.path)
        versions = list(
            QuestionVersion.objects.filter(question=question)
            .select_related("created_by")
            .order_by("version")
        )
        rows = []
        for index, version in enumerate(versions):
            before = versions[index - 1].content if index else {}
            rows.append(
                {
                    "version": version,
                    "changes": content_changes(before, version.content) if index else [],
                    "current": version.version == question.version,
                }
            )
        rows.reverse()
        context = self._context(
            request, question, f"Versions of {question.external_id}", "Versions", rows=rows
        )
        return TemplateResponse(request, "admin/exams/question/versions.html", context)

    def duplicate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        question = self._question(request, object_id, "view")
        if not self.has_add_permission(request):
            raise PermissionDenied
        new_id = request.POST.get("external_id", "") if request.method == "POST" else ""
        error = ""
        if request.method == "POST":
            try:
                copy = revisions.duplicate_question(
                    question.pk, new_id, user=request.user, now=timezone.now()
                )
            except revisions.EditRefused as refused:
                error = str(refused)
            else:
                self.log_addition(request, copy, f"Duplicated from {question.external_id}.")
                messages.success(
                    request,
                    f"“{copy}” is a new draft copy of “{question}”: edit it, then publish it.",
                )
                return HttpResponseRedirect(reverse("admin:exams_question_change", args=[copy.pk]))
        context = self._context(
            request,
            question,
            f"Duplicate {question.external_id}",
            "Duplicate",
            new_id=new_id or revisions.free_copy_id(question),
            error=error,
        )
        return TemplateResponse(request, "admin/exams/question/duplicate.html", context)

    def usage_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        question = self._question(request, object_id, "view")
        context = self._context(
            request,
            question,
            f"Where {question.external_id} is used",
            "Where used",
            usage=revisions.where_used(question),
        )
        return TemplateResponse(request, "admin/exams/question/usage.html", context)


def _preview_objects(question: Question, spec: QuestionSpec) -> tuple[Question, list[Choice]]:
    """Unsaved objects the preview template shows: the question as `spec` says."""
    shown = Question(
        pk=question.pk,
        external_id=question.external_id,
        objective=Objective.objects.filter(code=spec.objective).first() or question.objective,
        kind=spec.kind,
        difficulty=spec.difficulty,
        status=question.status,
        stem=spec.stem,
        explanation=spec.explanation,
        source=spec.source,
        version=question.version,
    )
    choices = [
        Choice(
            position=place,
            text=option.text,
            match=option.match,
            is_correct=option.is_correct,
            feedback=option.feedback,
        )
        for place, option in enumerate(spec.options, start=1)
    ]
    return shown, choices
