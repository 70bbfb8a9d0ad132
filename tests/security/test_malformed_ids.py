"""Every URL that takes an id, given a malformed one, answers 404 (never 500).

The test walks the whole URL conf, the admin's included, so a URL added later
is covered without anyone remembering to add it here.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# "__fk__" is the placeholder the admin's related-object links are reversed
# with (their JavaScript puts the chosen id in its place): a URL, never an id.
MALFORMED = ["abc", "-1", "1.5", "1e3", "0x1f", "99999999999999999999", "١٢", "__fk__"]
# What to put in a URL's other parameters (slugs, tokens, app labels).
OTHER = "x"
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _is_id(name: str) -> bool:
    return name.endswith("id") or name == "position"


def id_routes(patterns=None, prefix: str = ""):
    """(route, name) for every route with an id parameter."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from id_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and any(
            _is_id(m["name"]) for m in _PARAM.finditer(route)
        ):
            yield route, pattern.name


ROUTES = sorted(set(id_routes()))


def fill(route: str, value: str) -> str:
    return "/" + _PARAM.sub(lambda m: value if _is_id(m["name"]) else OTHER, route)


def test_the_walk_finds_the_site_and_admin_urls():
    routes = dict(ROUTES)
    assert "attempts/<id:attempt_id>/" in routes
    assert "admin/exams/question/<admin_id:object_id>/preview/" in routes
    assert "admin/accounts/cohort/<admin_id:object_id>/change/" in routes
    assert "cohorts/<id:cohort_id>/members/manage/" in routes
    assert len(ROUTES) > 60


@pytest.mark.parametrize("value", MALFORMED)
def test_a_malformed_id_is_not_found_everywhere(client, superuser, value):
    client.force_login(superuser)
    for route, _name in ROUTES:
        url = fill(route, value)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (method, url, response.status_code)


def test_the_admins_related_links_still_reverse_with_the_placeholder(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:accounts_membership_add")).content.decode()
    assert 'data-href-template="/admin/accounts/user/__fk__/change/' in page
    assert 'data-href-template="/admin/accounts/cohort/__fk__/change/' in page


@pytest.mark.parametrize("value", MALFORMED)
def test_a_malformed_selection_for_an_admin_action_is_not_found(client, superuser, value):
    """The changelists' actions take the ticked ids from the form: one that
    cannot be an id is a 404 on every admin, and nothing is changed."""
    from django.contrib import admin
    from django.contrib.admin import helpers

    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        actions = list(model_admin.get_actions(_request(superuser)))
        for action in actions or ["delete_selected"]:
            response = client.post(
                url,
                {
                    "action": action,
                    helpers.ACTION_CHECKBOX_NAME: [str(superuser.pk), value],
                    "index": 0,
                },
            )
            # An admin with no actions reads no selection: its changelist, unchanged.
            expected = 404 if actions else 200
            assert response.status_code == expected, (url, action, response.status_code)
    # The well-formed id beside the malformed one was not acted on either.
    assert type(superuser).objects.filter(pk=superuser.pk, is_active=True).exists()


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_not_found_and_not_allowed_pages_are_the_sites_own(client, learner, settings):
    """A wrong address or someone else's attempt: the site's page, not Django's
    bare one, with the status kept and nothing about what exists."""
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<title>Page not found · Quizsite</title>" in page and "css/site" in page
    client.force_login(learner)
    response = client.get(reverse("exams:attempt_result", args=[999999]))
    assert response.status_code == 404 and "Page not found" in response.content.decode()

    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory
    from django.views.defaults import permission_denied

    denied = permission_denied(RequestFactory().get("/"), PermissionDenied())
    assert denied.status_code == 403
    assert "<title>Not allowed · Quizsite</title>" in denied.content.decode()
