import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { Actor } from './policies';
import type { App } from './app';
import * as customers from './db/customers';
import type { Agent, Customer } from './entities';

/** Who is calling and with what: built per HTTP request, and per operation on a WebSocket. */
export interface Context {
  viewer: Actor;
  app: App;
  /** HTTP: one fork per request (made on first use). WebSocket: a fresh fork on every access (events are long apart). */
  readonly em: EntityManager;
  ip: string;
  /** The request's User-Agent header (HTTP request, or the WebSocket's upgrade), for the visitor's context. */
  userAgent: string | null;
  loaders: Loaders;
  /** WebSocket: what a subscription's feed calls when it overflows (close this socket as a slow consumer). */
  onSlowConsumer?: () => void;
}

export interface Loaders {
  customer: DataLoader<string, Customer | null>;
  agent: DataLoader<string, Agent | null>;
  online(): Promise<Set<string>>;
}

/** Batches field lookups within a tick; `cache` false for WebSocket contexts (no stale reads). */
export function createLoaders(app: App, em: () => EntityManager, cache: boolean): Loaders {
  let online: Promise<Set<string>> | undefined;
  return {
    customer: new DataLoader(
      async (ids) => {
        const byId = new Map((await customers.byIds(em(), ids)).map((c) => [c.id, c]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache },
    ),
    agent: new DataLoader(
      async (ids) => {
        const byId = new Map((await app.reads.agentsByIds(em(), ids)).map((a) => [a.id, a]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache },
    ),
    online() {
      if (!cache) return app.presence.onlineIds();
      online ??= app.presence.onlineIds();
      return online;
    },
  };
}

/**
 * HTTP: one fork per request, made on first use (most requests, sendMessage among them, need
 * none), loaders caching for the request. WebSocket: a fresh fork on every access and loaders
 * that do not cache, since a subscription's events are long apart.
 */
export function httpContext(app: App, viewer: Actor, ip: string, userAgent: string | null = null): Context {
  let em: EntityManager | undefined;
  return buildContext(app, viewer, ip, userAgent, () => (em ??= app.orm.em.fork() as EntityManager), true);
}

export function wsContext(app: App, viewer: Actor, ip: string, onSlowConsumer?: () => void, userAgent: string | null = null): Context {
  return Object.assign(buildContext(app, viewer, ip, userAgent, () => app.orm.em.fork() as EntityManager, false), { onSlowConsumer });
}

function buildContext(app: App, viewer: Actor, ip: string, userAgent: string | null, fork: () => EntityManager, cache: boolean): Context {
  let loaders: Loaders | undefined;
  return {
    viewer,
    app,
    get em() {
      return fork();
    },
    ip,
    userAgent,
    get loaders() {
      return (loaders ??= createLoaders(app, fork, cache));
    },
  };
}
