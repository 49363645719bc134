/**
 * Shared by the benchmark's orchestrator, load generators and reference server: the GraphQL
 * documents both servers answer, /proc readers and statistics. A yardstick, not product code.
 */
import fs from 'node:fs';

/** The three operations, byte-for-byte the same against the project and the reference. */
export const START_CHAT = `mutation StartChat($input: StartChatInput!) {
  startChat(input: $input) { visitorToken session { id lastSeq customer { id } } }
}`;

export const SEND_MESSAGE = `mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) { id seq clientMessageId createdAt }
}`;

export const MESSAGE_ADDED = `subscription MessageAdded($sessionId: ID!, $afterSeq: Int) {
  messageAdded(sessionId: $sessionId, afterSeq: $afterSeq) { id sessionId seq author authorName body clientMessageId createdAt }
}`;

export type Target = 'project' | 'reference';

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts in these ticks.

/** User + system CPU of a whole process (all threads), in microseconds. */
export function cpuMicros(pid: number): number {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/** User and system CPU of a whole process (all threads), in microseconds. */
export function cpuSplit(pid: number): { user: number; system: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces; fields after ") " are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1_000_000) / CLK_TCK, system: (Number(fields[12]) * 1_000_000) / CLK_TCK };
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Number of open file descriptors of a process. */
export function openFds(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** The soft "Max open files" limit of a process. */
export function fdLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits);
  const n = (v: string | undefined) => (v === undefined ? NaN : v === 'unlimited' ? Infinity : Number(v));
  return { soft: n(match?.[1]), hard: n(match?.[2]) };
}

/** Whole-machine busy fraction between two samples of /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Latency summary in milliseconds from raw samples (milliseconds). */
export function summarize(samples: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const sorted = samples.slice().sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean,
  };
}

/** Messages exchanged between the orchestrator and its load generators over the IPC channel. */
export type LoadCommand =
  | { cmd: 'setup'; url: string; wsUrl: string; sessions: number; concurrency: number; localAddresses: string[] }
  | { cmd: 'closed'; senders: number; seconds: number; serverPid: number; drainMs: number }
  | { cmd: 'open'; rate: number; seconds: number; serverPid: number; drainMs: number; maxInFlight: number }
  | { cmd: 'idle'; wsUrl: string; token: string; sessionIds: string[]; concurrency: number; localAddresses: string[] }
  | { cmd: 'status' }
  | { cmd: 'exit' };

export interface LoadResult {
  /** Messages acknowledged by sendMessage during the window. */
  sent: number;
  /** Acknowledged messages the subscriber never received (must be 0). */
  lost: number;
  /** Deliveries out of seq order or repeated (must be 0). */
  misordered: number;
  duplicates: number;
  /** sendMessage calls that failed (HTTP or GraphQL error). */
  errors: number;
  errorSamples: string[];
  seconds: number;
  rate: number;
  /** Send to subscriber receipt, milliseconds. */
  latency: ReturnType<typeof summarize>;
  /** Send to HTTP response, milliseconds. */
  response: ReturnType<typeof summarize>;
  /** Server process CPU during the sending window (user + system), and its system part. */
  serverCpuMicros: number;
  serverSysMicros: number;
  /** Whole machine busy fraction during the window. */
  machineBusy: number;
  /** Load generator's own CPU during the window (µs). */
  clientCpuMicros: number;
  /** Hot subscribers the server ended (must be 0). */
  subscribersEnded: number;
  subscribersEndedSamples: string[];
}

/** A load generator's side of the IPC: says it is ready, then answers each command with its call's id. */
export function serveCommands<C extends { cmd: string; id?: number }>(handle: (msg: C) => Promise<unknown>): void {
  process.on('message', (msg: C) => {
    handle(msg).then(
      (result) => process.send?.({ ok: true, result, id: msg.id }),
      (error: unknown) => process.send?.({ ok: false, error: (error as Error)?.stack ?? String(error), id: msg.id }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ok: true, result: { ready: true, pid: process.pid } });
}
