"""The question bank (Domain → TaskStatement → Objective → Question → Choice),
exam blueprints, and the attempts learners make at them."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import dateformat

from exams.bank.rules import (
    GUIDE_VERSION_MAX_LENGTH,
    SOURCE_MAX_LENGTH,
    guide_version_key,
    guide_version_problem,
)

# A pass mark of 100 (the lowest scaled score) would pass everyone.
PASS_MARK_MIN = 101


class Domain(models.Model):
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"Domain {self.code}: {self.title}"


class TaskStatementQuerySet(models.QuerySet):
    def older_guide_versions(self) -> list[str]:
        """The exam-guide versions older than the newest any task statement was
        written from (one query)."""
        versions = set(self.exclude(guide_version="").values_list("guide_version", flat=True))
        if not versions:
            return []
        newest = max(versions, key=guide_version_key)
        return sorted(v for v in versions if guide_version_key(v) < guide_version_key(newest))


class TaskStatement(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="task_statements")
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    guide_version = models.CharField(
        "exam-guide version",
        max_length=GUIDE_VERSION_MAX_LENGTH,
        blank=True,
        help_text='The version of the exam guide this task statement was written from, e.g. "1.4".',
    )

    objects = TaskStatementQuerySet.as_manager()

    class Meta:
        ordering = ["domain__code", "position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        problem = guide_version_problem(self.guide_version) if self.guide_version else None
        if problem:
            raise ValidationError({"guide_version": problem[0].upper() + problem[1:] + "."})


class Objective(models.Model):
    task_statement = models.ForeignKey(
        TaskStatement, on_delete=models.CASCADE, related_name="objectives"
    )
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["task_statement__code", "position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Case(models.Model):
    """A case study: one scenario shared by two to four independently scored questions."""

    external_id = models.SlugField(
        "ID",
        max_length=100,
        unique=True,
        help_text="Stable id used by bank files; letters, digits, hyphens.",
    )
    title = models.CharField(max_length=200)
    scenario = models.TextField(help_text="Markdown, shown above each question of the case.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The hash of the title and scenario a bank file last loaded (empty: never).
    loaded_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.title}"


class QuestionQuerySet(models.QuerySet):
    def published(self) -> QuestionQuerySet:
        return self.filter(status=Question.Status.PUBLISHED)

    def pretest(self) -> QuestionQuerySet:
        """Drafts that exams may draw as unscored items."""
        return self.filter(status=Question.Status.DRAFT, pretest=True)

    def shown(self) -> QuestionQuerySet:
        """Questions a learner has seen: in an attempt, a practice answer, or as the
        question of a practice session. They are retired, never deleted."""
        return self.filter(
            Exists(AttemptItem.objects.filter(question=OuterRef("pk")))
            | Exists(PracticeAnswer.objects.filter(question=OuterRef("pk")))
            | Exists(PracticeSession.objects.filter(current_question=OuterRef("pk")))
        )


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Multiple choice (one answer)"
        MULTIPLE = "multiple", "Multiple response"
        ORDERING = "ordering", "Ordering"
        MATCHING = "matching", "Matching"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    class Difficulty(models.IntegerChoices):
        EASY = 1, "Easy"
        MEDIUM = 2, "Medium"
        HARD = 3, "Hard"

    external_id = models.SlugField(
        "ID",
        max_length=100,
        unique=True,
        help_text="Stable id used by bank files; letters, digits, hyphens.",
    )
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="questions")
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questions",
        help_text="The case study whose scenario is shown above this question, if any.",
    )
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.SINGLE,
        help_text="Single/multiple: tick the correct choices. Ordering: give each item its "
        "Place in the correct order. Matching: give each Prompt its Match. After changing "
        "the kind, save: the choices then show the new kind's columns.",
    )
    difficulty = models.PositiveSmallIntegerField(
        choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    pretest = models.BooleanField(
        default=False,
        help_text="A draft marked pretest is drawn into exams only as an unscored item, "
        "for item analysis before it is published.",
    )
    stem = models.TextField(help_text="Markdown. For multiple response, say how many to pick.")
    explanation = models.TextField(help_text="Markdown, shown after the question is answered.")
    source = models.CharField(
        max_length=SOURCE_MAX_LENGTH,
        help_text="For instructors, never shown to learners: where the fact lives, e.g. "
        '"seed 2.1" and the documentation pages it rests on (URLs).',
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # Changes on every save of the question (its content, its status, a bulk
    # action, a bank load): the admin form carries it and refuses a stale save.
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when a bank file load or a script made the last change.",
    )

    # What a bank file last set, so that a load can tell an admin edit from an old
    # file: the hash of the content it loaded, and the status it set (empty: never).
    loaded_hash = models.CharField(max_length=64, blank=True, editable=False)
    loaded_status = models.CharField(max_length=10, blank=True, editable=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["objective__code", "external_id"]
        indexes = [models.Index(fields=["objective", "status"])]

    def __str__(self) -> str:
        return self.external_id


class Choice(models.Model):
    """One option of a question.

    single/multiple: `text`, `is_correct`. ordering: `text`, and `position` is the
    item's place in the correct order. matching: `text` is the prompt, `match` its
    partner; a choice with a `match` and no `text` is an extra match, offered
    with the others and the partner of no prompt. Every kind has per-option
    `feedback`.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    # Empty only for a matching question's extra match (a match with no prompt).
    text = models.TextField(blank=True)
    match = models.TextField(blank=True, help_text="Matching questions only: the partner.")
    is_correct = models.BooleanField(default=False)
    feedback = models.TextField(
        blank=True, help_text="Markdown: why this option is right or wrong."
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class QuestionVersion(models.Model):
    """What a question said at each version: written whenever its content changes."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["question", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "version"], name="questionversion_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question} v{self.version}"


class QuestionDraft(models.Model):
    """An edit of a question saved for preview, not yet live (exams/revisions.py).

    Learners, new attempts and practice keep reading the question itself until
    the draft is published; `content` has the shape of a version's content.
    """

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="draft")
    content = models.JSONField()
    saved_at = models.DateTimeField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"draft of {self.question}"


class ExamQuerySet(models.QuerySet):
    def open_to_cohort(self, cohort) -> ExamQuerySet:
        """Published exams a cohort's members can take: open to all, or assigned to it."""
        return (
            self.filter(is_published=True)
            .filter(Q(cohorts__isnull=True) | Q(cohorts=cohort))
            .distinct()
        )

    def visible_to(self, user) -> ExamQuerySet:
        """Published exams open to everyone, or to a cohort the user belongs to."""
        open_to_all = Q(cohorts__isnull=True)
        if not user.is_authenticated:
            return self.filter(is_published=True).filter(open_to_all).distinct()
        return (
            self.filter(is_published=True)
            .filter(open_to_all | Q(cohorts__memberships__user=user))
            .distinct()
        )


class Exam(models.Model):
    """A blueprint: how many questions, drawn from which objectives, for how long."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    question_count = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)],
        help_text="Every item of the exam, unscored ones included.",
    )
    unscored_count = models.PositiveSmallIntegerField(
        default=0,
        help_text="Of the questions, how many are unscored (pretest) items: drawn and shown "
        "like the others, never counted. The real AIF-C01 has 15 of 65.",
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty for an untimed exam.",
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=700,
        validators=[MinValueValidator(PASS_MARK_MIN), MaxValueValidator(1000)],
        help_text="On the 100–1000 scale: more than 100, at most 1000.",
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_choices = models.BooleanField(default=True)
    is_published = models.BooleanField(default=False)
    is_readiness = models.BooleanField(
        "readiness exam",
        default=False,
        help_text='Team leads judge "ready to book" on readiness exams. When no exam open '
        "to a cohort is marked, the one with the most questions (the full-length "
        "simulation) is its readiness exam.",
    )
    cohorts = models.ManyToManyField(
        "accounts.Cohort", blank=True, help_text="Empty: open to every learner."
    )
    objectives = models.ManyToManyField(Objective, through="ExamObjective")
    opens_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open now. Attempts start from this time on."
    )
    closes_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Empty: never closes. No attempt starts from this time on; one started "
        "before keeps its full time.",
    )
    max_attempts = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Attempts each learner may start; empty: no limit.",
    )

    objects = ExamQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def time_limit(self) -> timedelta | None:
        if self.time_limit_minutes is None:
            return None
        return timedelta(minutes=self.time_limit_minutes)

    @property
    def scored_count(self) -> int:
        return max(0, self.question_count - self.unscored_count)

    def refusal(self, *, now: datetime, attempts_started: int) -> str | None:
        """Why a learner who has started `attempts_started` attempts may not start
        another at `now` (None: they may). Resuming one in progress is never refused."""
        if self.opens_at is not None and now < self.opens_at:
            return f"This exam opens on {_moment(self.opens_at)}."
        if self.closes_at is not None and now >= self.closes_at:
            return f"This exam closed on {_moment(self.closes_at)}."
        if self.max_attempts is not None and attempts_started >= self.max_attempts:
            if self.max_attempts == 1:
                return "You have used the one attempt this exam allows."
            return f"You have used all {self.max_attempts} attempts this exam allows."
        return None


class ExamObjective(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="exam_objectives")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT)
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exam", "objective"], name="examobjective_unique")
        ]

    def __str__(self) -> str:
        return f"{self.exam}: {self.objective.code} x{self.weight}"


class ExamArea(models.Model):
    """A weight for a whole task statement or domain: the draw spreads its share
    evenly over the area's objectives (what one cannot supply, the others of
    the area do)."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="exam_areas")
    domain = models.ForeignKey(Domain, null=True, blank=True, on_delete=models.PROTECT)
    task_statement = models.ForeignKey(
        TaskStatement, null=True, blank=True, on_delete=models.PROTECT
    )
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = "task statement or domain weight"
        constraints = [
            models.CheckConstraint(
                condition=Q(domain__isnull=True, task_statement__isnull=False)
                | Q(domain__isnull=False, task_statement__isnull=True),
                name="examarea_domain_xor_task",
            ),
            models.UniqueConstraint(fields=["exam", "domain"], name="examarea_unique_domain"),
            models.UniqueConstraint(fields=["exam", "task_statement"], name="examarea_unique_task"),
        ]

    def __str__(self) -> str:
        area = self.domain or self.task_statement
        return f"{self.exam}: {area} x{self.weight}"


