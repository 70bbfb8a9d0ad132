"""The admin site: Django's, with object ids in its URLs that must be numbers.

Django's admin matches `<path:object_id>` and leaves a malformed id to each
view: its own views redirect to the index, and a view added with `get_urls`
must handle "abc" itself (or fail with a 500). Here every model with an
integer primary key gets `<admin_id:object_id>` instead, so that
`/admin/exams/question/abc/preview/` or `.../abc/change/` matches no URL and
is a 404 before any view runs, whoever wrote the view.

The changelists' (and change forms') actions take the ticked ids from the
posted form instead; every registered admin checks them the same way
(`CheckedSelection`), so "abc" or an overflowing number is a 404 there too.
"""

import re

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.apps import AdminConfig
from django.http import Http404
from django.urls import URLPattern, URLResolver, include, path, register_converter

from quizsite.converters import IdConverter

INTEGER_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"}
ANY_ID = "<path:object_id>"
NUMBER_ID = "<admin_id:object_id>"


class AdminIdConverter(IdConverter):
    """A number, passed on as a string: the admin's views unquote object ids.

    The pattern also takes "__fk__", the placeholder the admin's related-object
    widgets reverse their links with and their JavaScript replaces with the
    chosen id; a request for it matches no URL (a ValueError here is a
    non-match), since no view can find an object by it."""

    regex = f"{IdConverter.regex}|__fk__"

    def to_python(self, value: str) -> str:
        if value == "__fk__":
            raise ValueError("a placeholder, not an id")
        return value


register_converter(AdminIdConverter, "admin_id")


def _numbered(resolver: URLResolver) -> URLResolver:
    patterns = [
        path(str(p.pattern).replace(ANY_ID, NUMBER_ID), p.callback, p.default_args, p.name)
        if isinstance(p, URLPattern) and ANY_ID in str(p.pattern)
        else p
        for p in resolver.url_patterns
    ]
    return path(str(resolver.pattern), include(patterns))


_ID = re.compile(IdConverter.regex)


class CheckedSelection:
    """Mixed into every admin registered on the site: an action's ticked ids
    that cannot be ids are a 404, before Django's action handling reads them
    (where "abc" or a number too large for the database is an error)."""

    def response_action(self, request, queryset, *args, **kwargs):
        if self.model._meta.pk.get_internal_type() in INTEGER_KEYS and not all(
            _ID.fullmatch(v) for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ):
            raise Http404("No such item.")
        return super().response_action(request, queryset, *args, **kwargs)


class AdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, CheckedSelection):
            admin_class = type(
                admin_class.__name__,
                (CheckedSelection, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        return super().register(model_or_iterable, admin_class, **options)

    def get_urls(self):
        numbered = {
            f"{model._meta.app_label}/{model._meta.model_name}/"
            for model in self._registry
            if model._meta.pk.get_internal_type() in INTEGER_KEYS
        }
        return [
            _numbered(p) if isinstance(p, URLResolver) and str(p.pattern) in numbered else p
            for p in super().get_urls()
        ]


class QuizsiteAdminConfig(AdminConfig):
    default_site = "quizsite.admin_site.AdminSite"
