"""`{% url %}` with its answers remembered, in place of Django's in every template (a builtin
library of extranet/settings.py, drawn after Django's own).

Every page draws the same links (the tab bar, the footer, a pupil's sub-tabs), and Django's
`{% url %}` walks the URL patterns again for each one, about 25 µs a link, 15 to 20 links a
page (bench/README.md). A reversed URL only depends on its arguments, the URL configuration,
the script prefix, the namespace of the current application and the active language, so the
tag keeps each answer under all of them, in a bounded cache of the process; the answer is the
same string `reverse()` gives. Patterns never change while a process runs; a test that swaps
`ROOT_URLCONF` empties the cache (as Django empties its own).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import defaulttags
from django.template.base import Parser, Token
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=4096)
def cached_reverse(
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
    urlconf: str | None,
    script_prefix: str,
    language: str | None,
) -> str:
    """`reverse()`, remembered: script_prefix and language are only part of the key, `reverse()`
    reads them itself."""
    return reverse(view_name, urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        cached_reverse.cache_clear()


class CachedURLNode(defaulttags.URLNode):
    def render(self, context: template.Context) -> str:
        if self.asvar:  # `{% url ... as var %}` swallows NoReverseMatch: Django's own path.
            return super().render(context)  # type: ignore[no-any-return]
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(sorted((k, v.resolve(context)) for k, v in self.kwargs.items()))
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        try:
            url = cached_reverse(
                self.view_name.resolve(context),
                args,
                kwargs,
                current_app,
                get_urlconf(),
                get_script_prefix(),
                get_language(),
            )
        except TypeError:  # An argument that cannot be a key (unhashable): no cache.
            return super().render(context)  # type: ignore[no-any-return]
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> CachedURLNode:
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
