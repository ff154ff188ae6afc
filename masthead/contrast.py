"""WCAG contrast of every text on a page, as a browser paints it (Playwright page in, list out).

The browser computes the styles (inline, <style>, media queries, the color-scheme meta), so
the figures are the ones a reader of that scheme gets; the page script only composites the
backgrounds behind each text and applies WCAG 2.1's formula. Used by the tests and the proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AA_NORMAL = 4.5
AA_LARGE = 3.0  # 24 px, or 18.66 px bold (WCAG "large text")

# Every visible element with text of its own: foreground, composited background, ratio.
_SCRIPT = r"""
() => {
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => {  // "source over" compositing of two colours
    const a = top[3] + below[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    const mix = (i) => (top[i] * top[3] + below[i] * below[3] * (1 - top[3])) / a;
    return [mix(0), mix(1), mix(2), a];
  };
  const probe = document.createElement('div');
  probe.style.cssText = 'background-color: Canvas; color: CanvasText; display: none';
  document.body.appendChild(probe);
  const canvas = parse(getComputedStyle(probe).backgroundColor);
  probe.remove();
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = canvas;
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const hex = (c) => '#' + c.slice(0, 3)
    .map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    const own = [...element.childNodes].filter((n) => n.nodeType === 3)
      .map((n) => n.textContent).join('').trim();
    if (!own || element.getClientRects().length === 0) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
    const bg = background(element);
    const fg = over(parse(style.color), bg);
    const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    found.push({
      text: own.slice(0, 60), tag: element.tagName.toLowerCase(), color: hex(fg),
      background: hex(bg), ratio: (a + 0.05) / (b + 0.05),
      large: size >= 24 || (bold && size >= 18.66),
    });
  }
  return found;
}
"""


@dataclass(frozen=True)
class TextContrast:
    text: str
    tag: str
    color: str
    background: str
    ratio: float
    large: bool

    @property
    def required(self) -> float:
        return AA_LARGE if self.large else AA_NORMAL

    @property
    def passes(self) -> bool:
        return self.ratio >= self.required

    def __str__(self) -> str:
        return (
            f"{self.ratio:.2f}:1 (needs {self.required}) {self.color} on {self.background} "
            f"<{self.tag}> {self.text!r}"
        )


def text_contrast(page: Any) -> list[TextContrast]:
    """Every visible text of the page loaded in `page` (a Playwright Page), in document order."""
    return [TextContrast(**found) for found in page.evaluate(_SCRIPT)]


def below_aa(page: Any) -> list[TextContrast]:
    return [text for text in text_contrast(page) if not text.passes]
