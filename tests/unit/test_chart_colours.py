"""Every chart's colours stay apart for colour-blind readers and stand out against the white page.

Colour vision deficiency is simulated as Machado, Oliveira and Fernandes (2009) do, at severity 1.0 (protanopia,
deuteranopia, tritanopia), on linear RGB; colours are then compared in CIELAB (D65) by the CIE76 difference. The
colours come from each chart function's own spec, so a new colour in a chart is checked without a change here.
"""

from __future__ import annotations

import functools
import itertools
import math

import pytest
from test_charts import every_chart

from sots.chapters import charts, palette, statuses

pytestmark = pytest.mark.unit

# Machado et al. (2009), table of simulation matrices, severity 1.0, applied to linear RGB.
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
# CIE76 ΔE of about 2.3 is one just-noticeable difference for large patches side by side. Chart marks are small and
# seen apart (a line here, a legend swatch there), and Szafir (2017, "Modeling color difference for visualization
# design") finds the difference needed grows several-fold for small marks; 10, about four JNDs, is the floor here.
MIN_DELTA_E = 10.0
MIN_CONTRAST = 3.0  # WCAG 2.1 SC 1.4.11, non-text contrast, against the white page
# A mark this see-through is shading behind other marks (the fan's 80% interval), not a mark to tell apart by colour:
# its edges are the interval's values, given in the caption and the tooltip.
SHADING_OPACITY = 0.5


def linear(hex_colour: str) -> tuple[float, float, float]:
    """sRGB "#RRGGBB" as linear RGB, each channel 0 to 1."""
    channels = (int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)


def simulate(rgb: tuple[float, float, float], kind: str) -> tuple[float, float, float]:
    """Linear RGB as seen with ``kind`` of colour blindness (clipped to the displayable range)."""
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb)))) for row in MACHADO[kind])


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """Linear RGB (sRGB primaries) as CIELAB under D65."""
    r, g, b = rgb
    xyz = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b, 0.2126729 * r + 0.7151522 * g + 0.0721750 * b,
           0.0193339 * r + 0.1191920 * g + 0.9503041 * b)

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / n) for v, n in zip(xyz, (0.95047, 1.0, 1.08883)))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e(a: str, b: str, kind: str | None = None) -> float:
    """CIE76 difference of two colours, as seen with ``kind`` of colour blindness (None: typical vision)."""
    seen = (linear(c) if kind is None else simulate(linear(c), kind) for c in (a, b))
    return math.dist(*map(lab, seen))


def contrast(colour: str, background: str = "#FFFFFF") -> float:
    """WCAG contrast ratio of two colours."""
    def luminance(c: str) -> float:
        r, g, b = linear(c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mark_colours(spec) -> set[str]:
    """The colours a Vega-Lite spec draws marks in: marks' own, encodings' fixed and conditional values and colour
    scales' ranges, through layers, facets and concatenations; see-through shading left out."""
    found: set[str] = set()
    if isinstance(spec, dict):
        mark = spec.get("mark")
        if isinstance(mark, dict) and mark.get("opacity", 1) >= SHADING_OPACITY:
            found |= {mark[k] for k in ("color", "fill", "stroke") if isinstance(mark.get(k), str)}
        shading = isinstance(mark, dict) and mark.get("opacity", 1) < SHADING_OPACITY
        for channel in ("color", "fill", "stroke"):
            enc = spec.get("encoding", {}).get(channel, {})
            if shading:
                continue
            found |= {v for v in (enc.get("value"), enc.get("condition", {}).get("value")) if isinstance(v, str)}
            found |= set(enc.get("scale", {}).get("range", []))
        for key, value in spec.items():
            if key not in ("mark", "encoding", "datasets"):
                found |= mark_colours(value)
    elif isinstance(spec, list):
        for item in spec:
            found |= mark_colours(item)
    return found


@functools.cache
def chart_colours() -> dict[str, set[str]]:
    """Each chart function's colours over all its branches."""
    return {name: set().union(*(mark_colours(c.to_dict()) for c in made)) for name, made in every_chart().items()}


def worst_pair(colours: set[str]) -> tuple[float, str, str, str]:
    """The least ΔE between two of ``colours`` under any simulated colour blindness (or typical vision)."""
    return min((delta_e(a, b, kind), kind or "typical", a, b)
               for a, b in itertools.combinations(sorted(colours), 2) for kind in (None, *MACHADO))


def test_the_colour_maths_has_its_known_answers():
    assert contrast("#000000") == pytest.approx(21.0) and contrast("#FFFFFF") == pytest.approx(1.0)
    assert contrast("#767676") == pytest.approx(4.54, abs=0.01)  # the lightest grey with 4.5:1 on white
    assert lab(linear("#FFFFFF")) == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert delta_e("#000000", "#FFFFFF") == pytest.approx(100.0, abs=0.01)
    # Pure red seen by a protanope is the matrix's first column; and pure red and green, 171 apart for typical
    # vision, fall to under 30 for a deuteranope, while a tritanope still tells them apart.
    assert simulate(linear("#FF0000"), "protanopia") == pytest.approx((0.152286, 0.114503, 0.0))
    assert [round(delta_e("#FF0000", "#00FF00", k), 1) for k in (None, *MACHADO)] == [170.6, 65.9, 27.8, 153.2]
    # The claims chart's old green and red: 102 apart for typical vision, 15 for a protanope.
    assert round(delta_e("#00703C", "#B10E1E", "protanopia"), 1) == 15.2


def test_every_chart_finds_its_colours():
    colours = chart_colours()
    assert set(colours) == set(every_chart())
    assert {charts.FOCAL, charts.OTHERS} <= colours["ranked_bar"]
    assert set(charts.CATEGORICAL) <= colours["band_lines"] and charts.FOCAL not in colours["band_lines"]
    assert (colours["status_bars"] >= set(statuses.STATUS_COLOURS.values())
            and charts.FOCAL not in colours["status_bars"])


@pytest.mark.parametrize("name", sorted(every_chart()))
def test_every_pair_of_a_charts_colours_stays_apart_for_colour_blind_readers(name):
    colours = chart_colours()[name]
    if len(colours) > 1:
        worst = worst_pair(colours)
        assert worst[0] >= MIN_DELTA_E, f"{name}: {worst}"


@pytest.mark.parametrize("name", sorted(every_chart()))
def test_every_mark_colour_has_3_to_1_contrast_on_white(name):
    low = {c: round(contrast(c), 2) for c in chart_colours()[name] if contrast(c) < MIN_CONTRAST}
    assert low == {}, name


def test_the_palette_itself_is_apart_and_visible():
    # Every categorical colour against every other and against the highlight and the grey: any two may meet.
    every = {*palette.PALETTE.values(), charts.FOCAL, charts.OTHERS}
    assert all(contrast(c) >= MIN_CONTRAST for c in every)
    assert worst_pair(set(charts.CATEGORICAL) | {charts.REFERENCE})[0] >= MIN_DELTA_E
    assert worst_pair(set(statuses.STATUS_COLOURS.values()))[0] >= MIN_DELTA_E
