"""The cells of a pack table row, written in Python: a pack holds thousands of cells, and the
template language spends most of the live page's time on them (each lookup of a key a cell does
not have costs a `dir()` of the dict, and each `format_html` a lazy wrapper)."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def pack_cells(row: dict) -> SafeString:
    """A row's `<td>`s: the text, a link when the cell has a url, a badge when it has a colour
    (a Bootstrap colour, or a risk band's own classes). Every value is escaped here."""
    return mark_safe("".join(_cell(cell) for cell in row["cells"]))  # noqa: S308 (each part escaped)


def _cell(cell: dict) -> str:
    content = escape(str(cell["text"]))
    colour = cell.get("colour")
    if colour:
        classes = colour if "band" in colour else f"text-bg-{colour}"
        content = f'<span class="badge rounded-pill {escape(classes)}">{content}</span>'
    if cell.get("url"):
        content = f'<a href="{escape(cell["url"])}">{content}</a>'
    return f'<td class="text-nowrap">{content}</td>' if cell.get("nowrap") else f"<td>{content}</td>"
