"""Path converters shared by the site's and the admin's URLs.

Imported (and so registered) by every URL module that uses them; the admin's
URLs are built before the apps' own URL modules are imported.
"""

from django.urls import register_converter


class IdConverter:
    """A positive integer of at most nine digits: larger ids cannot exist, and
    refusing them here turns "abc", "-1" or an overflow in the database driver
    into a 404 before any view runs."""

    regex = "[0-9]{1,9}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