class Accommodation(models.Model):
    """Extra time for one learner, on one exam or (exam empty) on every exam.

    Only instructors and staff see these rows; a learner's pages show their own
    extended time, nobody else's pages show it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accommodations"
    )
    exam = models.ForeignKey(
        Exam,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="accommodations",
        help_text="Empty: every exam. One for a given exam wins over the general one.",
    )
    extra_time_percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(400)],
        help_text="Added to the time limit, e.g. 25, 50 or 100 (double time).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__username", "exam__title"]
        constraints = [
            models.UniqueConstraint(fields=["user", "exam"], name="accommodation_unique_user_exam"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(exam__isnull=True),
                name="accommodation_unique_user_every_exam",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} +{self.extra_time_percent}% ({self.exam or 'every exam'})"

    @staticmethod
    def extra_percent_for(user, exam: Exam) -> int:
        """The learner's extra time on `exam`, in percent (0: none). One query."""
        rows = dict(
            Accommodation.objects.filter(user=user)
            .filter(Q(exam=exam) | Q(exam__isnull=True))
            .values_list("exam_id", "extra_time_percent")
        )
        return rows.get(exam.pk, rows.get(None, 0))


def _moment(when: datetime) -> str:
    return dateformat.format(when.astimezone(UTC), r"M j, Y \a\t H:i \U\T\C")


