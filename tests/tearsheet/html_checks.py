"""Reading a written report the way a browser would: which elements it has and what it would fetch."""

from __future__ import annotations

import re
from html.parser import HTMLParser

FETCHING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "video": "src"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.fetches: list[str] = []
        self.imports: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        attribute = FETCHING.get(tag)
        if attribute and values.get(attribute):
            self.fetches.append(f"<{tag} {attribute}={values[attribute]}>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.imports += re.findall(r"@import[^;]*|url\([^)]*\)", data)


def parse(page: str) -> _Elements:
    elements = _Elements()
    elements.feed(page)
    return elements


def external_references(page: str) -> list[str]:
    """Every ``src``/``href`` of a fetching element and every CSS ``@import`` or ``url()``: what a browser would
    load besides the page. A self-contained page has none (plotly.js is inline)."""
    elements = parse(page)
    return elements.fetches + elements.imports


def element_ids(page: str) -> list[str]:
    return parse(page).ids
