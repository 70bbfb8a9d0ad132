from django.contrib import admin
from django.urls import include, path

from exams.views import healthz

admin.site.site_header = "Quizsite administration"
admin.site.site_title = "Quizsite admin"
admin.site.index_title = "Question bank, exams and people"

handler500 = "quizsite.middleware.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before the admin's own URLs, which would take this path for a question id.
    path("admin/exams/question/import/", include("exams.admin_import")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("cohorts/", include("exams.cohort_manage_urls")),
    path("", include("exams.urls")),
]
