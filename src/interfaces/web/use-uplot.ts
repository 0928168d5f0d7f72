/**
 * A uPlot chart in a box of the page: made anew when what it draws changes, kept as wide
 * as its box, and counting its draws on the box (`data-drawn`, `data-points`) so tests can
 * tell when a chart shows new data.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

/** Narrower than this, a chart's axes crowd out its data. */
const MIN_WIDTH = 200;

/**
 * `options` and `data` are read only when `shape` changes, so `shape` must name all the
 * options depend on, the height included; new data alone goes in by `plot.current.setData`.
 */
export function useUplot(shape: string, height: number, options: () => Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts = options();
    let draws = 0;
    const counted = (u: uPlot) => {
      el.dataset.drawn = String(++draws);
      el.dataset.points = String(u.data[0]?.length ?? 0);
    };
    const hooks = { ...opts.hooks, draw: [counted, ...(opts.hooks?.draw ?? [])] };
    const u = new uPlot({ ...opts, width: Math.max(MIN_WIDTH, el.clientWidth), height, hooks }, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(MIN_WIDTH, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  return { box, plot };
}
