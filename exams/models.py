"""The question bank (Domain → TaskStatement → Objective → Question → Choice),
exam blueprints, and the attempts learners make at them."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q

from exams.bank.rules import SOURCE_MAX_LENGTH


class Domain(models.Model):
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"Domain {self.code}: {self.title}"


class TaskStatement(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="task_statements")
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["domain__code", "position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


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
        help_text="Single/multiple: tick the correct choices. Ordering: each item's "
        "Position is its place in the correct order. Matching: Text is the prompt, "
        "Match its partner.",
    )
    difficulty = models.PositiveSmallIntegerField(
        choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
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
    partner. Every kind has per-option `feedback`.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
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


class ExamQuerySet(models.QuerySet):
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

    class FeedbackPolicy(models.TextChoices):
        IMMEDIATE = "immediate", "Immediate (practice)"
        AFTER_SUBMIT = "after_submit", "After submit (mock exam)"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    question_count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    time_limit_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty for an untimed exam.",
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=700, validators=[MinValueValidator(100), MaxValueValidator(1000)]
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_choices = models.BooleanField(default=True)
    feedback_policy = models.CharField(
        max_length=20, choices=FeedbackPolicy.choices, default=FeedbackPolicy.AFTER_SUBMIT
    )
    is_published = models.BooleanField(default=False)
    cohorts = models.ManyToManyField(
        "accounts.Cohort", blank=True, help_text="Empty: open to every learner."
    )
    objectives = models.ManyToManyField(Objective, through="ExamObjective")

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
        default=0, help_text="Items that count towards the score."
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
