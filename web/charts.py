"""Geometry of the dashboard's server-rendered SVG bar charts: values to bar rectangles.
Presentation only; the figures come from the selectors."""

from decimal import Decimal

WIDTH, HEIGHT, LABEL_ROOM, MARGIN = 600, 160, 20, 40  # margin: room for a centred label


def bar_chart(points: list[tuple[str, Decimal]], *, label_every: int = 1) -> dict:
    """`points`: (label, value) in order. Each bar gets its rectangle; negative values
    (a day of cancelled receipts) are drawn as empty bars."""
    peak = max((value for _label, value in points), default=Decimal(0))
    slot = WIDTH / max(len(points), 1)
    bars = []
    for n, (label, value) in enumerate(points):
        height = float(value / peak) * HEIGHT if peak > 0 and value > 0 else 0.0
        bars.append({
            "label": label, "value": value,
            "x": round(n * slot + slot * 0.15, 1), "width": round(slot * 0.7, 1),
            "y": round(HEIGHT - height, 1), "height": round(height, 1),
            "text_x": round(n * slot + slot / 2, 1),
            # Counted from the newest bar, so the last one is always labelled.
            "show_label": (len(points) - 1 - n) % label_every == 0,
        })
    return {"bars": bars, "width": WIDTH, "height": HEIGHT + LABEL_ROOM,
            "view_box": f"{-MARGIN} 0 {WIDTH + 2 * MARGIN} {HEIGHT + LABEL_ROOM}",
            "baseline": HEIGHT, "label_y": HEIGHT + LABEL_ROOM - 4}
