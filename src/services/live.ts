import type { EntityManager } from '@mikro-orm/postgresql';
import * as agents from '../db/agents';
import { Author, type Agent } from '../entities';
import type { Bus } from '../pubsub/bus';
import { END, linked, SKIP, transform, type Closable, type OverflowHandler } from '../pubsub/feed';
import { inSeqOrder } from '../pubsub/ordering';
import type { MessagePayload, NotePayload, TypingPayload } from '../pubsub/topics';
import { authorize, can, sightFollowsAssignment, type Actor, type SessionAction, type SessionResource } from '../policies';
import { authorizeRead, authorizeSession } from './access';
import { KeyedSemaphore } from './concurrency';
import type { MessageService } from './messages';
import type { Presence } from './presence';
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

const viewerKey = (viewer: Actor) => (viewer.kind === 'visitor' ? `c:${viewer.customerId}` : viewer.kind === 'agent' ? `a:${viewer.agentId}` : 'anonymous');

/** Who listens, and how: a subscription's viewer, its EntityManager, and its socket's overflow handler. */
export interface Listener {
  viewer: Actor;
  em: () => EntityManager;
  /** Called when one of its feeds overflows: the WebSocket closes the socket as a slow consumer. */
  onOverflow?: OverflowHandler;
}

/**
 * The subscriptions. Each is authorised when it starts. Streams that depend on being the
 * session's agent end when the session is transferred away: access is re-checked, through the
 * policy, when the session changes (its `session.updated` event), never with a read per live
 * event; and each live message or typing event carries the session's agent when it was sent, so
 * one sent after a transfer never reaches the agent it left, however late the change is seen.
 */
export class LiveService {
  private queueCache?: { id: string; rows: Promise<SessionRow[]> };
  /**
   * The session as it was read for one `session.updated` event, shared by every subscription of
   * this instance that the event reaches (the bus hands them all the same payload object): one
   * read per change per instance, not one per subscription.
   */
  private readonly sessionAtEvent = new WeakMap<object, Promise<SessionRow | undefined>>();
  private readonly replays = new KeyedSemaphore(REPLAYS_PER_VIEWER);

  constructor(
    private readonly bus: Bus,
    private readonly messages: MessageService,
    private readonly reads: Reads,
    /** The session read that authorises a subscription starting (shared by those starting at once: db/sessions.ts `sharedReads`). */
    private readonly startRead: (sessionId: string) => Promise<SessionRow | null>,
    /** Where visitors' widgets are watching their sessions (the unread-reply email waits while one is). */
    private readonly widgets?: Presence,
  ) {}

  /** The policy's decision on a subscription starting, on the session as read now. */
  private authorizeStart(l: Listener, sessionId: string, action: SessionAction) {
    return authorizeRead(this.startRead, l.viewer, sessionId, action);
  }

  /**
   * Subscribe to the live topic first, then replay what is stored after `afterSeq` (or, without
   * it, start from the newest seq), then go live: `inSeqOrder` (pubsub/ordering.ts) keeps seq
   * order, no gap, no duplicate.
   */
  async messageAdded(l: Listener, sessionId: string, afterSeq: number | null): Promise<AsyncIterableIterator<MessagePayload>> {
    validate.seq(afterSeq, 'afterSeq');
    const { session } = await this.authorizeStart(l, sessionId, 'session.watch');
    const feed = await this.bus.feed('message.created', sessionId, l.onOverflow);
    if (l.viewer.kind === 'visitor' && this.widgets) this.watchedByWidget(this.widgets, sessionId, feed);
    const access = await this.watchAccess(l, sessionId, session, feed);
    const start = afterSeq ?? (await this.reads.session(l.em(), sessionId))?.lastSeq ?? session.lastSeq;
    const stream = inSeqOrder(feed, {
      start,
      batch: REPLAY_BATCH,
      load: (after, limit) => this.messages.after(l.em(), sessionId, after, limit),
      turn: () => this.replays.acquire(viewerKey(l.viewer)),
      admit: (m) => m.agentId === undefined || access.admits(m.agentId),
      ended: access.lost,
    });
    return linked(feed, stream);
  }

  /** A visitor's widget watches the session while this feed is open (presence, with its grace period). */
  private watchedByWidget(widgets: Presence, sessionId: string, feed: Closable): void {
    const gone = () => void widgets.disconnect(sessionId).catch(() => undefined);
    widgets.connect(sessionId).catch(() => undefined);
    feed.whenClosed(gone);
  }

