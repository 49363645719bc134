import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import { toAgent, AGENT_COLUMNS } from '../db/rows';
import { Author, type Agent } from '../entities';
import type { Bus } from '../pubsub/bus';
import { END, linked, SKIP, transform, type Closable } from '../pubsub/feed';
import type { MessagePayload, TypingPayload } from '../pubsub/topics';
import { authorize, can, sightFollowsAssignment } from '../policies';
import { authorizeSession } from './access';
import { KeyedSemaphore } from './concurrency';
import type { MessageService } from './messages';
import type { Reads, SessionRow } from './reads';
import * as validate from './validate';

/**
 * A replay reads at most REPLAY_BATCH messages at a time (up to 24 KB each in JSON) and hands them
 * all to the socket before reading more; each viewer has at most REPLAYS_PER_VIEWER batches in
 * hand at once (the others wait their turn), so 100 `messageAdded(afterSeq: 0)` on one socket
 * hold two batches in memory, not 100 transcripts, and are sent at the pace the client reads.
 */
const REPLAY_BATCH = 50;
const REPLAYS_PER_VIEWER = 2;

const viewerKey = (viewer: Viewer) => (viewer.kind === 'visitor' ? `c:${viewer.customerId}` : viewer.kind === 'agent' ? `a:${viewer.agentId}` : 'anonymous');

/**
 * The subscriptions. Each is authorised when it starts; streams that depend on being the
 * session's agent end when the session is transferred away, so no event reaches someone who may
 * no longer see it.
 */
export class LiveService {
  private queueCache?: { id: string; rows: Promise<SessionRow[]> };
  /**
   * The session as it was read for one event, shared by every subscription of this instance that
   * the event reaches (the bus hands them all the same payload object): one database read per
   * event per instance, not one per subscription.
   */
  private readonly sessionAtEvent = new WeakMap<object, Promise<SessionRow | undefined>>();
  private readonly replays = new KeyedSemaphore(REPLAYS_PER_VIEWER);

  constructor(
    private readonly bus: Bus,
    private readonly messages: MessageService,
    private readonly reads: Reads,
  ) {}

  /**
   * Subscribe to the live topic first, then replay what is stored after `afterSeq` (or, without
   * it, start from the newest seq), then pass live events above the last seq emitted; a live
   * event that skips ahead (Redis may reorder two publishes) is preceded by the missing ones,
   * read from Postgres. So: seq order, no gap, no duplicate.
   */
  async messageAdded(em: () => EntityManager, viewer: Viewer, sessionId: string, afterSeq: number | null): Promise<AsyncIterableIterator<MessagePayload>> {
    validate.seq(afterSeq, 'afterSeq');
    const { session } = await authorizeSession(em(), viewer, sessionId, 'session.watch');
    const feed = await this.bus.feed('message.created', sessionId);
    await this.watchAccess(em, viewer, sessionId, feed);
    const load = (after: number, limit: number) => this.messages.after(em(), sessionId, after, limit);
    const turn = () => this.replays.acquire(viewerKey(viewer));
    const start = afterSeq ?? (await this.reads.session(em(), sessionId))?.lastSeq ?? session.lastSeq;
    const allowed = (event?: object) => this.stillTheirs(em, viewer, sessionId, event);
    async function* run(): AsyncGenerator<MessagePayload> {
      let last = start;
      for (;;) {
        const release = await turn();
        let batch: MessagePayload[];
        try {
          batch = await load(last, REPLAY_BATCH);
          if (batch.length && !(await allowed())) return;
          for (const m of batch) {
            yield m;
            last = m.seq;
          }
        } finally {
          release();
        }
        if (batch.length < REPLAY_BATCH) break;
      }
      for (;;) {
        const { value, done } = await feed.next();
        if (done) return;
        if (value.seq <= last) continue;
        if (!(await allowed(value))) return;
        if (value.seq > last + 1) {
          for (const m of await load(last, value.seq - last - 1)) {
            if (m.seq !== last + 1) break;
            yield m;
            last = m.seq;
          }
        }
        if (value.seq === last + 1) {
          yield value;
          last = value.seq;
        }
      }
    }
    return linked(feed, run());
  }

