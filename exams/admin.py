"""The instructors' workshop: the question bank in the Django admin.

Every rule the bank loader enforces is enforced here too (same function, same
words), and each save that changes what learners see writes a new version.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router
from django.db.models import QuerySet
from django.forms import (
    CharField,
    Form,
    HiddenInput,
    IntegerField,
    ModelChoiceField,
    ModelForm,
    Textarea,
)
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst

from accounts.models import Cohort
from exams import accommodations, blueprints
from exams.admin_analysis import ChoiceAnalysisMixin, ExamReliabilityMixin, QuestionAnalysisMixin
from exams.admin_editing import KindFittedChoices, QuestionEditing, check_choice_rows
from exams.bank.export import ExportError, export_questions
from exams.bank.history import set_status, stale_edit_message
from exams.bank.lint import Finding, findings_for_question, item_from_question
from exams.bank.loader import record_version
from exams.bank.rules import blank_markdown_problem
from exams.bank.schema import dump_bank
from exams.models import (
    Accommodation,
    Attempt,
    AttemptItem,
    Case,
    Choice,
    Domain,
    Exam,
    ExamArea,
    ExamObjective,
    Objective,
    ObjectiveResult,
    PracticeAnswer,
    PracticeSession,
    Question,
    QuestionVersion,
    ReviewCard,
    TaskStatement,
)

# Rows about learners. Instructors may delete bank content, but a delete page
# never names a learner or shows an answer: these are counted, not listed.
LEARNER_RECORDS = (
    Attempt,
    AttemptItem,
    ObjectiveResult,
    PracticeSession,
    PracticeAnswer,
    ReviewCard,
)


class BankAdmin(admin.ModelAdmin):
    """An admin for bank content, whose delete pages keep learners out of sight."""

    def get_deleted_objects(self, objs, request: HttpRequest):
        # Django's admin.utils.get_deleted_objects, with learners' rows anonymised.
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        perms_needed: set[str] = set()

        def describe(obj) -> str:
            opts = obj._meta
            if isinstance(obj, LEARNER_RECORDS):
                return f"{capfirst(opts.verbose_name)} of a learner"
            if self.admin_site.is_registered(type(obj)):
                model_admin = self.admin_site.get_model_admin(type(obj))
                if not model_admin.has_delete_permission(request, obj):
                    perms_needed.add(opts.verbose_name)
            return f"{capfirst(opts.verbose_name)}: {obj}"

        protected = sorted({describe(obj) for obj in collector.protected})
        counts = {
            model._meta.verbose_name_plural: len(found)
            for model, found in collector.model_objs.items()
        }
        return collector.nested(describe), counts, perms_needed, protected


def refuse_blank_markdown(form: ModelForm, names: tuple[str, ...]) -> None:
    """Attach the bank rule's error to each Markdown field that would show nothing."""
    for name in names:
        if name not in form.fields:  # a column the question's kind does not use
            continue
        problem = blank_markdown_problem(form.fields[name].label, form.cleaned_data.get(name) or "")
        if problem:
            form.add_error(name, problem)


class ChoiceForm(ModelForm):
    def clean(self) -> dict:
        data = super().clean()
        refuse_blank_markdown(self, ("text", "match", "feedback"))
        return data


