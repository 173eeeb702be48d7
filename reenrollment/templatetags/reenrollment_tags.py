from typing import Any

from django import template

register = template.Library()


@register.filter
def get_position(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """mapping[key] in a template, or "" when absent."""
    return (mapping or {}).get(key, "")