  /** The other side's typing (supervisors see both). */
  async typing(l: Listener, sessionId: string): Promise<AsyncIterableIterator<TypingPayload>> {
    const { session, role } = await this.authorizeStart(l, sessionId, 'session.watch');
    const own = role === 'customer' ? Author.VISITOR : role === 'agent' ? Author.AGENT : null;
    const feed = await this.bus.feed('typing.changed', sessionId, l.onOverflow);
    const access = await this.watchAccess(l, sessionId, session, feed);
    // A typing state coalesced before a transfer may be published after it, naming the agent it
    // was typed for: skipped. The stream itself ends when the watcher sees the session taken away.
    return transform(feed, async (event) => (access.lost() ? END : event.author === own || !access.admits(event.agentId) ? SKIP : event));
  }

  /** A session's new notes, for the desk only (`session.desk`: never its customer); ends when the desk loses sight of it. */
  async noteAdded(l: Listener, sessionId: string): Promise<AsyncIterableIterator<NotePayload>> {
    const { session } = await this.authorizeStart(l, sessionId, 'session.desk');
    const feed = await this.bus.feed('note.created', sessionId, l.onOverflow);
    const access = await this.watchAccess(l, sessionId, session, feed, 'session.desk');
    return transform(feed, async (note) => (access.lost() ? END : note));
  }

  /** Any change to a session the viewer may see; ends when it may no longer see it. */
  async sessionUpdated(l: Listener, sessionId: string): Promise<AsyncIterableIterator<SessionRow>> {
    const session = await this.reads.visibleSession(l.em(), l.viewer, sessionId);
    if (!session) await authorizeSession(l.em(), l.viewer, sessionId, 'session.read'); // throws the standard NOT_FOUND
    const feed = await this.bus.feed('session.updated', sessionId, l.onOverflow);
    return transform(feed, async (event) => {
      const current = await this.sessionFor(event, l.em, sessionId);
      return current && can(l.viewer, 'session.read', current) ? current : END;
    });
  }

  async sessionAssigned(l: Listener): Promise<AsyncIterableIterator<SessionRow>> {
    const viewer = l.viewer;
    authorize(viewer, 'assigned.watch');
    const feed = await this.bus.feed('session.assigned', viewer.agentId, l.onOverflow);
    return transform(feed, async ({ sessionId }) => {
      const session = await this.reads.session(l.em(), sessionId);
      return session && session.agentId === viewer.agentId ? session : SKIP;
    });
  }

  /** The whole queue per change, read once per change on this instance however many agents listen. */
  async queueUpdated(l: Listener): Promise<AsyncIterableIterator<SessionRow[]>> {
    authorize(l.viewer, 'queue.read');
    const feed = await this.bus.feed('queue.updated', null, l.onOverflow);
    return transform(feed, async ({ id }) => {
      if (this.queueCache?.id !== id) this.queueCache = { id, rows: this.reads.queue(l.em()) };
      return this.queueCache.rows;
    });
  }

  async agentUpdated(l: Listener): Promise<AsyncIterableIterator<Agent>> {
    authorize(l.viewer, 'agents.read');
    const feed = await this.bus.feed('agent.updated', null, l.onOverflow);
    return transform(feed, async ({ agentId }) => (await agents.byId(l.em(), agentId)) ?? SKIP);
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

  /**
   * Access to a watched session, decided by the policy. For those whose sight follows the
   * assignment (an agent, not a supervisor), `feed` ends once a change to the session (its
   * `session.updated`, read once per change per instance) takes it away; and a live event is
   * admitted only if the policy lets the viewer watch the session as it was when the event was
   * sent (`agentId`: the session's agent then). Everyone else never loses sight: no watcher.
   */
  private async watchAccess(
    l: Listener,
    sessionId: string,
    atStart: SessionResource,
    feed: Closable,
    action: SessionAction = 'session.watch',
  ): Promise<{ lost: () => boolean; admits: (agentId: string | null) => boolean }> {
    const asSent = (agentId: string | null) => can(l.viewer, action, { ...atStart, agentId });
    if (!sightFollowsAssignment(l.viewer)) return { lost: () => false, admits: () => true };
    let lost = false;
    const lose = () => {
      lost = true;
      void feed.return();
    };
    const updates = await this.bus.feed('session.updated', sessionId, l.onOverflow);
    feed.whenClosed(() => void updates.return());
    void (async () => {
      let event: object | undefined;
      // Look once now that `updates` is live: a transfer that committed between the caller's
      // authorisation and this subscription published before it and would go unseen.
      for (;;) {
        const session = await (event ? this.sessionFor(event, l.em, sessionId) : this.reads.session(l.em(), sessionId)).catch(() => undefined);
        if (session && !can(l.viewer, action, session)) return lose();
        const { value, done } = await updates.next();
        if (done) return;
        event = value;
      }
    })().catch(() => undefined); // updates.next() rejects if this watcher fell behind (SlowConsumerError)
    return { lost: () => lost, admits: (agentId) => !lost && asSent(agentId) };
  }
}
