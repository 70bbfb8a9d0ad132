"""The cache: Redis when REDIS_URL is set, memory local to the process otherwise."""

import os
import socket
import subprocess
import sys

import pytest

SCRIPT = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.core.cache import cache; print(settings.CACHES['default']['BACKEND']); "
    "{extra}"
)


def run(env: dict, extra: str = "") -> str:
    environment = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environment.update(DJANGO_SETTINGS_MODULE="quizsite.settings", DEBUG="1", **env)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(extra=extra)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_without_redis_url_the_cache_is_local_memory():
    assert run({}).strip() == "django.core.cache.backends.locmem.LocMemCache"


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_is_up(), reason="no Redis server on 127.0.0.1:6379")
def test_with_redis_url_two_processes_share_the_cache():
    env = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    first = run(env, "cache.set('shared-test', 'seen', 30); print(cache.get('shared-test'))")
    assert first.split() == ["django.core.cache.backends.redis.RedisCache", "seen"]
    second = run(env, "print(cache.get('shared-test')); cache.delete('shared-test')")
    assert second.split()[1] == "seen"