class QuestionForm(ModelForm):
    # The question's revision when the form was opened; a save over a newer one
    # would silently discard somebody else's change.
    opened_revision = IntegerField(widget=HiddenInput, min_value=1)

    class Meta:
        widgets = {"source": Textarea(attrs={"rows": 2, "cols": 80})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opened_revision"].initial = self.instance.revision

    def clean(self) -> dict:
        data = super().clean()
        refuse_blank_markdown(self, ("stem", "explanation"))
        case, objective = data.get("case"), data.get("objective")
        if case and objective:
            others = (
                case.questions.exclude(pk=self.instance.pk)
                .exclude(objective__task_statement=objective.task_statement_id)
                .values_list("objective__task_statement__code", flat=True)
                .first()
            )
            if others:
                self.add_error(
                    "case",
                    f"The questions of case “{case.external_id}” are on task statement "
                    f"{others}; a case stays within one task statement.",
                )
        if self.instance.pk and "opened_revision" in data:
            # The admin runs the whole save in one transaction: the lock holds
            # until this save commits, so a concurrent one waits and then fails here.
            # No join here: after waiting for a lock, PostgreSQL re-reads the locked
            # row but not the joined ones, so `updated_by` is read afterwards.
            current = Question.objects.select_for_update().get(pk=self.instance.pk)
            problem = stale_edit_message(current, seen_revision=data["opened_revision"])
            if problem:
                raise ValidationError(problem)
            self.instance.revision = current.revision
        return data


class ChoiceInlineFormSet(BaseInlineFormSet):
    """Checks the question's options as a whole, with the bank loader's rules."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        check_choice_rows(self)


class ChoiceInline(KindFittedChoices, ChoiceAnalysisMixin, admin.TabularInline):
    model = Choice
    form = ChoiceForm
    formset = ChoiceInlineFormSet
    fields = ["position", "text", "match", "is_correct", "feedback"]
    extra = 0
    formfield_overrides = {
        models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 40})},
    }


class QuestionVersionInline(admin.TabularInline):
    model = QuestionVersion
    fields = ["version", "created_at", "created_by", "note", "content_summary"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-version"]
    verbose_name_plural = "Version history (attempts keep the version they showed)"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="What it said")
    def content_summary(self, version: QuestionVersion) -> str:
        return format_html(
            "<details><summary>{}</summary><pre class='qs-version'>{}</pre></details>",
            Truncator(version.content.get("stem", "")).chars(80),
            dump_bank(version.content),
        )


class TaskStatementFilter(admin.SimpleListFilter):
    title = "task statement"
    parameter_name = "task"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(ts.code, str(ts)) for ts in TaskStatement.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(objective__task_statement__code=self.value())
        return queryset


class GuideVersionFilter(admin.SimpleListFilter):
    """Questions (or task statements) written for an exam guide older than the
    newest one the bank knows."""

    title = "exam guide"
    parameter_name = "guide"
    field = "objective__task_statement__guide_version"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("older", "Written for an older guide"), ("current", "For the newest guide")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in ("older", "current"):
            return queryset
        older = {self.field + "__in": TaskStatement.objects.older_guide_versions()}
        if self.value() == "older":
            return queryset.filter(**older)
        return queryset.exclude(**older).exclude(**{self.field: ""})


class TaskGuideVersionFilter(GuideVersionFilter):
    field = "guide_version"


def _set_status(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, status: str, verb: str
) -> None:
    changed = set_status(questions=queryset, status=status, user=request.user, now=timezone.now())
    label = Question.Status(status).label
    for question, old_status in changed:
        model_admin.log_change(
            request,
            question,
            f"Status: {Question.Status(old_status).label} → {label} (bulk action).",
        )
    unchanged = queryset.count() - len(changed)
    message = f"{len(changed)} question(s) {verb}."
    if unchanged:
        message += f" {unchanged} already were."
    messages.success(request, message)


def _lint_findings(pk: int) -> list[Finding]:
    """The linter on the question as stored (a form with errors holds unsaved edits)
    and on the other questions of its objective."""
    questions = (
        Question.objects.filter(objective__questions=pk)
        .select_related("objective")
        .prefetch_related("choices")
    )
    items = {question.pk: item_from_question(question) for question in questions}
    if pk not in items:  # deleted since the page was requested
        return []
    return findings_for_question(items.pop(pk), items.values())


@admin.register(Question)
class QuestionAdmin(QuestionEditing, QuestionAnalysisMixin, BankAdmin):
    form = QuestionForm
    list_display = [
        "external_id",
        "short_stem",
        "objective_code",
        "kind",
        "difficulty",
        "status",
        "version",
        "updated_at",
    ]
    list_display_links = ["external_id", "short_stem"]
    list_filter = [
        TaskStatementFilter,
        "objective",
        "kind",
        "status",
        "pretest",
        "difficulty",
        GuideVersionFilter,
    ]
    list_select_related = ["objective"]
    search_fields = [
        "external_id",
        "stem",
        "explanation",
        "source",
        "choices__text",
        "objective__code",
    ]
    # Cases are few: a plain select, which also names itself when empty.
    autocomplete_fields = ["objective"]

    readonly_fields = ["version", "created_at", "last_change", "preview_link"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "external_id",
                    "objective",
                    "kind",
                    "difficulty",
                    "status",
                    "pretest",
                    "opened_revision",
                ]
            },
        ),
        ("Question", {"fields": ["case", "stem", "explanation", "source"]}),
        (
            "About",
            {"fields": ["version", "preview_link", "created_at", "last_change"]},
        ),
    ]
    inlines = [ChoiceInline, QuestionVersionInline]
    actions = ["publish", "retire", "move_to_draft", "export_selected"]
    list_per_page = 50
    save_on_top = True

    class Media:
        css = {"all": ["css/admin.css"]}

    @admin.display(description="Stem")
    def short_stem(self, question: Question) -> str:
        return Truncator(question.stem).chars(90)

    @admin.display(description="Objective", ordering="objective__code")
    def objective_code(self, question: Question) -> str:
        return question.objective.code

    @admin.display(description="Last changed")
    def last_change(self, question: Question) -> str:
        if not question.pk:
            return "–"
        who = question.updated_by.get_username() if question.updated_by else "a bank file load"
        return f"{question.updated_at:%Y-%m-%d %H:%M} UTC by {who} (revision {question.revision})"

    @admin.display(description="Preview")
    def preview_link(self, question: Question) -> str:
        if not question.pk:
            return "Save the question to preview it."
        url = reverse("admin:exams_question_preview", args=[question.pk])
        return format_html('<a href="{}">Preview as a learner sees it, with the key</a>', url)

    def get_deleted_objects(self, objs, request: HttpRequest):
        shown = Question.objects.filter(pk__in=[obj.pk for obj in objs]).shown()
        if shown:
            # The templates say why and point to retiring instead.
            return [], {}, set(), [f"“{question.external_id}”" for question in shown]
        return super().get_deleted_objects(objs, request)

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="exams_question_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        question = get_object_or_404(
            Question.objects.select_related("objective__task_statement"), pk=object_id
        )
        if not self.has_view_permission(request, question):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview: {question.external_id} (v{question.version})",
            "question": question,
            "choices": list(question.choices.all()),
            "original": question,
        }
        return TemplateResponse(request, "admin/exams/question/preview.html", context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Question | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk:
            context["lint_findings"] = _lint_findings(obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Question, form, change: bool) -> None:
        if change:
            obj.revision += 1
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if record_version(form.instance, user=request.user, note="edited in the admin"):
            form.instance.refresh_from_db(fields=["version"])
            if change:
                messages.info(
                    request,
                    f"“{form.instance}” is now version {form.instance.version}; "
                    "attempts already taken keep the version they showed.",
                )

    @admin.action(description="Publish selected questions", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        _set_status(self, request, queryset, Question.Status.PUBLISHED, "published")

    @admin.action(description="Retire selected questions", permissions=["change"])
    def retire(self, request: HttpRequest, queryset: QuerySet) -> None:
        _set_status(self, request, queryset, Question.Status.RETIRED, "retired")

    @admin.action(description="Move selected questions to draft", permissions=["change"])
    def move_to_draft(self, request: HttpRequest, queryset: QuerySet) -> None:
        _set_status(self, request, queryset, Question.Status.DRAFT, "moved to draft")

    @admin.action(description="Export selected questions as a bank file", permissions=["view"])
    def export_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        try:
            text = export_questions(queryset)
        except ExportError as error:
            messages.error(request, str(error))
            return None
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="questions.yaml"'
        return response


class CaseForm(ModelForm):
    def clean(self) -> dict:
        data = super().clean()
        refuse_blank_markdown(self, ("scenario",))
        return data


class CaseQuestionInline(admin.TabularInline):
    model = Question
    fields = ["external_id", "objective", "kind", "status", "version"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Questions of this case (edit each on its own page)"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(BankAdmin):
    form = CaseForm
    list_display = ["external_id", "title", "question_count", "updated_at"]
    search_fields = ["external_id", "title", "scenario"]
    readonly_fields = ["created_at", "updated_at"]
    fields = ["external_id", "title", "scenario", "created_at", "updated_at"]
    inlines = [CaseQuestionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(question_total=models.Count("questions"))

    @admin.display(description="Questions", ordering="question_total")
    def question_count(self, case: Case) -> int:
        return case.question_total

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Learners read the scenario with each question: their versions record it.
        versioned = [
            question
            for question in form.instance.questions.all()
            if record_version(question, user=request.user, note="case edited in the admin")
        ]
        if versioned:
            messages.info(
                request,
                f"{len(versioned)} question(s) of this case have a new version; attempts "
                "already taken keep the version they showed.",
            )


@admin.register(Domain)
class DomainAdmin(BankAdmin):
    list_display = ["code", "title"]
    search_fields = ["code", "title"]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    fields = ["position", "code", "title", "summary"]
    extra = 0


@admin.register(TaskStatement)
class TaskStatementAdmin(BankAdmin):
    list_display = ["code", "title", "domain", "guide_version"]
    list_filter = ["domain", TaskGuideVersionFilter]
    list_select_related = ["domain"]
    search_fields = ["code", "title"]
    inlines = [ObjectiveInline]


@admin.register(Objective)
class ObjectiveAdmin(BankAdmin):
    list_display = ["code", "title", "task_statement"]
    list_filter = ["task_statement"]
    list_select_related = ["task_statement"]
    search_fields = ["code", "title", "summary"]


class ExamForm(ModelForm):
    class Meta:
        widgets = {"description": Textarea(attrs={"rows": 3, "cols": 80})}
        error_messages = {
            "pass_mark": {
                "min_value": "The pass mark must be more than 100: everyone scores at least 100.",
                "max_value": "The pass mark can be at most 1000, the highest scaled score.",
            }
        }

    def clean(self) -> dict:
        data = super().clean()
        count, unscored = data.get("question_count"), data.get("unscored_count")
        if count is not None and unscored is not None and unscored >= count:
            self.add_error(
                "unscored_count",
                f"Unscored items must be fewer than the questions ({count}): "
                "at least one item has to count.",
            )
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "The exam must close after it opens.")
        return data


class BlueprintFormSet(BaseInlineFormSet):
    """The weight rows of an exam. The admin hands every weight formset of one
    request the list of all of them (`peers`), so that the last can check the
    blueprint whole: objective weights and area weights together."""

    def __init__(self, *args, peers: list | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.peers = peers if peers is not None else [self]
        self.peers.append(self)

    def rows(self) -> list[tuple]:
        return [
            (form.cleaned_data, form.cleaned_data["weight"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


class ExamObjectiveInline(admin.TabularInline):
    model = ExamObjective
    formset = BlueprintFormSet
    autocomplete_fields = ["objective"]
    verbose_name = "objective weight"
    extra = 0


class ExamAreaForm(ModelForm):
    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("domain")) == bool(data.get("task_statement")):
            raise ValidationError("Choose either a task statement or a domain.")
        return data


class ExamAreaFormSet(BlueprintFormSet):
    def clean(self) -> None:
        super().clean()
        weights = [fs for fs in self.peers if fs is not self and fs.model is ExamObjective]
        if any(self.errors) or not all(fs.is_valid() for fs in weights):
            return  # each row's own errors first
        objective_rows = [(d["objective"], w) for fs in weights for d, w in fs.rows()]
        area_rows = [(d.get("domain") or d["task_statement"], w) for d, w in self.rows()]
        exam = self.instance  # holds the form's new values
        found = blueprints.plan(
            blueprints.build(objective_rows, area_rows),
            question_count=exam.question_count or 0,
            unscored_count=exam.unscored_count or 0,
            is_published=exam.is_published,
        )
        if found.errors:
            raise ValidationError(found.errors)


class ExamAreaInline(admin.TabularInline):
    model = ExamArea
    form = ExamAreaForm
    formset = ExamAreaFormSet
    fields = ["task_statement", "domain", "weight"]
    extra = 0


@admin.register(Exam)
class ExamAdmin(ExamReliabilityMixin, admin.ModelAdmin):
    """Blueprints, edited by instructors. An attempt copies its terms when it
    starts, so no edit here changes an attempt already taken."""

    form = ExamForm
    list_display = [
        "title",
        "question_count",
        "unscored_count",
        "time_limit_minutes",
        "pass_mark",
        "is_published",
        "opens_at",
        "closes_at",
    ]
    list_filter = ["is_published"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["cohorts"]
    readonly_fields = ["blueprint_plan"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "description", "is_published", "cohorts"]}),
        (
            "Form",
            {
                "fields": [
                    "question_count",
                    "unscored_count",
                    "time_limit_minutes",
                    "pass_mark",
                    "shuffle_questions",
                    "shuffle_choices",
                ]
            },
        ),
        ("Availability", {"fields": ["opens_at", "closes_at", "max_attempts"]}),
        (
            "Blueprint",
            {
                "fields": ["blueprint_plan"],
                "description": "Weights go to objectives, or to whole task statements or "
                "domains (below); an area's share is spread over its objectives. The table "
                "shows the blueprint as saved.",
            },
        ),
        ("Item analysis", {"fields": ["reliability"]}),
    ]
    inlines = [ExamObjectiveInline, ExamAreaInline]
    save_on_top = True

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_formset_kwargs(self, request: HttpRequest, obj, inline, prefix: str) -> dict:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        kwargs["peers"] = request.__dict__.setdefault("_blueprint_formsets", [])
        return kwargs

    @admin.display(description="Per objective")
    def blueprint_plan(self, exam: Exam) -> str:
        if not exam.pk:
            return "Save the exam to see what its blueprint draws."
        found = blueprints.plan(
            blueprints.blueprint_of(exam),
            question_count=exam.question_count,
            unscored_count=exam.unscored_count,
            is_published=exam.is_published,
        )
        return render_to_string("admin/exams/exam/plan.html", {"plan": found})

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        exam = form.instance
        found = blueprints.plan(
            blueprints.blueprint_of(exam),
            question_count=exam.question_count,
            unscored_count=exam.unscored_count,
            is_published=exam.is_published,
        )
        for warning in found.warnings:
            messages.warning(request, warning)
        if change and exam.attempts.exists():
            messages.info(
                request, "Attempts already taken keep the terms and questions they started with."
            )


class AccommodationForm(ModelForm):
    """The learner is named by username: the form lists no learners."""

    username = CharField(max_length=150, help_text="The learner's username.")

    class Meta:
        model = Accommodation
        fields = ["username", "exam", "extra_time_percent"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["username"].initial = self.instance.user.get_username()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise ValidationError(f"No account is called “{username}”.")
        self.instance.user = user
        return user.get_username()

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.user_id and "exam" in data:
            others = Accommodation.objects.filter(
                user_id=self.instance.user_id, exam=data["exam"]
            ).exclude(pk=self.instance.pk)
            if others.exists():
                where = data["exam"] or "every exam"
                raise ValidationError(
                    f"{self.instance.user} already has an accommodation for {where}: "
                    "change that one."
                )
        return data


class CohortGrantForm(Form):
    cohort = ModelChoiceField(queryset=Cohort.objects.order_by("name"))
    exam = ModelChoiceField(
        queryset=Exam.objects.order_by("title"), required=False, empty_label="Every exam"
    )
    extra_time_percent = IntegerField(
        min_value=1, max_value=400, help_text="Added to the time limit, e.g. 25, 50 or 100."
    )


@admin.register(Accommodation)
class AccommodationAdmin(admin.ModelAdmin):
    form = AccommodationForm
    list_display = ["user", "exam_or_every", "extra_time_percent", "updated_at"]
    list_filter = ["exam"]
    list_select_related = ["user", "exam"]
    search_fields = ["user__username"]
    change_list_template = "admin/exams/accommodation/change_list.html"

    @admin.display(description="Exam", ordering="exam__title")
    def exam_or_every(self, accommodation: Accommodation) -> str:
        return str(accommodation.exam) if accommodation.exam_id else "Every exam"

    def get_urls(self):
        grant = path(
            "cohort/",
            self.admin_site.admin_view(self.cohort_view),
            name="exams_accommodation_cohort",
        )
        return [grant, *super().get_urls()]

    def cohort_view(self, request: HttpRequest) -> HttpResponse:
        """Give every learner of a cohort the same extra time."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = CohortGrantForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            count = accommodations.grant_to_cohort(
                cohort=form.cleaned_data["cohort"],
                exam=form.cleaned_data["exam"],
                extra_time_percent=form.cleaned_data["extra_time_percent"],
            )
            messages.success(
                request,
                f"{count} learner{'s' if count != 1 else ''} of "
                f"{form.cleaned_data['cohort']} now have "
                f"{form.cleaned_data['extra_time_percent']} % extra time.",
            )
            return HttpResponseRedirect(reverse("admin:exams_accommodation_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Extra time for a whole cohort",
            "form": form,
        }
        return TemplateResponse(request, "admin/exams/accommodation/cohort.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Attempts are written by the exam engine only; the admin may look. Not
    delete either: a learner's history would vanish, and the rollups the
    reports read (exams/rollups.py) would still count it. Deleting the user
    removes everything of theirs at once."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ObjectiveResultInline(admin.TabularInline):
    model = ObjectiveResult
    fields = ["objective", "correct", "total"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["user", "exam", "status", "started_at", "scaled_score", "passed"]
    list_filter = ["status", "exam", "passed"]
    list_select_related = ["user", "exam"]
    search_fields = ["user__username", "exam__title"]
    date_hierarchy = "started_at"
    inlines = [ObjectiveResultInline]


@admin.register(AttemptItem)
class AttemptItemAdmin(ReadOnlyAdmin):
    list_display = ["attempt", "position", "question", "question_version", "scored", "is_correct"]
    list_filter = ["scored"]
    list_select_related = ["attempt__user", "attempt__exam", "question"]
    search_fields = ["question__external_id", "attempt__user__username"]
