from decimal import Decimal

from django import template

from billing.pdf import euros as format_euros

register = template.Library()


@register.filter
def euros(value: Decimal | int | float | None) -> str:
    """168 -> "168,00 €" (French form)."""
    if value is None or value == "":
        return ""
    return format_euros(Decimal(str(value)))


@register.filter
def cents_euros(value: int) -> str:
    return format_euros(Decimal(value) / 100)
