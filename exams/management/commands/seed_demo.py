from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Cohort, Membership, User
from exams.models import Domain, Exam, ExamArea, ExamObjective, Objective

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
    "description": "65 questions in 90 minutes, like the real AIF-C01: 50 scored and 15 "
    "unscored, which look the same. Weighted by domain as the exam guide weights them.",
    "question_count": 65,
    "unscored_count": 15,
    "time_limit_minutes": 90,
}
# The AIF-C01 exam guide's domain weights, in percent of the scored questions.
AIF_C01_DOMAIN_WEIGHTS = {"1": 20, "2": 24, "3": 28, "4": 14, "5": 14}


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

            mock, created = Exam.objects.get_or_create(
                slug=TASK_MOCK["slug"], defaults={**TASK_MOCK, "is_published": True}
            )
            if created:
                ExamObjective.objects.bulk_create(
                    ExamObjective(exam=mock, objective=o, weight=1) for o in task_objectives
                )
            full, created = Exam.objects.get_or_create(
                slug=FULL["slug"], defaults={**FULL, "is_published": True}
            )
            if created:
                # The domains in the bank, by the guide's weights; each spread over its objectives.
                ExamArea.objects.bulk_create(
                    ExamArea(exam=full, domain=domain, weight=AIF_C01_DOMAIN_WEIGHTS[domain.code])
                    for domain in Domain.objects.filter(code__in=AIF_C01_DOMAIN_WEIGHTS)
                )

        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /admin/ with:"))
        for username, password, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role:<14} {username:<11} password: {password}")
