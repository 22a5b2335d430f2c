"""The trend chart made small enough for a Teams message.

Teams sends an inline image inside the message, base64-encoded, and refuses a bot message over
about 28 KB. The chart :mod:`nudgebot.chart` draws is a full-colour PNG of some 40 KB; a chart
of lines, bars and text needs few colours, so :func:`teams_png` stores it with a palette (256
colours, then fewer) until it fits :data:`MAX_IMAGE_BYTES` (measured: a 30-day chart of 49 KB
becomes 18 KB, a 365-day one of 53 KB 16 KB; shrinking the image in pixels saves less than
dropping colours). Pillow (which matplotlib draws with) is imported only when a chart is made
smaller.
"""

from __future__ import annotations

import io

__all__ = ["MAX_IMAGE_BYTES", "teams_png"]

MAX_IMAGE_BYTES = 18_000
"""A PNG this size is about 24 KB in base64: its message stays within Teams' limit."""
_COLOURS = (256, 64, 32, 16)


def teams_png(png: bytes, limit: int = MAX_IMAGE_BYTES) -> bytes | None:
    """Return ``png`` as it is if it fits ``limit`` bytes, else with a palette; None if no fit.

    The image keeps its size in pixels; only its colours are reduced (to 256, then 64, 32
    and 16), which a chart's lines, bars and text survive.
    """
    if len(png) <= limit:
        return png
    from PIL import Image  # only when a chart is made smaller

    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
    for colours in _COLOURS:
        out = io.BytesIO()
        rgb.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(
            out, "PNG", optimize=True
        )
        if out.tell() <= limit:
            return out.getvalue()
    return None
