import { useCallback, useEffect, useState } from 'react';
import { ConsoleAllAgentsDocument, ConsoleMetricsDocument, type ConsoleMetricsFragment } from '../generated/console';
import { AgentForm, type ManagedAgent } from './AgentForm';
import { useStore } from './hooks';
import type { ConsoleStore } from './store';

type Metrics = ConsoleMetricsFragment;
interface Day {
  label: string;
  metrics: Metrics;
}

const DAY = 24 * 3600 * 1000;

/** Supervisors: the team's presence and load (live), and agentMetrics with a chart of the last 7 days. */
export function Team({ store }: { store: ConsoleStore }) {
  useStore(store);
  const [team, setTeam] = useState<Metrics | null>(null);
  const [days, setDays] = useState<Day[]>([]);
  const [perAgent, setPerAgent] = useState<Map<string, Metrics>>(new Map());
  const [error, setError] = useState<string | null>(null);
  // Running the team (team extension): every agent, deactivated ones included, and the open form.
  const [all, setAll] = useState<ManagedAgent[]>([]);
  const [editing, setEditing] = useState<ManagedAgent | 'new' | null>(null);
  const loadAll = useCallback(async () => {
    const { allAgents } = await store.call(ConsoleAllAgentsDocument, {});
    setAll(allAgents);
  }, [store]);
  useEffect(() => {
    void loadAll().catch((err: Error) => setError(err.message));
  }, [loadAll]);
  const deactivated = all.filter((a) => !a.active);
  const agents = Array.from(store.agents.values())
    .filter((a) => all.find((x) => x.id === a.id)?.active !== false)
    .sort((a, b) => a.name.localeCompare(b.name));
  const edit = (id: string) => {
    const found = all.find((a) => a.id === id);
    if (found) setEditing(found);
  };
  const agentIds = agents.map((a) => a.id).join(',');

  const load = useCallback(async () => {
    try {
      const end = new Date();
      const startOfToday = new Date(end.getFullYear(), end.getMonth(), end.getDate()).getTime();
      const windows = Array.from({ length: 7 }, (_, i) => {
        const from = new Date(startOfToday - (6 - i) * DAY);
        const to = i === 6 ? end : new Date(from.getTime() + DAY);
        return { from, to, label: from.toLocaleDateString([], { weekday: 'short' }) };
      });
      const [total, ...daily] = await Promise.all([
        store.call(ConsoleMetricsDocument, { agentId: null, from: windows[0].from.toISOString(), to: end.toISOString() }),
        ...windows.map((w) => store.call(ConsoleMetricsDocument, { agentId: null, from: w.from.toISOString(), to: w.to.toISOString() })),
      ]);
      const mine = await Promise.all(
        agentIds
          .split(',')
          .filter(Boolean)
          .slice(0, 50)
          .map((id) => store.call(ConsoleMetricsDocument, { agentId: id, from: windows[0].from.toISOString(), to: end.toISOString() })),
      );
      setTeam(total.agentMetrics);
      setDays(daily.map((d, i) => ({ label: windows[i].label, metrics: d.agentMetrics })));
      setPerAgent(new Map(mine.map((m) => [m.agentMetrics.agentId ?? '', m.agentMetrics])));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [store, agentIds]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 30_000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <main className="team" data-testid="sb-team">
      <section aria-labelledby="presence-title">
        <h2 id="presence-title">
          Team{' '}
          <button type="button" className="ghost small" data-testid="sb-team-add" onClick={() => setEditing('new')}>
            Add agent
          </button>
        </h2>
        {editing && (
          <AgentForm
            store={store}
            agent={editing === 'new' ? null : editing}
            onDone={(saved) => {
              setEditing(null);
              if (saved) void Promise.all([loadAll(), store.refreshAgents()]).catch((err: Error) => setError(err.message));
            }}
          />
        )}
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Presence</th>
              <th scope="col">Load</th>
              <th scope="col">Assigned (7 d)</th>
              <th scope="col">Closed</th>
              <th scope="col">First response</th>
              <th scope="col">Rating</th>
              <th scope="col">
                <span className="sr-only">Edit</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => {
              const m = perAgent.get(a.id);
              return (
                <tr key={a.id} data-testid="sb-agent-row" data-agent-id={a.id}>
                  <th scope="row">
                    {a.name}
                    {a.role === 'SUPERVISOR' ? <span className="tag">supervisor</span> : null}
                    {a.skills.length ? <span className="sub"> {a.skills.join(', ')}</span> : null}
                  </th>
                  <td>
                    <Presence agent={a} />
                  </td>
                  <td>
                    <span className="load" aria-label={`${a.activeChats} of ${a.maxConcurrentChats} chats`}>
                      <span className="load-bar" style={{ width: `${Math.min(100, (100 * a.activeChats) / Math.max(1, a.maxConcurrentChats))}%` }} />
                    </span>{' '}
                    {a.activeChats}/{a.maxConcurrentChats}
                  </td>
                  <td>{m?.chatsAssigned ?? '–'}</td>
                  <td>{m?.chatsClosed ?? '–'}</td>
                  <td>{seconds(m?.avgFirstResponseSeconds)}</td>
                  <td>{m?.avgRating != null ? m.avgRating.toFixed(1) : '–'}</td>
                  <td>
                    <button type="button" className="ghost small" data-testid="sb-agent-edit" onClick={() => edit(a.id)}>
                      Edit
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {deactivated.length > 0 && (
          <>
            <h3>Deactivated</h3>
            <ul className="deactivated">
              {deactivated.map((a) => (
                <li key={a.id} data-testid="sb-agent-row" data-agent-id={a.id} data-active="false">
                  {a.name} <span className="sub">{a.email}</span>{' '}
                  <button type="button" className="ghost small" data-testid="sb-agent-edit" onClick={() => setEditing(a)}>
                    Edit
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section aria-labelledby="metrics-title">
        <h2 id="metrics-title">
          Last 7 days{' '}
          <button type="button" className="ghost small" onClick={() => void load()}>
            Refresh
          </button>
        </h2>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {team && (
          <dl className="cards" data-testid="sb-metrics">
            <Card label="Chats assigned" value={String(team.chatsAssigned)} />
            <Card label="Chats closed" value={String(team.chatsClosed)} />
            <Card label="Resolution rate" value={team.resolutionRate == null ? '–' : `${Math.round(team.resolutionRate * 100)}%`} />
            <Card label="First response" value={seconds(team.avgFirstResponseSeconds)} />
            <Card label="Response time" value={seconds(team.avgResponseSeconds)} />
            <Card label="Rating" value={team.avgRating == null ? '–' : `${team.avgRating.toFixed(1)} / 5`} />
            <Card label="Messages sent" value={String(team.messagesSent)} />
            <Card label="Abandoned in the queue" value={String(team.chatsAbandoned ?? 0)} testId="sb-abandoned" />
          </dl>
        )}
        {days.length > 0 && <Chart days={days} />}
      </section>
    </main>
  );
}

/**
 * One presence indicator, saying what routing sees: only "online" (ONLINE and connected) gets
 * chats; "online, not connected" is ONLINE with no console open; then away, offline.
 */
export function presenceOf(a: { status: string; online: boolean }): { state: string; label: string } {
  if (a.status === 'ONLINE') return a.online ? { state: 'available', label: 'online' } : { state: 'unreachable', label: 'online, not connected: gets no chats' };
  if (a.status === 'AWAY') return { state: 'away', label: 'away' };
  return { state: 'offline', label: 'offline' };
}

function Presence({ agent }: { agent: { status: string; online: boolean } }) {
  const p = presenceOf(agent);
  return (
    <span className="presence" data-testid="sb-presence" data-state={p.state}>
      <span className={`pdot ${p.state}`} aria-hidden="true" /> {p.label}
    </span>
  );
}

function Card({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="card" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function Chart({ days }: { days: Day[] }) {
  const width = 560;
  const height = 180;
  const pad = { top: 14, bottom: 26, left: 28 };
  const highest = Math.max(1, ...days.map((d) => Math.max(d.metrics.chatsAssigned, d.metrics.chatsClosed)));
  // A round top, so that the gridlines fall on whole numbers.
  const max = highest <= 4 ? highest : Math.ceil(highest / 4) * 4;
  const ticks = Array.from(new Set([0, max / 2, max].filter(Number.isInteger)));
  const slot = (width - pad.left) / days.length;
  const bar = Math.min(18, slot / 3);
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const summary = days.map((d) => `${d.label}: ${d.metrics.chatsAssigned} assigned, ${d.metrics.chatsClosed} closed`).join('; ');
  return (
    <figure className="chart" data-testid="sb-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Chats per day. ${summary}`}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={pad.left} x2={width} y1={y(v)} y2={y(v)} className="gridline" />
            <text x={pad.left - 6} y={y(v) + 4} textAnchor="end" className="axis">
              {v}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const x = pad.left + slot * i + slot / 2;
          return (
            <g key={i}>
              <rect x={x - bar - 1} y={y(d.metrics.chatsAssigned)} width={bar} height={y(0) - y(d.metrics.chatsAssigned)} className="bar assigned">
                <title>{`${d.label}: ${d.metrics.chatsAssigned} assigned`}</title>
              </rect>
              <rect x={x + 1} y={y(d.metrics.chatsClosed)} width={bar} height={y(0) - y(d.metrics.chatsClosed)} className="bar closed">
                <title>{`${d.label}: ${d.metrics.chatsClosed} closed`}</title>
              </rect>
              <text x={x} y={height - 8} textAnchor="middle" className="axis">
                {d.label}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span className="key assigned" /> assigned <span className="key closed" /> closed
      </figcaption>
    </figure>
  );
}

function seconds(value: number | null | undefined): string {
  if (value == null) return '–';
  if (value < 90) return `${Math.round(value)} s`;
  return `${(value / 60).toFixed(1)} min`;
}