def extended(limit: timedelta | None, extra_percent: int) -> timedelta | None:
    """A time limit with `extra_percent` added, to the whole second."""
    if limit is None:
        return None
    return timedelta(seconds=math.ceil(limit.total_seconds() * (100 + extra_percent) / 100))


class AttemptQuerySet(models.QuerySet):
    def in_progress(self) -> AttemptQuerySet:
        return self.filter(status=Attempt.Status.IN_PROGRESS)

    def finalized(self) -> AttemptQuerySet:
        """Submitted or expired: graded, with a score and objective results."""
        return self.filter(status__in=Attempt.FINAL)


class Attempt(models.Model):
    """One sitting of an exam, with the terms it was taken under.

    `pass_mark`, `time_allowed`, `question_count` and `scored_count` are copied
    from the blueprint when the attempt starts: editing the exam afterwards
    changes no attempt already taken, and every page reads them from here.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        EXPIRED = "expired", "Expired"

    FINAL = (Status.SUBMITTED, Status.EXPIRED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    raw_score = models.PositiveSmallIntegerField(null=True, blank=True)
    total = models.PositiveSmallIntegerField(default=0)
    pass_mark = models.PositiveSmallIntegerField(default=700)
    time_allowed = models.DurationField(
        null=True, blank=True, help_text="The time limit with any extension; empty when untimed."
    )
    question_count = models.PositiveSmallIntegerField(
        default=0, help_text="Questions the blueprint asked for when the attempt started."
    )
    scored_count = models.PositiveSmallIntegerField(
        default=0, help_text="Items that count towards the score (the raw score's denominator)."
    )
    extra_time_percent = models.PositiveSmallIntegerField(
        default=0, help_text="The accommodation included in time_allowed (0: none)."
    )
    scaled_score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exam"],
                condition=Q(status="in_progress"),
                name="attempt_one_in_progress_per_user_exam",
            )
        ]
        indexes = [
            models.Index(fields=["user", "-started_at"]),
            models.Index(fields=["user", "-submitted_at"]),
            models.Index(fields=["status", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.exam} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def unscored_count(self) -> int:
        return max(0, self.total - self.scored_count)

    @property
    def is_extended(self) -> bool:
        return self.extra_time_percent > 0

    @property
    def time_limit_minutes(self) -> int | None:
        """The time allowed, in whole minutes, for display."""
        if self.time_allowed is None:
            return None
        return math.ceil(self.time_allowed.total_seconds() / 60)

    def is_past_deadline(self, now: datetime, grace: timedelta) -> bool:
        """Is `now` later than the deadline plus `grace` (for answers still on
        their way when time ran out)?"""
        return self.deadline is not None and now > self.deadline + grace

    def accepts_answers(self, now: datetime, grace: timedelta) -> bool:
        return self.status == self.Status.IN_PROGRESS and not self.is_past_deadline(now, grace)

    def seconds_left(self, now: datetime) -> int | None:
        """Whole seconds to the deadline, rounded up: a page never shows time
        running out before the server's clock says so."""
        if self.deadline is None:
            return None
        return max(0, math.ceil((self.deadline - now).total_seconds()))