  /** The other side's typing (supervisors see both). */
  async typing(em: () => EntityManager, viewer: Viewer, sessionId: string): Promise<AsyncIterableIterator<TypingPayload>> {
    const { role: party } = await authorizeSession(em(), viewer, sessionId, 'session.watch');
    const own = party === 'customer' ? Author.VISITOR : party === 'agent' ? Author.AGENT : null;
    const feed = await this.bus.feed('typing.changed', sessionId);
    await this.watchAccess(em, viewer, sessionId, feed);
    return transform(feed, async (event) => (event.author === own ? SKIP : (await this.stillTheirs(em, viewer, sessionId, event)) ? event : END));
  }

  /** Any change to a session the viewer may see; ends when it may no longer see it. */
  async sessionUpdated(em: () => EntityManager, viewer: Viewer, sessionId: string): Promise<AsyncIterableIterator<SessionRow>> {
    const session = await this.reads.visibleSession(em(), viewer, sessionId);
    if (!session) await authorizeSession(em(), viewer, sessionId, 'session.read'); // throws the standard NOT_FOUND
    const feed = await this.bus.feed('session.updated', sessionId);
    return transform(feed, async (event) => {
      const current = await this.sessionFor(event, em, sessionId);
      return current && can(viewer, 'session.read', current) ? current : END;
    });
  }

  async sessionAssigned(em: () => EntityManager, viewer: Viewer): Promise<AsyncIterableIterator<SessionRow>> {
    authorize(viewer, 'assigned.watch');
    const feed = await this.bus.feed('session.assigned', viewer.agentId);
    return transform(feed, async ({ sessionId }) => {
      const session = await this.reads.session(em(), sessionId);
      return session && session.agentId === viewer.agentId ? session : SKIP;
    });
  }

  /** The whole queue per change, read once per change on this instance however many agents listen. */
  async queueUpdated(em: () => EntityManager, viewer: Viewer): Promise<AsyncIterableIterator<SessionRow[]>> {
    authorize(viewer, 'queue.read');
    const feed = await this.bus.feed('queue.updated', null);
    return transform(feed, async ({ id }) => {
      if (this.queueCache?.id !== id) this.queueCache = { id, rows: this.reads.queue(em()) };
      return this.queueCache.rows;
    });
  }

  async agentUpdated(em: () => EntityManager, viewer: Viewer): Promise<AsyncIterableIterator<Agent>> {
    authorize(viewer, 'agents.read');
    const feed = await this.bus.feed('agent.updated', null);
    return transform(feed, async ({ agentId }) => {
      const rows = await em().execute<Array<Record<string, unknown>>>(`select ${AGENT_COLUMNS} from agent where id = ?`, [agentId]);
      return rows.length ? toAgent(rows[0]) : SKIP;
    });
  }

  /**
   * For an agent (not a supervisor): is the session still theirs? Asked before each live event, so
   * nothing published after a transfer reaches the agent it left, however late watchAccess ends
   * the feed. Customers and supervisors never lose sight of a session: no read.
   */
  private async stillTheirs(em: () => EntityManager, viewer: Viewer, sessionId: string, event?: object): Promise<boolean> {
    if (!sightFollowsAssignment(viewer)) return true;
    const session = event ? await this.sessionFor(event, em, sessionId) : await this.reads.session(em(), sessionId);
    return !!session && can(viewer, 'session.watch', session);
  }

  /** The session read once for `event` on this instance (see sessionAtEvent). */
  private sessionFor(event: object, em: () => EntityManager, sessionId: string): Promise<SessionRow | undefined> {
    let read = this.sessionAtEvent.get(event);
    if (!read) {
      read = this.reads.session(em(), sessionId).then((row) => row ?? undefined);
      this.sessionAtEvent.set(event, read);
    }
    return read;
  }

  /** For an agent (not a supervisor): end `feed` once the session is no longer theirs. */
  private async watchAccess(em: () => EntityManager, viewer: Viewer, sessionId: string, feed: Closable): Promise<void> {
    if (!sightFollowsAssignment(viewer)) return;
    const updates = await this.bus.feed('session.updated', sessionId);
    feed.whenClosed(() => void updates.return());
    void (async () => {
      let event: object | undefined;
      // Look once now that `updates` is live: a transfer that committed between the caller's
      // authorisation and this subscription published before it and would go unseen.
      for (;;) {
        const session = await (event ? this.sessionFor(event, em, sessionId) : this.reads.session(em(), sessionId)).catch(() => undefined);
        if (session && !can(viewer, 'session.watch', session)) {
          await feed.return();
          return;
        }
        const { value, done } = await updates.next();
        if (done) return;
        event = value;
      }
    })().catch(() => undefined); // updates.next() rejects if this watcher fell behind (SlowConsumerError)
  }
}
