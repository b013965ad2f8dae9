// chart.js -- a resident's readings over time, drawn by ECharts (npm `echarts`, copied to
// web/echarts.min.js by the build; loaded on first use): blood pressure with the BPHS 2017
// targets (below 140/90 mmHg, below 150/90 from the 65th birthday), fasting glucose with
// its target (below 7.0 mmol/L) and HbA1c. Canvas rendering, the tooltip drawn on the
// canvas too (no HTML from data). Whether a visit met its target is the visit's own outcome
// (the table); the dashed lines show the targets for reading the plot.
import { t } from './i18n.js';
import { h, note } from './util.js';

let loading = null;
function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  loading ||= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/web/echarts.min.js';
    s.onload = () => (window.echarts ? resolve(window.echarts) : reject(new Error('echarts')));
    s.onerror = () => { loading = null; s.remove(); reject(new Error('echarts')); };
    document.head.append(s);
  });
  return loading;
}

const DAY = 864e5;
// the day a person born on `date` turns n (29 February: 1 March in a common year)
function birthday(date, n) {
  const d = `${Number(date.slice(0, 4)) + n}${date.slice(4, 10)}`;
  return Number.isNaN(Date.parse(d)) ? Date.parse(d.slice(0, 8) + '28') + DAY : Date.parse(d);
}

// the x range of the plot: the visits' days, padded so one visit is a point in the middle
function range(days) {
  const lo = Date.parse(days[0]), hi = Date.parse(days[days.length - 1]);
  const pad = Math.max(15 * DAY, (hi - lo) * 0.04);
  return [lo - pad, hi + pad];
}

// a target line over [lo, hi] that steps from `before` to `after` on the day `from`
function targetLine([lo, hi], before, after, f = Infinity) {
  if (f <= lo) return [[lo, after], [hi, after]];
  if (f >= hi) return [[lo, before], [hi, before]];
  return [[lo, before], [f, before], [f, after], [hi, after]];
}

// a value axis that always shows `must` (the target) with some room around the data
const axis = (name, must, pad, extra = {}) => ({
  type: 'value', name, nameTextStyle: { align: 'left' },
  min: (v) => Math.floor(Math.min(v.min, must) - pad), max: (v) => Math.ceil(Math.max(v.max, must) + pad), ...extra,
});

function base(title) {
  return {
    animation: false,
    title: { text: title, left: 0, top: 0, textStyle: { fontSize: 14, fontWeight: 600 } },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { top: 24, left: 0, type: 'scroll', itemWidth: 18, textStyle: { fontSize: 11 } },
    grid: { left: 44, right: 44, top: 78, bottom: 30 },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
  };
}

const line = (name, color, data, extra = {}) => ({ name, type: 'line', data, color, symbolSize: 7, connectNulls: true, ...extra });
const target = (name, color, data) => ({
  name, type: 'line', data, color, symbol: 'none', silent: true,
  lineStyle: { type: 'dashed', width: 1.5 },
  endLabel: { show: true, formatter: (p) => '<' + p.value[1], color, fontSize: 11 },
});

function bpOption(visits, birthDate) {
  const v = visits.filter((x) => x.r.sbp !== undefined);
  const r = range(v.map((x) => x.date));
  const b65 = birthDate ? birthday(birthDate, 65) : Infinity;
  const o = base(t('chartBp'));
  const sbpTarget = targetLine(r, 140, 150, b65);
  o.yAxis = [axis('mmHg', Math.max(...sbpTarget.map((x) => x[1])), 10, { minInterval: 10 })];
  o.xAxis.min = r[0];
  o.xAxis.max = r[1];
  o.series = [
    line(t('sbp'), '#c4320a', v.map((x) => [x.date, x.r.sbp])),
    line(t('dbp'), '#1570ef', v.map((x) => [x.date, x.r.dbp])),
    target(t('targetSbp'), '#e28a74', sbpTarget),
    target(t('targetDbp'), '#7fa8e8', targetLine(r, 90, 90)),
  ];
  return o;
}

function glucoseOption(visits) {
  const f = visits.filter((x) => x.r.fpg !== undefined);
  const a = visits.filter((x) => x.r.hba1c !== undefined);
  const r = range([...f, ...a].map((x) => x.date).sort());
  const o = base(t('chartGlucose'));
  o.xAxis.min = r[0];
  o.xAxis.max = r[1];
  o.yAxis = [axis('mmol/L', 7, 1)];
  if (a.length) o.yAxis.push(axis('%', 6.5, 1, { splitLine: { show: false } }));
  o.series = [
    line(t('fpg'), '#7a5af8', f.map((x) => [x.date, x.r.fpg])),
    target(t('targetFpg'), '#b4a4f5', targetLine(r, 7.0, 7.0)),
  ];
  if (a.length) o.series.push(line(t('hba1c'), '#0b7a75', a.map((x) => [x.date, x.r.hba1c]), { yAxisIndex: 1 }));
  return o;
}

// Draw into `box` (in the background); returns the cleanup for the next page.
export function drawCharts(box, visits, birthDate) {
  const asc = visits.slice().sort((x, y) => x.date.localeCompare(y.date));
  const want = [];
  if (asc.some((x) => x.r.sbp !== undefined)) want.push(['chart-bp', () => bpOption(asc, birthDate)]);
  if (asc.some((x) => x.r.fpg !== undefined || x.r.hba1c !== undefined)) want.push(['chart-glucose', () => glucoseOption(asc)]);
  if (!want.length) return null;
  const holders = want.map(([id]) => h('div', { class: 'chart', id }));
  box.replaceChildren(h('h2', { text: t('chartTitle') }), ...holders, h('p', { class: 'muted small', id: 'target-note', text: t('targetNote') }));
  let charts = [], gone = false;
  const resize = () => charts.forEach((c) => c.resize());
  loadECharts().then((echarts) => {
    if (gone) return;
    charts = want.map(([, opt], i) => {
      const c = echarts.init(holders[i], null, { renderer: 'canvas' });
      c.setOption(opt());
      return c;
    });
    box.dataset.drawn = 'true';
    window.addEventListener('resize', resize);
  }).catch(() => { if (!gone) box.replaceChildren(h('h2', { text: t('chartTitle') }), note('bad', t('chartUnavailable'))); });
  return () => {
    gone = true;
    window.removeEventListener('resize', resize);
    charts.forEach((c) => c.dispose());
  };
}