class AttemptItem(models.Model):
    """One question of an attempt, frozen as it was shown (`snapshot`)."""

    # No index of its own: the unique (attempt, position) index serves every
    # lookup by attempt, and one index fewer makes starting an attempt cheaper.
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    question_version = models.PositiveIntegerField()
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="+")
    snapshot = models.JSONField()
    response = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    scored = models.BooleanField(
        default=True,
        help_text="False for an unscored (pretest) item: drawn and shown like the others, "
        "never counted in a score or an objective result.",
    )
    # The save protocol (docs/exams.md): `seq` counts the answer's versions;
    # `writer` names the page that wrote the last one and `write_no` is that
    # page's own number for the write, so a retry or a replay can be told apart.
    seq = models.PositiveIntegerField(default=0)
    writer = models.CharField(max_length=16, blank=True)
    write_no = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attemptitem_unique_pos")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"


class ObjectiveResult(models.Model):
    """Per-objective score of a finalized attempt; reports read these, not items."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="objective_results")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="+")
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "objective"], name="objectiveresult_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.objective.code}: {self.correct}/{self.total}"


class ObjectiveRollup(models.Model):
    """A learner's answers to one objective, summed as they happen (exams.rollups).

    `decayed_right` and `decayed_total` are exponentially decayed sums of scored mock-exam items
    and practice answers, stored as of `rollups.EPOCH` so that adding an answer
    is a plain addition and reading them at any moment ages them exactly.
    `answers` and `correct` are the plain counts; `last_at` the latest answer.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="objective_rollups"
    )
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="+")
    decayed_right = models.FloatField(default=0.0)
    decayed_total = models.FloatField(default=0.0)
    answers = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "objective"], name="objectiverollup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.objective_id}: {self.correct}/{self.answers}"


class LearnerRollup(models.Model):
    """A learner's ObjectiveRollup rows summed over every objective, kept by the
    same call in the same transaction (exams.rollups.record): what the cohort
    page reads for a member's overall mastery, one row a member."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="learner_rollup",
    )
    decayed_right = models.FloatField(default=0.0)
    decayed_total = models.FloatField(default=0.0)
    answers = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id}: {self.correct}/{self.answers}"


class ExamRollup(models.Model):
    """A learner's finalized attempts at one exam, summed as each is finalized
    (exams.rollups.record_attempt, in the finalization's transaction): how many,
    the best score, the latest and the one before it. The cohort page reads one
    row a member and exam instead of every attempt."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_rollups"
    )
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    best = models.PositiveSmallIntegerField()
    latest_score = models.PositiveSmallIntegerField()
    latest_passed = models.BooleanField()
    latest_at = models.DateTimeField()
    previous_passed = models.BooleanField(null=True)
    previous_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "exam"], name="examrollup_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.exam_id}: {self.attempts} attempts, best {self.best}"


