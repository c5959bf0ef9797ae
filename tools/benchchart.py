#!/usr/bin/env python3
"""Draw the headline benchmark (results.json from tests/headline) as an SVG.

    benchchart.py RESULTS.json OUTPUT.svg

One group of bars per kernel: the time per call of tier 0, tier 1, tier 2,
specialised code (when measured) and gcc -O3 -march=native -ffast-math,
each divided by gcc -O2's time on the same kernel, on a logarithmic axis.
The line at 1 is gcc -O2: a bar below it is faster than gcc -O2. Missing
tiers (no tier-2 pattern, no specialisation) have no bar. Standard library
only.
"""
import json
import math
import sys
from xml.sax.saxutils import escape

SERIES = [
    ("tier0_ns", "tier 0 (interpreter)", "#b0b0b0"),
    ("tier1_ns", "tier 1", "#6d9eeb"),
    ("tier2_ns", "tier 2", "#e06666"),
    ("spec_ns", "specialised", "#93c47d"),
    ("gcc_o3_ns", "gcc -O3 -march=native -ffast-math", "#f6b26b"),
]

WIDTH, HEIGHT = 960, 460
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 60, 110


class ChartError(Exception):
    pass


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ChartError(f"cannot read {path}: {e}")
    kernels = data.get("kernels")
    if not isinstance(kernels, list) or not kernels:
        raise ChartError(f"{path}: no 'kernels' list")
    for k in kernels:
        if not isinstance(k.get("gcc_o2_ns"), (int, float)) or k["gcc_o2_ns"] <= 0:
            raise ChartError(f"{path}: kernel {k.get('kernel')!r} has no gcc_o2_ns")
    return data


def ratios(kernel):
    """(series index, ratio to gcc -O2) for every measured series."""
    out = []
    for i, (field, _, _) in enumerate(SERIES):
        value = kernel.get(field)
        if isinstance(value, (int, float)) and value > 0:
            out.append((i, value / kernel["gcc_o2_ns"]))
    return out


def draw(data):
    kernels = data["kernels"]
    all_ratios = [r for k in kernels for _, r in ratios(k)] + [1.0]
    lo = math.floor(math.log10(min(all_ratios)))
    hi = math.ceil(math.log10(max(all_ratios)))
    if hi == lo:
        hi = lo + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(ratio):
        return TOP + plot_h * (hi - math.log10(ratio)) / (hi - lo)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">'
             f'BareFlow: time per call relative to gcc -O2 (log scale; lower is faster; '
             f'tier 2 ISA {escape(str(data.get("tier2_isa", "?")))})</text>']
    for e in range(lo, hi + 1):
        yy = y(10.0 ** e)
        parts.append(f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{WIDTH - RIGHT}" y2="{yy:.1f}" stroke="#e0e0e0"/>')
        label = f"{10.0 ** e:g}x"
        parts.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{label}</text>')
    group_w = plot_w / len(kernels)
    bar_w = group_w * 0.8 / len(SERIES)
    base = TOP + plot_h
    for g, kernel in enumerate(kernels):
        x0 = LEFT + g * group_w + group_w * 0.1
        for i, ratio in ratios(kernel):
            _, name, color = SERIES[i]
            top = y(ratio)
            parts.append(f'<rect x="{x0 + i * bar_w:.1f}" y="{top:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{base - top:.1f}" fill="{color}"><title>{escape(kernel["kernel"])} '
                         f'{escape(name)}: {ratio:.3g}x gcc -O2</title></rect>')
        parts.append(f'<text x="{LEFT + (g + 0.5) * group_w:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                     f'{escape(kernel["kernel"])}</text>')
    one = y(1.0)
    parts.append(f'<line x1="{LEFT}" y1="{one:.1f}" x2="{WIDTH - RIGHT}" y2="{one:.1f}" stroke="black" '
                 f'stroke-width="1.5" stroke-dasharray="6,3"/>')
    parts.append(f'<text x="{WIDTH - RIGHT - 4}" y="{one - 4:.1f}" text-anchor="end">gcc -O2 = 1x</text>')
    legend_y = HEIGHT - BOTTOM + 45
    x = LEFT
    for _, name, color in SERIES:
        parts.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y + 10}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv):
    if len(argv) != 3:
        print("usage: benchchart.py RESULTS.json OUTPUT.svg", file=sys.stderr)
        return 2
    try:
        svg = draw(load(argv[1]))
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write(svg)
    except (ChartError, OSError) as e:
        print(f"benchchart: {e}", file=sys.stderr)
        return 1
    print(f"chart written to {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
