from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Cohort, Membership, User
from exams.models import Exam, ExamObjective, Objective

# Shown in the README; refused outside DEBUG so they never reach production.
DEMO_USERS = [
    # username, password, role, is_staff, is_superuser
    ("learner", "learn-aif-c01", "learner", False, False),
    ("instructor", "teach-aif-c01", "instructor", True, False),
    ("lead", "lead-aif-c01", "team lead", False, False),
    ("admin", "admin-aif-c01", "administrator", True, True),
]
TASK_MOCK = {
    "slug": "task-3-3-mock",
    "title": "Task 3.3 mock exam",
    "description": "20 questions on training and fine-tuning foundation models, "
    "spread evenly over the 14 objectives of Task Statement 3.3.",
    "question_count": 20,
    "time_limit_minutes": 30,
}
FULL = {
    "slug": "full-length-simulation",
    "title": "Full-length simulation",
    "description": "65 questions in 90 minutes, like the real AIF-C01. Draws from every "
    "objective in the bank.",
    "question_count": 65,
    "time_limit_minutes": 90,
}


class Command(BaseCommand):
    help = "Create demo users, a cohort and two exams (development only; idempotent)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords: it only runs with DEBUG on.")
        task_objectives = list(Objective.objects.filter(task_statement__code="3.3"))
        if not task_objectives:
            raise CommandError(
                "The Task 3.3 objectives are not in the database: load the bank first "
                "(python manage.py load_bank exams/bank/aif-c01-task-3.3.yaml)."
            )
        with transaction.atomic():
            users = {}
            instructors = Group.objects.get(name="Instructors")
            for username, password, role, is_staff, is_superuser in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "is_staff": is_staff,
                        "is_superuser": is_superuser,
                        "first_name": username.capitalize(),
                        "email": f"{username}@example.com",
                    },
                )
                if created:
                    user.set_password(password)
                    user.save(update_fields=["password"])
                if role == "instructor":
                    user.groups.add(instructors)
                users[username] = user

            cohort, _ = Cohort.objects.get_or_create(name="Demo cohort")
            Membership.objects.get_or_create(
                user=users["learner"], cohort=cohort, role=Membership.Role.LEARNER
            )
            Membership.objects.get_or_create(
                user=users["lead"], cohort=cohort, role=Membership.Role.LEAD
            )

            all_objectives = list(Objective.objects.all())
            for spec, objectives in ((TASK_MOCK, task_objectives), (FULL, all_objectives)):
                fields = {k: v for k, v in spec.items() if k != "slug"}
                exam, created = Exam.objects.get_or_create(
                    slug=spec["slug"], defaults={**fields, "is_published": True}
                )
                if created:
                    ExamObjective.objects.bulk_create(
                        ExamObjective(exam=exam, objective=o, weight=1) for o in objectives
                    )

        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /admin/ with:"))
        for username, password, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role:<14} {username:<11} password: {password}")
