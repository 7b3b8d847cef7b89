/** Inline SVG charts for the HTML report: a squarified treemap and horizontal/vertical bar charts. */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Squarified treemap layout (Bruls, Huizing, van Wijk): one rectangle per value, in the order given. */
export function squarify(values: number[], box: Rect): Rect[] {
  const out: Rect[] = new Array<Rect>(values.length);
  const total = values.reduce((a, b) => a + b, 0);
  if (total <= 0 || box.w <= 0 || box.h <= 0) return values.map(() => ({ x: box.x, y: box.y, w: 0, h: 0 }));
  const scale = (box.w * box.h) / total;
  const areas = values.map((v) => v * scale);
  let rect = { ...box };
  let i = 0;
  const worst = (row: number[], side: number): number => {
    const s = row.reduce((a, b) => a + b, 0);
    const max = Math.max(...row);
    const min = Math.min(...row);
    return Math.max((side * side * max) / (s * s), (s * s) / (side * side * min));
  };
  while (i < areas.length) {
    const side = Math.min(rect.w, rect.h);
    const row = [areas[i]!];
    let j = i + 1;
    while (j < areas.length && worst([...row, areas[j]!], side) <= worst(row, side)) row.push(areas[j++]!);
    const s = row.reduce((a, b) => a + b, 0);
    if (rect.w >= rect.h) {
      const w = rect.h > 0 ? s / rect.h : 0;
      let y = rect.y;
      row.forEach((a, k) => {
        const h = w > 0 ? a / w : 0;
        out[i + k] = { x: rect.x, y, w, h };
        y += h;
      });
      rect = { x: rect.x + w, y: rect.y, w: Math.max(0, rect.w - w), h: rect.h };
    } else {
      const h = rect.w > 0 ? s / rect.w : 0;
      let x = rect.x;
      row.forEach((a, k) => {
        const w = h > 0 ? a / h : 0;
        out[i + k] = { x, y: rect.y, w, h };
        x += w;
      });
      rect = { x: rect.x, y: rect.y + h, w: rect.w, h: Math.max(0, rect.h - h) };
    }
    i = j;
  }
  return out;
}

export interface TreemapLeaf {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  /** Tooltip text (plain). */
  readonly tip: string;
  /** A second label line (e.g. the size), drawn when the rectangle is tall enough. */
  readonly sub?: string;
}

export interface TreemapItem extends TreemapLeaf {
  /** Drawn inside the item's rectangle, under a label strip, when given. */
  readonly children?: TreemapLeaf[];
}

function label(x: number, y: number, w: number, text: string, cls: string): string {
  const maxChars = Math.max(0, Math.floor((w - 8) / 7));
  if (maxChars < 3) return '';
  const t = text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
  return `<text class="${cls}" x="${(x + 4).toFixed(1)}" y="${(y + 13).toFixed(1)}">${esc(t)}</text>`;
}

function leafSvg(it: TreemapLeaf, r: Rect, withLabel: boolean): string {
  if (r.w < 0.5 || r.h < 0.5) return '';
  return `<g class="cell"><title>${esc(it.tip)}</title>` +
    `<rect x="${r.x.toFixed(1)}" y="${r.y.toFixed(1)}" width="${r.w.toFixed(1)}" height="${r.h.toFixed(1)}" fill="${it.color}"/>` +
    (withLabel && r.h > 18 ? label(r.x, r.y, r.w, it.label, 'leaf') : '') +
    (withLabel && it.sub && r.h > 36 ? label(r.x, r.y + 16, r.w, it.sub, 'sub') : '') + '</g>';
}

/** A treemap as an SVG element: items (key families) subdivided into their children (types), labelled where they fit. */
export function treemapSvg(items: TreemapItem[], width: number, height: number): string {
  const rects = squarify(items.map((i) => i.value), { x: 0, y: 0, w: width, h: height });
  const cells = items.map((it, k) => {
    const r = rects[k]!;
    if (r.w < 0.5 || r.h < 0.5) return '';
    const kids = it.children?.filter((c) => c.value > 0) ?? [];
    if (kids.length <= 1 || r.w < 40 || r.h < 40) {
      return leafSvg(kids.length === 1 ? { ...kids[0]!, label: it.label, tip: it.tip, sub: it.sub } : it, r, true);
    }
    const strip = 18;
    const inner = { x: r.x + 2, y: r.y + strip, w: r.w - 4, h: r.h - strip - 2 };
    const sub = squarify(kids.map((c) => c.value), inner);
    return `<g class="group"><title>${esc(it.tip)}</title><rect x="${r.x.toFixed(1)}" y="${r.y.toFixed(1)}" width="${r.w.toFixed(1)}" ` +
      `height="${r.h.toFixed(1)}" fill="#3b4252"/>${label(r.x, r.y, r.w, it.label, 'group-label')}</g>` +
      kids.map((c, i) => leafSvg(c, sub[i]!, true)).join('');
  });
  return `<svg class="treemap" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="memory by key family">${cells.join('')}</svg>`;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
  readonly color?: string;
}

/** Horizontal bars with labels on the left and values on the right. */
export function hbarsSvg(bars: Bar[], width = 640): string {
  const rowH = 22;
  const labelW = 170;
  const textW = 150;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plotW = width - labelW - textW;
  const rows = bars.map((b, i) => {
    const y = i * rowH;
    const w = (b.value / max) * plotW;
    return `<g><title>${esc(`${b.label}: ${b.text}`)}</title>` +
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>` +
      `<rect x="${labelW}" y="${y + 4}" width="${Math.max(w, b.value > 0 ? 1 : 0).toFixed(1)}" height="${rowH - 8}" fill="${b.color ?? '#4e79a7'}"/>` +
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 15}">${esc(b.text)}</text></g>`;
  });
  return `<svg class="bars" viewBox="0 0 ${width} ${bars.length * rowH}" width="100%" style="max-width:${width}px">${rows.join('')}</svg>`;
}

/** Vertical bars (a histogram), labels under each bar. */
export function vbarsSvg(bars: Bar[], width = 640, height = 250): string {
  const bottom = 78;
  const top = 18;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const bw = width / Math.max(1, bars.length);
  const plotH = height - bottom - top;
  const cols = bars.map((b, i) => {
    const h = (b.value / max) * plotH;
    const x = i * bw;
    return `<g><title>${esc(`${b.label}: ${b.text}`)}</title>` +
      `<rect x="${(x + 3).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(bw - 6).toFixed(1)}" height="${Math.max(h, b.value > 0 ? 1 : 0).toFixed(1)}" fill="${b.color ?? '#59a14f'}"/>` +
      `<text x="${(x + bw / 2).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" text-anchor="middle" class="small">${esc(b.text)}</text>` +
      `<text transform="translate(${(x + bw / 2 + 4).toFixed(1)},${height - bottom + 12}) rotate(-30)" text-anchor="end" class="small">${esc(b.label)}</text></g>`;
  });
  return `<svg class="hist" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px">${cols.join('')}</svg>`;
}
