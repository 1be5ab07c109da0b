"""Charts as inline SVG, drawn on the server: no script and no style attribute (the pages' CSP
allows neither), colours by class from app.css, geometry by presentation attributes.

Each chart is an image with a name and a description (`<title>`, `<desc>`, `aria-labelledby`)
that reads out every value; the table beside it holds the same figures. Amounts arrive as the
service's decimal strings and are labelled through the `money` filter: floats are only pixels.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from invoicing.currencies.catalog import find_currency
from invoicing.dashboard.templating import money

FONT = 13
LABEL_CHARACTERS = 22  # a longer customer name is cut in the chart (the table has it whole)
CHARACTER_WIDTH = 7.4  # about, at FONT: room for labels, which SVG does not measure for us
AXIS_CHARACTER_WIDTH = 6.4  # at the axis labels' 11px


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    amount: str  # a decimal string in the chart's currency
    css_class: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    note: str  # a second line under the label (the year under January), or ""
    bars: Sequence[Bar]


def nice_ceiling(amount: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `amount` (1 for 0)."""
    if amount <= 0:
        return Decimal(1)
    power = Decimal(1).scaleb(amount.adjusted())
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if amount <= step * power:
            return step * power
    return Decimal(10) * power  # pragma: no cover (amount <= 10 * power by adjusted())


def _tick(amount: Decimal, currency: str) -> str:
    """An axis label: whole amounts without decimals, others at the currency's minor units."""
    if amount == amount.to_integral_value():
        return money(format(amount.quantize(Decimal(1)), "f"), currency)
    known = find_currency(currency)
    return money(format(amount.quantize(known.quantum if known else Decimal("0.01")), "f"), currency)


def _svg(chart_id: str, title: str, description: str, width: int, height: int, body: list[Markup]) -> Markup:
    head = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" viewBox="0 0 {width} {height}"'
        ' aria-labelledby="{id}-title {id}-desc" font-size="{font}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
    ).format(width=width, height=height, id=chart_id, font=FONT, title=title, description=description)
    return head + Markup("").join(body) + Markup("</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", css_class: str = "chart-label") -> Markup:
    return Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="{}" class="{}">{}</text>').format(
        x, y, anchor, css_class, text
    )


def _rect(x: float, y: float, width: float, height: float, css_class: str, tooltip: str = "") -> Markup:
    shape = Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" class="bar {}"').format(
        x, y, width, max(height, 0), css_class
    )
    return shape + (Markup("><title>{}</title></rect>").format(tooltip) if tooltip else Markup("/>"))


def _line(x1: float, x2: float, y: float) -> Markup:
    return Markup('<line x1="{:.1f}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}" class="chart-grid"/>').format(x1, x2, y, y)


def _described(bars: Sequence[Bar], currency: str) -> str:
    return "; ".join(f"{bar.label}: {money(bar.amount, currency)}" for bar in bars) + "."


def column_chart(chart_id: str, title: str, currency: str, bars: Sequence[Bar]) -> Markup:
    """Vertical bars, one per label, each with its amount above it (the aging buckets)."""
    groups = [Group(label=bar.label, note="", bars=[bar]) for bar in bars]
    return grouped_column_chart(chart_id, title, currency, groups, legend=(), value_labels=True)


def grouped_column_chart(
    chart_id: str,
    title: str,
    currency: str,
    groups: Sequence[Group],
    *,
    legend: Sequence[Bar],
    value_labels: bool = False,
) -> Markup:
    """Groups of vertical bars over a labelled axis (the months, each invoiced beside collected);
    `legend` names each bar of a group by its class."""
    width, right, top = 560, 8, 24 if value_labels else 12
    plot_height = 170
    legend_height = 22 if legend else 0
    height = top + plot_height + 40 + legend_height
    scale = nice_ceiling(max((Decimal(bar.amount) for group in groups for bar in group.bars), default=Decimal(0)))
    ticks = [(fraction, _tick(scale * fraction, currency)) for fraction in (Decimal(0), Decimal("0.5"), Decimal(1))]
    left = 10 + max(len(label) for _, label in ticks) * AXIS_CHARACTER_WIDTH
    body: list[Markup] = []
    for fraction, label in ticks:
        y = top + plot_height * (1 - float(fraction))
        body.append(_line(left, width - right, y))
        body.append(_text(left - 6, y + 4, label, anchor="end", css_class="chart-axis"))
    slot = (width - left - right) / max(len(groups), 1)
    bar_width = slot * 0.7 / max(len(groups[0].bars) if groups else 1, 1)
    for index, group in enumerate(groups):
        x = left + slot * index + slot * 0.15
        for bar in group.bars:
            bar_height = plot_height * float(Decimal(bar.amount) / scale)
            tooltip = f"{group.label} {group.note} · {bar.label}: {money(bar.amount, currency)}".replace("  ", " ")
            body.append(_rect(x, top + plot_height - bar_height, bar_width, bar_height, bar.css_class, tooltip))
            if value_labels:
                body.append(
                    _text(
                        x + bar_width / 2,
                        top + plot_height - bar_height - 5,
                        money(bar.amount, currency),
                        anchor="middle",
                    )
                )
            x += bar_width
        middle = left + slot * index + slot / 2
        body.append(_text(middle, top + plot_height + 17, group.label, anchor="middle"))
        if group.note:
            body.append(_text(middle, top + plot_height + 33, group.note, anchor="middle", css_class="chart-axis"))
    legend_x = float(left)
    for item in legend:
        y = height - 8
        body.append(_rect(legend_x, y - 10, 12, 12, item.css_class))
        body.append(_text(legend_x + 17, y, item.label))
        legend_x += 17 + len(item.label) * CHARACTER_WIDTH + 20
    description = " ".join(
        f"{group.label}{' ' + group.note if group.note else ''}: "
        + ", ".join(f"{bar.label} {money(bar.amount, currency)}" for bar in group.bars)
        + "."
        for group in groups
    )
    return _svg(chart_id, title, description, width, height, body)


def bar_chart(chart_id: str, title: str, currency: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, largest first as given, the label left and the amount at the bar's end."""
    width, row = 560, 26
    label_width = 12 + min(max((len(bar.label) for bar in bars), default=0), LABEL_CHARACTERS) * CHARACTER_WIDTH
    value_width = 8 + max((len(money(bar.amount, currency)) for bar in bars), default=0) * CHARACTER_WIDTH
    height = row * len(bars) + 8
    scale = max((Decimal(bar.amount) for bar in bars), default=Decimal(0)) or Decimal(1)
    plot_width = width - label_width - value_width
    body: list[Markup] = []
    for index, bar in enumerate(bars):
        y = 4 + row * index
        name = bar.label if len(bar.label) <= LABEL_CHARACTERS else bar.label[: LABEL_CHARACTERS - 1] + "…"
        bar_width = plot_width * float(Decimal(bar.amount) / scale)
        body.append(_text(label_width - 8, y + row / 2 + 4, name, anchor="end"))
        body.append(
            _rect(label_width, y + 4, bar_width, row - 8, bar.css_class, f"{bar.label}: {money(bar.amount, currency)}")
        )
        body.append(_text(label_width + bar_width + 6, y + row / 2 + 4, money(bar.amount, currency)))
    return _svg(chart_id, title, _described(bars, currency), width, height, body)
