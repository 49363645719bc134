/**
 * The main table: ONE list of rows, each a metric with both targets' figures, their ratio, the
 * target it is held to and whether it was met. The text table and results.json's `targets` are
 * both rendered from it, so a target is written once.
 */
import type { Target } from './common';
import { cfg } from './config';
import type { IdleCurve, Open } from './phases';
import { fmt, type Summary } from './report';

export interface Measured {
  sum: Partial<Record<Target, Summary>>;
  open: Partial<Record<Target, Array<Open & { broken: string | null }>>>;
  idle: Partial<Record<Target, IdleCurve>>;
}

export interface Row {
  metric: string;
  project: string;
  reference: string;
  ratio: string;
  /** The target, as the table says it ('' for information only). */
  target: string;
  /** Whether it was met (null: not measured in this run); absent for information only. */
  met?: boolean | null;
  /** Its key in results.json's `targets`, for the rows that have a target there. */
  key?: string;
}

const ratioOf = (a?: number, b?: number) => (a !== undefined && b !== undefined && b ? a / b : NaN);
const finite = (x: number, ok: (x: number) => boolean) => (Number.isFinite(x) ? ok(x) : null);

/** The ratios results.json records (project / reference). */
export function ratios({ sum, idle }: Measured) {
  const [P, R] = [sum.project, sum.reference];
  return {
    throughput: ratioOf(P?.rate, R?.rate),
    cpuPerMessage: ratioOf(P?.cpuPerMessage, R?.cpuPerMessage),
    rssPerIdleSocket: ratioOf(idle.project?.rssPerSocketBytes, idle.reference?.rssPerSocketBytes),
    p99Closed: ratioOf(P?.p99, R?.p99),
  };
}

export function mainRows(m: Measured): Row[] {
  const { sum, open, idle } = m;
  const [P, R] = [sum.project, sum.reference];
  const r = ratios(m);
  const openAt = (t: Target, rate: number) => open[t]?.find((o) => o.offered === rate);
  const openSum = (t: Target, of: (o: Open) => number) => (open[t] ?? []).reduce((a, o) => a + of(o), 0);
  const lost = (t: Target) => (sum[t]?.lost ?? 0) + openSum(t, (o) => o.lost);
  const badOrder = (t: Target) => (sum[t]?.misordered ?? 0) + openSum(t, (o) => o.misordered + o.duplicates + o.subscribersEnded);
  const errors = (t: Target) => (sum[t]?.errors ?? 0) + openSum(t, (o) => o.errors);
  const both = (of: (s?: Summary) => number, d = 0) => ({ project: fmt(of(P), d), reference: fmt(of(R), d), ratio: fmt(ratioOf(of(P), of(R)), 2) });
  const o1000P = openAt('project', 1000);
  const o1000R = openAt('reference', 1000);
  const maxP = idle.project?.maxLive;
  return [
    { metric: 'messages/s (closed loop, median)', ...both((s) => s?.rate ?? NaN), target: '>= 0.80 (issue 17)', met: finite(r.throughput, (x) => x >= 0.8), key: 'throughput' },
    { metric: 'latency p50 ms (send -> subscriber)', ...both((s) => s?.p50 ?? NaN, 1), target: '' },
    { metric: 'latency p95 ms', ...both((s) => s?.p95 ?? NaN, 1), target: '' },
    { metric: 'latency p99 ms', ...both((s) => s?.p99 ?? NaN, 1), target: '' },
    { metric: 'server CPU µs/message', ...both((s) => s?.cpuPerMessage ?? NaN), target: '<= 1.25 (issue 17)', met: finite(r.cpuPerMessage, (x) => x <= 1.25), key: 'cpuPerMessage' },
    {
      metric: `RSS KB per idle subscribed socket (at ${cfg.idle})`,
      project: fmt((idle.project?.rssPerSocketBytes ?? NaN) / 1024, 1),
      reference: fmt((idle.reference?.rssPerSocketBytes ?? NaN) / 1024, 1),
      ratio: fmt(r.rssPerIdleSocket, 2),
      target: '<= 1.50',
      met: finite(r.rssPerIdleSocket, (x) => x <= 1.5),
      key: 'rssPerIdleSocket',
    },
    {
      metric: 'p99 ms at 1000 msg/s offered (open loop)',
      project: o1000P ? fmt(o1000P.latency.p99, 1) : 'not reached',
      reference: o1000R ? fmt(o1000R.latency.p99, 1) : 'not reached',
      ratio: fmt(ratioOf(o1000P?.latency.p99, o1000R?.latency.p99), 2),
      target: '<= 50 ms (project)',
      met: cfg.phases.has('open') && cfg.targets.includes('project') ? Boolean(o1000P && o1000P.latency.p99 <= 50 && !o1000P.broken) : null,
      key: 'p99At1000',
    },
    {
      metric: 'idle subscribed sockets held (max step)',
      project: fmt(maxP ?? NaN),
      reference: fmt(idle.reference?.maxLive ?? NaN),
      ratio: '',
      target: '>= 20000 (project)',
      met: idle.project ? (maxP ?? 0) >= 20000 : null,
      key: 'idle20k',
    },
    { metric: 'messages lost (all loads)', project: String(lost('project')), reference: String(lost('reference')), ratio: '', target: '0', met: lost('project') === 0 && badOrder('project') === 0, key: 'zeroLost' },
    { metric: 'gaps/duplicates/ended streams', project: String(badOrder('project')), reference: String(badOrder('reference')), ratio: '', target: '0' },
    { metric: 'sendMessage errors', project: String(errors('project')), reference: String(errors('reference')), ratio: '', target: '0' },
    { metric: 'startChat/s (setup, info)', ...both((s) => s?.startChatPerSecond ?? NaN), target: '' },
    { metric: 'machine busy % during rounds (info)', project: fmt((P?.machineBusy ?? NaN) * 100), reference: fmt((R?.machineBusy ?? NaN) * 100), ratio: '', target: '' },
  ];
}

const verdict = (row: Row) => (row.met === undefined ? '' : row.met === null ? 'n/a' : row.met ? 'met' : 'NOT met');

/** The rows as the text table shows them. */
export function tableRows(rows: Row[]): string[][] {
  return [['metric', 'project', 'reference', 'project/ref', 'target', 'verdict'], ...rows.map((r) => [r.metric, r.project, r.reference, r.ratio, r.target, verdict(r)])];
}

/** The rows as results.json's `targets`: key → met. */
export function targetsJson(rows: Row[]): Record<string, boolean | null> {
  return Object.fromEntries(rows.filter((r) => r.key).map((r) => [r.key!, r.met ?? null]));
}
