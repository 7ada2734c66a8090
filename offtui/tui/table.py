"""A table that renders only the rows on screen (Textual's line API).

A ``DataTable`` of 10,000 rows refilled every second costs most of a core; this table keeps a
list of items and formats a row only when its line is painted, so swapping in a new list
costs nothing until the visible lines are drawn again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

#: (title, ideal width, minimum width, drop order: columns with a higher number go first
#: when the terminal is too narrow; 0 never goes)
Column = tuple[str, int, int, int]


def fit_columns(columns: Sequence[Column], width: int) -> list[int | None]:
    """Widths per column for ``width`` cells (None = column hidden), one space between."""
    widths: list[int | None] = [c[1] for c in columns]

    def total() -> int:
        shown = [w for w in widths if w is not None]
        return sum(shown) + max(0, len(shown) - 1)

    # shrink the columns that can shrink, widest first, then drop by drop order
    while total() > width:
        shrinkable = [
            i for i, c in enumerate(columns) if widths[i] is not None and widths[i] > c[2]
        ]
        if shrinkable:
            i = max(shrinkable, key=lambda i: widths[i] or 0)
            widths[i] = (widths[i] or 0) - 1
            continue
        droppable = [i for i, c in enumerate(columns) if widths[i] is not None and c[3] > 0]
        if not droppable:
            break
        widths[max(droppable, key=lambda i: columns[i][3])] = None
    extra = width - total()
    if extra > 0:
        # give the room to the columns that were shrunk or can use it (the widest ideal)
        grow = [i for i, c in enumerate(columns) if widths[i] is not None and c[1] >= 15]
        for n in range(extra):
            if not grow:
                break
            i = grow[n % len(grow)]
            widths[i] = (widths[i] or 0) + 1
    return widths


def _cell(text: str, width: int, right: bool) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)


class VirtualTable(ScrollView, can_focus=True):
    """Rows of items formatted on demand; a cursor row; Enter posts :class:`Selected`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--hw",
        "virtual-table--sw",
        "virtual-table--bad",
    }
    DEFAULT_CSS = """
    VirtualTable { background: $surface; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $accent 40%; text-style: bold; }
    VirtualTable:focus > .virtual-table--cursor { background: $accent; color: $text; }
    VirtualTable > .virtual-table--hw { color: $success; text-style: bold; }
    VirtualTable > .virtual-table--sw { color: $success; }
    VirtualTable > .virtual-table--bad { color: $warning; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "select", "Explain", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Selected(Message):
        def __init__(self, table: VirtualTable, item: Any) -> None:
            super().__init__()
            self.table = table
            self.item = item

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        right: Sequence[int] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.right = set(right)
        self.items: Sequence[Any] = []
        self.row_fn: Callable[[Any], Sequence[str]] = lambda item: tuple(item)
        #: (item, column index, text) -> component class for that cell, or None.
        self.style_fn: Callable[[Any, int, str], str | None] = lambda item, col, text: None
        self.empty_text = "nothing to show"
        self._widths: list[int | None] = []
        self._width_for = -1

    # ------------------------------------------------------------------ data

    def set_items(self, items: Sequence[Any], keep_cursor: bool = True) -> None:
        """Show ``items`` (formatted lazily); the cursor stays on the same index if it can."""
        self.items = items
        self.virtual_size = Size(self.size.width, len(items) + 1)
        if not keep_cursor:
            self.cursor = 0
        elif self.cursor >= len(items):
            self.cursor = max(0, len(items) - 1)
        self.refresh()

    @property
    def current(self) -> Any | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    # ------------------------------------------------------------------ keys

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_move(self, delta: int) -> None:
        if self.items:
            self.cursor = max(0, min(len(self.items) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * self._visible_rows())

    def action_edge(self, end: int) -> None:
        self.action_move(len(self.items) if end else -len(self.items))

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def watch_cursor(self, cursor: int) -> None:
        top = round(self.scroll_y)
        rows = self._visible_rows()
        if cursor < top:
            self.scroll_to(y=cursor, animate=False)
        elif cursor >= top + rows:
            self.scroll_to(y=cursor - rows + 1, animate=False)
        self.refresh()

    # ------------------------------------------------------------------ painting

    def _fit(self, width: int) -> list[int | None]:
        if width != self._width_for:
            self._widths = fit_columns(self.columns, width)
            self._width_for = width
        return self._widths

    def _line(self, cells: Sequence[str], width: int, base: Style, item: Any = None) -> Strip:
        widths = self._fit(width)
        segs: list[Segment] = []
        used = 0
        for i, w in enumerate(widths):
            if w is None:
                continue
            if used:
                segs.append(Segment(" ", base))
                used += 1
            text = _cell(cells[i] if i < len(cells) else "", w, i in self.right)
            style = base
            if item is not None:
                cls = self.style_fn(item, i, cells[i] if i < len(cells) else "")
                if cls:
                    style = base + self.get_component_rich_style(cls)
            segs.append(Segment(text, style))
            used += w
        if used < width:
            segs.append(Segment(" " * (width - used), base))
        return Strip(segs, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("virtual-table--header")
            return self._line([c[0] for c in self.columns], width, base + header)
        index = round(self.scroll_y) + y - 1
        if not self.items:
            if y == 1:
                return Strip([Segment(_cell(self.empty_text, width, False), base)], width)
            return Strip.blank(width, base)
        if index >= len(self.items):
            return Strip.blank(width, base)
        item = self.items[index]
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("virtual-table--cursor")
        return self._line(self.row_fn(item), width, style, item)

    def on_resize(self) -> None:
        self._width_for = -1
        self.virtual_size = Size(self.size.width, len(self.items) + 1)
