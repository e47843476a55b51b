"""HTML bodies: a strict allow-list sanitiser (nh3) and a plain-text rendering.

Mail HTML is hostile by default. Only text structure and links survive: no script, style,
forms, frames, embedded objects or SVG/MathML, no event handlers or style attributes, and
no images at all, since any image source (remote, data: or cid:) loads something or tracks
the reader. Links keep only http, https and mailto targets.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl",
        "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "li", "ol", "p",
        "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
# Dropped together with everything inside them (their text is code or hidden UI).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "title", "head", "template", "noscript", "iframe", "frame",
        "frameset", "object", "embed", "applet", "svg", "math", "form", "select",
        "textarea", "button", "audio", "video", "canvas", "map", "base", "link", "meta",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "*": frozenset({"dir", "lang"}),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    # A relative link in a mail resolves against Okno's own origin: never useful.
    url_relative="deny",
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitise_html(html: str) -> str:
    return _CLEANER.clean(html).strip()


_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
     "table", "ul", "ol", "hr", "dt", "dd"}
)  # fmt: skip
_SKIPPED = frozenset(
    {"script", "style", "head", "title", "template", "noscript", "svg", "math", "form",
     "select", "textarea", "button", "object", "iframe"}
)  # fmt: skip
_WHITESPACE = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skip_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(_WHITESPACE.sub(" ", data))


def html_to_text(html: str) -> str:
    """Readable text of an HTML-only mail (for the message text; the view gets the HTML)."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # HTMLParser is lenient; this is belt and braces for odd input
        return nh3.clean_text(html)
    lines = ("".join(collector.parts)).split("\n")
    text = "\n".join(line.strip() for line in lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
