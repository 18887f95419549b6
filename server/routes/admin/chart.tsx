/** @module Issuances over time as an SVG bar chart, built on the server (no script, no inline style). */

export interface ChartPoint {
  start: Date;
  count: number;
}

const W = 720, H = 180, PAD_L = 32, PAD_B = 22, PAD_T = 10;

/** Bars per bucket, a max-value gridline, and hour labels every few bars. All geometry is attributes. */
export function IssuanceChart(props: { points: ChartPoint[]; title: string }) {
  const { points } = props;
  const max = Math.max(1, ...points.map((p) => p.count));
  const plotW = W - PAD_L - 8, plotH = H - PAD_B - PAD_T;
  const step = plotW / Math.max(1, points.length);
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title} xmlns="http://www.w3.org/2000/svg">
      <title>{props.title}</title>
      <line x1={PAD_L} y1={PAD_T} x2={W - 8} y2={PAD_T} stroke="#e4e7ec" />
      <line x1={PAD_L} y1={PAD_T + plotH} x2={W - 8} y2={PAD_T + plotH} stroke="#98a2b3" />
      <text x={PAD_L - 4} y={PAD_T + 4} text-anchor="end">{max}</text>
      <text x={PAD_L - 4} y={PAD_T + plotH} text-anchor="end">0</text>
      {points.map((p, i) => {
        const h = (p.count / max) * plotH;
        const x = PAD_L + i * step + 1;
        return (
          <g key={i}>
            <rect
              x={x.toFixed(1)}
              y={(PAD_T + plotH - h).toFixed(1)}
              width={Math.max(1, step - 2).toFixed(1)}
              height={h.toFixed(1)}
              fill="#e32f4b"
            >
              <title>{`${p.start.toISOString().slice(0, 16).replace("T", " ")} UTC: ${p.count}`}</title>
            </rect>
            {i % labelEvery === 0 && (
              <text x={(x + step / 2).toFixed(1)} y={H - 6} text-anchor="middle">
                {p.start.toISOString().slice(11, 16)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
