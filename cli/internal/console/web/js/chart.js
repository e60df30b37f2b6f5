// chart.js: a hand-written SVG bar chart of a rate per period against its target.
import { svg } from './dom.js';

// bars draws points [{label, value, flagged}] as bars on a 0–100% scale, with the target as a
// dashed line; every bar has a <title> so its value reads on hover.
export function bars(points, target, opts = {}) {
  const W = 340, H = 180, L = 36, B = 28, T = 10;
  const n = Math.max(points.length, 1), bw = (W - L - 8) / n;
  const y = v => T + (H - T - B) * (1 - Math.max(0, Math.min(1, v)));
  const g = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': opts.label || '', 'data-kpi': opts.kpi || '' });
  for (const v of [0, 0.5, 1]) {
    g.append(svg('line', { class: 'axis', x1: L, x2: W - 4, y1: y(v), y2: y(v) }), svg('text', { x: 2, y: y(v) + 4 }, `${v * 100}%`));
  }
  points.forEach((p, i) => {
    const x = L + i * bw + 3, top = y(p.value || 0);
    g.append(svg('rect', { class: p.flagged ? 'bar flag' : 'bar', x, y: top, width: Math.max(bw - 6, 2), height: y(0) - top, 'data-value': p.value ?? '', 'data-sample': p.sample ?? 0 },
      svg('title', {}, `${p.label}: ${((p.value || 0) * 100).toFixed(1)}% (${p.sample || 0})`)));
    g.append(svg('text', { x: x + 2, y: H - 10 }, p.label));
  });
  if (target !== undefined && target !== null) {
    g.append(svg('line', { class: 'target', x1: L, x2: W - 4, y1: y(target), y2: y(target), 'data-target': target }),
      svg('text', { x: W - 60, y: y(target) - 3, class: 'target-label' }, `${opts.targetLabel || ''} ${(target * 100).toFixed(0)}%`));
  }
  return g;
}
