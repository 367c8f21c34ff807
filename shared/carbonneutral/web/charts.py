"""Charts drawn on the server as SVG: they need no JavaScript, print, and scale on a phone.

Each chart is an <svg role="img"> with a title naming what it shows; its figures are also in the
page as text, so nothing is only in the picture.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

GREEN, LIGHT, INK, MUTED = "#14653a", "#9cc9ad", "#1b2420", "#5b6661"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def bars(title: str, rows: list[tuple[str, float]], unit: str, width: int = 600) -> str:
    """Horizontal bars, largest first: one row per label."""
    rows = sorted(rows, key=lambda row: -row[1])
    top = max((value for _, value in rows), default=0) or 1
    label_w, row_h = 150, 30
    height = row_h * max(len(rows), 1) + 10
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(rows):
        y = 5 + i * row_h
        bar = (width - label_w - 90) * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" font-size="14" fill="{INK}">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="20" rx="3" fill="{GREEN}"/>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 19}" font-size="13" fill="{MUTED}">'
            f"{_number(value)} {escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def daily(title: str, series: dict[str, float], end: date, days: int = 30, width: int = 600) -> str:
    """One column per day for the last `days` days up to `end` (empty days count 0)."""
    dates = [end - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    values = [series.get(d.isoformat(), 0) for d in dates]
    top = max(values, default=0) or 1
    chart_h, base = 120, 140
    step = width / days
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {base + 24}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{LIGHT}"/>',
    ]
    for i, value in enumerate(values):
        h = chart_h * value / top
        parts.append(
            f'<rect x="{i * step + 1:.1f}" y="{base - h:.1f}" width="{step - 2:.1f}" height="{h:.1f}" '
            f'fill="{GREEN}"><title>{dates[i].isoformat()}: {_number(value)}</title></rect>'
        )
    parts.append(
        f'<text x="0" y="{base + 18}" font-size="12" fill="{MUTED}">{dates[0].isoformat()}</text>'
        f'<text x="{width}" y="{base + 18}" font-size="12" text-anchor="end" fill="{MUTED}">'
        f"{dates[-1].isoformat()}</text>"
        f'<text x="{width}" y="14" font-size="12" text-anchor="end" fill="{MUTED}">max {_number(top)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def series(totals: dict[str, int], prefix: str, scale: float = 1) -> dict[str, float]:
    """The figures of totals whose names start with prefix, keyed by the rest of the name."""
    return {
        name.removeprefix(prefix): value / scale for name, value in totals.items() if name.startswith(prefix)
    }
