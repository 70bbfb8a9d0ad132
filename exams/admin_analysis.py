"""Item analysis in the admin: columns, a filter and a panel on the question's page,
the times each option was chosen beside it, and an exam's reliability.

The figures are read from `QuestionStatistics` (one join), refreshed by
`analysis.ensure_fresh` when a page finds them older than `analysis.MAX_AGE`.
Each piece is a mixin that adds to what the admin class declares.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from exams import analysis
from exams.models import Choice, Exam, ExamStatistics, Question, QuestionStatistics

NO_DATA = "–"
FEW = "not enough data"


def _statistics(question: Question) -> QuestionStatistics | None:
    try:
        return question.statistics
    except QuestionStatistics.DoesNotExist:
        return None


def _figure(stats: QuestionStatistics | None, value: float | None) -> str:
    if stats is None or not stats.responses:
        return NO_DATA
    if value is None:
        return FEW if stats.responses < analysis.MIN_RESPONSES else "undefined"
    return f"{value:.2f}"


class HasWarningFilter(admin.SimpleListFilter):
    title = "item analysis"
    parameter_name = "analysis"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            ("warning", "Has a warning"),
            ("fine", "No warning"),
            ("few", "Not enough data"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        enough = Q(statistics__responses__gte=analysis.MIN_RESPONSES)
        if self.value() == "warning":
            return queryset.filter(statistics__has_warning=True)
        if self.value() == "fine":
            return queryset.filter(enough, statistics__has_warning=False)
        if self.value() == "few":
            return queryset.exclude(enough)
        return queryset


class QuestionAnalysisMixin:
    """For QuestionAdmin: sortable figures in the changelist, the "has a warning"
    filter, and the "How it performs" panel on the change page."""

    analysis_columns = ["responses", "facility", "discrimination", "warnings"]

    def get_list_select_related(self, request: HttpRequest):
        return [*super().get_list_select_related(request), "statistics"]

    def get_list_display(self, request: HttpRequest):
        return [*super().get_list_display(request), *self.analysis_columns]

    def get_list_filter(self, request: HttpRequest):
        return [*super().get_list_filter(request), HasWarningFilter]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*super().get_readonly_fields(request, obj), "item_analysis"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append(("How it performs", {"fields": ["item_analysis"]}))
        return fieldsets

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        analysis.ensure_fresh(now=timezone.now())
        exams = [
            {"title": stats.exam.title, "reliability": describe_reliability(_reliability(stats))}
            for stats in ExamStatistics.objects.select_related("exam").order_by("exam__title")
        ]
        return super().changelist_view(request, {**(extra_context or {}), "exam_stats": exams})

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        analysis.ensure_fresh(now=timezone.now())
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Responses", ordering="statistics__responses")
    def responses(self, question: Question) -> int:
        stats = _statistics(question)
        return stats.responses if stats else 0

    @admin.display(description="Facility", ordering="statistics__facility")
    def facility(self, question: Question) -> str:
        stats = _statistics(question)
        return _figure(stats, stats and stats.facility)

    @admin.display(description="Discrimination", ordering="statistics__discrimination")
    def discrimination(self, question: Question) -> str:
        stats = _statistics(question)
        return _figure(stats, stats and stats.discrimination)

    @admin.display(description="Warnings", ordering="statistics__has_warning")
    def warnings(self, question: Question) -> str:
        stats = _statistics(question)
        if stats is None:
            return ""
        return ", ".join(sorted({analysis.WARNING_LABELS[w["code"]] for w in stats.warnings}))

    @admin.display(description="Item analysis")
    def item_analysis(self, question: Question) -> str:
        stats = _statistics(question)
        options = []
        if stats is not None and question.kind in analysis.CHOICE_KINDS:
            for index, choice in enumerate(question.choices.all()):
                figures = stats.options.get(str(choice.pk), {})
                options.append(
                    {
                        "label": analysis.option_label(index),
                        "text": choice.text,
                        "correct": choice.is_correct,
                        "chosen": figures.get("chosen", 0),
                        "share": figures.get("share"),
                    }
                )
        return render_to_string(
            "admin/exams/question/item_analysis.html",
            {
                "stats": stats,
                "facility": _figure(stats, stats and stats.facility),
                "discrimination": _figure(stats, stats and stats.discrimination),
                "practice_facility": _practice_figure(stats),
                "options": options,
                "dead_below": analysis.DEAD_DISTRACTOR_BELOW,
                "minimum": analysis.MIN_RESPONSES,
            },
        )


def _practice_figure(stats: QuestionStatistics | None) -> str:
    if stats is None or not stats.practice_responses:
        return NO_DATA
    if stats.practice_facility is None:
        return FEW
    return f"{stats.practice_facility:.2f}"


class ChoiceAnalysisMixin:
    """For the choices inline: how often each option was chosen, beside it."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("question__statistics")

    def get_fields(self, request: HttpRequest, obj=None):
        return [*super().get_fields(request, obj), "times_chosen"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*super().get_readonly_fields(request, obj), "times_chosen"]

    @admin.display(description="Chosen in mock exams")
    def times_chosen(self, choice: Choice) -> str:
        if not choice.pk or choice.question.kind not in analysis.CHOICE_KINDS:
            return NO_DATA
        stats = _statistics(choice.question)
        figures = stats.options.get(str(choice.pk)) if stats else None
        if not figures:
            return NO_DATA
        share = figures["share"]
        if share is None:
            return f"{figures['chosen']} ({FEW})"
        text = f"{figures['chosen']} ({share * 100:.0f} %)"
        if not choice.is_correct and share < analysis.DEAD_DISTRACTOR_BELOW:
            text += " · dead distractor"
        return text


def _reliability(stats: ExamStatistics) -> analysis.Reliability:
    return analysis.Reliability(
        attempts=stats.attempts, items=stats.items, alpha=stats.alpha, sem=stats.sem
    )


def describe_reliability(figures: analysis.Reliability) -> str:
    if figures.alpha is None:
        return (
            f"Not enough data: {figures.attempts} finalized attempt(s) with items; "
            f"alpha needs {analysis.MIN_RESPONSES}."
        )
    return (
        f"Cronbach's alpha {figures.alpha:.2f} over {figures.attempts} finalized attempts "
        f"({figures.items:.0f} scored items each on average); standard error of "
        f"measurement {figures.sem:.1f} items, about {figures.sem_scaled:.0f} points on "
        "the 100–1000 scale."
    )


class ExamReliabilityMixin:
    """For ExamAdmin: Cronbach's alpha and the SEM over the exam's attempts."""

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*super().get_readonly_fields(request, obj), "reliability"]

    @admin.display(description="Reliability")
    def reliability(self, exam: Exam) -> str:
        if not exam.pk:
            return NO_DATA
        return describe_reliability(analysis.exam_reliability(exam=exam))