class PracticeSession(models.Model):
    """A learner practising one scope, one question at a time, with instant feedback.

    The question being practised is frozen in `current_snapshot` (with its key)
    until the learner checks it; `current_token` names it so a check from an
    older page cannot apply to a newer question.
    """

    class Scope(models.TextChoices):
        OBJECTIVE = "objective", "One objective"
        TASK = "task", "One task statement"
        ALL = "all", "Everything"
        WEAKEST = "weakest", "My weakest objectives"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_sessions"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices)
    label = models.CharField(max_length=300)
    objective_ids = models.JSONField(default=list)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    current_question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_version = models.PositiveIntegerField(default=0)
    current_snapshot = models.JSONField(null=True, blank=True)
    current_card = models.JSONField(null=True, blank=True)
    current_token = models.CharField(max_length=16, blank=True)
    current_checked = models.BooleanField(default=False)
    current_note = models.CharField(max_length=200, blank=True)
    mastery_before = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.label}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class PracticeAnswer(models.Model):
    """One checked practice answer, with the version of the question shown."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_answers"
    )
    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    question_version = models.PositiveIntegerField()
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="+")
    snapshot = models.JSONField()
    response = models.JSONField(null=True, blank=True)
    is_correct = models.BooleanField()
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["-answered_at"]
        indexes = [
            models.Index(fields=["user", "-answered_at"]),
            models.Index(fields=["user", "objective"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.question} · {'right' if self.is_correct else 'wrong'}"


class ReviewCard(models.Model):
    """A learner's spaced-repetition card for one question (FSRS state)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="+")
    card = models.JSONField()
    due = models.DateTimeField()
    last_correct = models.BooleanField()
    reviews = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="reviewcard_unique")
        ]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.question} due {self.due:%Y-%m-%d %H:%M}"


class BankUpload(models.Model):
    """A bank file uploaded to the admin's import, kept between its preview and
    its confirmation, so that the instructor confirms the very file previewed
    without sending it again. Only its uploader can see or import it; it goes
    once imported, and uploads older than a day go at the next upload."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} ({self.user}, {self.created_at:%Y-%m-%d %H:%M})"


class QuestionStatistics(models.Model):
    """A question's item analysis as last computed (exams/analysis.py), for the admin.

    Recomputed from the attempts when older than `analysis.MAX_AGE`; a figure is
    null when there is not enough data (or it is undefined).
    """

    question = models.OneToOneField(
        Question, primary_key=True, on_delete=models.CASCADE, related_name="statistics"
    )
    responses = models.PositiveIntegerField(default=0)
    facility = models.FloatField(null=True, blank=True)
    discrimination = models.FloatField(null=True, blank=True)
    practice_responses = models.PositiveIntegerField(default=0)
    practice_facility = models.FloatField(null=True, blank=True)
    # Choice id → {"chosen": count, "share": share or null}, for choice questions.
    options = models.JSONField(default=dict)
    other_chosen = models.PositiveIntegerField(
        default=0, help_text="Choices of options whose wording is no longer in the question."
    )
    warnings = models.JSONField(default=list)  # [{"code": …, "message": …}]
    has_warning = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "question statistics"

    def __str__(self) -> str:
        return f"{self.question_id}: {self.responses} responses"


class ExamStatistics(models.Model):
    """An exam's reliability as last computed with the questions' figures."""

    exam = models.OneToOneField(
        Exam, primary_key=True, on_delete=models.CASCADE, related_name="statistics"
    )
    attempts = models.PositiveIntegerField(default=0)
    items = models.FloatField(default=0, help_text="Scored items per attempt, on average.")
    alpha = models.FloatField(null=True, blank=True)
    sem = models.FloatField(null=True, blank=True, help_text="In items (raw score points).")
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "exam statistics"

    def __str__(self) -> str:
        return f"{self.exam_id}: alpha {self.alpha}"
