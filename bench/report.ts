/** The results as people read them: rounds summarised, markdown tables, the README's block. */
import fs from 'node:fs';
import path from 'node:path';
import { median } from './common';
import { cfg, log, ROOT } from './config';
import type { Closed } from './phases';
import type { Measured } from './targets';

export const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

export interface Summary {
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  cpuPerMessage: number;
  lost: number;
  errors: number;
  misordered: number;
  startChatPerSecond: number;
  machineBusy: number;
  clientCpuPerMessage: number;
}

export function summarizeRounds(rounds: Closed[]): Summary {
  return {
    rate: median(rounds.map((r) => r.rate)),
    p50: median(rounds.map((r) => r.latency.p50)),
    p95: median(rounds.map((r) => r.latency.p95)),
    p99: median(rounds.map((r) => r.latency.p99)),
    cpuPerMessage: median(rounds.map((r) => r.serverCpuMicros / Math.max(1, r.sent))),
    lost: rounds.reduce((a, r) => a + r.lost, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    misordered: rounds.reduce((a, r) => a + r.misordered + r.duplicates + r.subscribersEnded, 0),
    startChatPerSecond: median(rounds.map((r) => r.setup.startChatPerSecond)),
    machineBusy: median(rounds.map((r) => r.machineBusy)),
    clientCpuPerMessage: median(rounds.map((r) => r.clientCpuMicros / Math.max(1, r.sent))),
  };
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The README shows the latest full run's table, between markers. */
export function updateReadme(text: string): void {
  const file = path.join(ROOT, 'bench', 'README.md');
  if (!fs.existsSync(file)) return;
  const readme = fs.readFileSync(file, 'utf8');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) return;
  fs.writeFileSync(file, `${readme.slice(0, a + start.length)}\n\`\`\`\n${text}\n\`\`\`\n${readme.slice(b)}`);
  log('bench/README.md updated');
}

/** The open-loop curve: per offered rate, each target's achieved rate, p50 and p99. */
export function curveTable(open: Measured['open']): string[][] {
  const rows: string[][] = [['open loop offered msg/s', ...cfg.targets.flatMap((t) => [`${t} achieved`, `${t} p50 ms`, `${t} p99 ms`])]];
  for (const rate of cfg.rates) {
    rows.push([
      String(rate),
      ...cfg.targets.flatMap((t) => {
        const o = open[t]?.find((x) => x.offered === rate);
        if (!o) return ['-', '-', '-'];
        return [fmt(o.rate) + (o.broken ? ' (broke)' : ''), fmt(o.latency.p50, 1), fmt(o.latency.p99, 1)];
      }),
    ]);
  }
  return rows;
}

/** The idle curve: per step, each target's live sockets, RSS and KB per socket, then the baselines. */
export function idleTable(idle: Measured['idle']): string[][] {
  const rows: string[][] = [['idle sockets', ...cfg.targets.flatMap((t) => [`${t} live`, `${t} RSS MB`, `${t} KB/socket`])]];
  for (const n of cfg.idleSteps) {
    rows.push([
      String(n),
      ...cfg.targets.flatMap((t) => {
        const c = idle[t];
        const p = c?.points.find((x) => x.requested === n || (x.capped && n > x.requested && x === c.points[c.points.length - 1]));
        if (!c || !p) return ['-', '-', '-'];
        return [String(p.live) + (p.capped ? '*' : ''), fmt(p.rssBytes / 1048576), fmt((p.rssBytes - c.baselineRss) / Math.max(1, p.live) / 1024, 1)];
      }),
    ]);
  }
  for (const t of cfg.targets) if (idle[t]) rows.push([`baseline (${t})`, ...cfg.targets.flatMap((u) => (u === t ? ['0', fmt(idle[t]!.baselineRss / 1048576), ''] : ['', '', '']))]);
  return rows;
}
