"""Django's `i18n` library, with `{% translate %}` remembering its answers.

extranet/settings.py loads this module for `{% load i18n %}`: every tag and filter is Django's
own, but a `{% translate "..." %}` of a literal message (no filter, no context, not `noop`), by
far the most common, keeps its output per message, language and autoescaping instead of
looking it up in the catalogue again at every page: the tab bar, the footer, the pupil's
sub-tabs and the table headers draw 40 to 100 of them a page, about 7 % of a family page's CPU
(bench/README.md). The output is the one Django's tag gives, byte for byte. Catalogues never
change while a process runs; a test that changes the languages or the locale paths empties
the cache, as Django empties its own.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import Parser, Token, render_value_in_context
from django.templatetags import i18n
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)

_answers: dict[tuple[str, str | None, bool], str] = {}


@receiver(setting_changed)
def _forget_translations(*, setting: str, **kwargs: Any) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _answers.clear()


class CachedTranslateNode(i18n.TranslateNode):
    def render(self, context: template.Context) -> str:
        expression = self.filter_expression
        if (
            self.noop
            or self.message_context is not None
            or expression.filters
            or expression.var.lookups is not None  # A variable, not a literal message.
        ):
            return super().render(context)  # type: ignore[no-any-return]
        key = (expression.var.literal, get_language(), context.autoescape)
        value = _answers.get(key)
        if value is None:  # What TranslateNode.render() draws.
            expression.var.translate = True
            value = render_value_in_context(expression.resolve(context), context)
            safe = isinstance(value, SafeData)
            value = value.replace("%%", "%")
            value = _answers[key] = mark_safe(value) if safe else value  # noqa: S308
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _cached(node: i18n.TranslateNode) -> CachedTranslateNode:
    return CachedTranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> CachedTranslateNode:
    return _cached(i18n.do_translate(parser, token))
