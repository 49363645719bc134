import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { RateLimiter } from '../auth/rate-limit';
import type { Actor } from '../policies';
import * as uploads from '../db/uploads';
import { isUuid } from '../db/sql';
import { BadInputError, NotFoundError } from '../errors';
import { inspect } from '../files/inspect';
import { UrlSigner } from '../files/signing';
import type { FileStore } from '../files/storage';
import type { Jobs } from '../jobs/queue';
import type { Logger } from '../logger';
import { authorize, personId, refuseState, requireSignedIn } from '../policies';
import { authorizeSession } from './access';

export type { UploadRow } from '../db/uploads';

/** At most this many files per message. */
export const MAX_ATTACHMENTS = 10;
/** Uploads never sent are deleted after this. */
export const UNUSED_HOURS = 24;
const CLEANUP = 'uploads.cleanup';

/**
 * The desk's files (contract, desk: "Files"): an upload is checked (type from its bytes, images
 * decoded), stored (Postgres or STORAGE_DIR), then tied to one message of its sender; downloads
 * go through signed, expiring URLs. Every rule about files is here.
 */
export class FileService {
  readonly signer: UrlSigner;

  constructor(
    private readonly store: FileStore,
    secret: string,
    private readonly rateLimiter: RateLimiter,
    private readonly logger: Logger,
  ) {
    this.signer = new UrlSigner(secret);
  }

  /**
   * Before the body is read: who uploads, counted against its `sendMessage` bucket. Throws
   * UNAUTHENTICATED for the anonymous, RATE_LIMITED when the bucket is empty.
   */
  async admit(viewer: Actor): Promise<string> {
    requireSignedIn(viewer);
    const id = personId(viewer);
    if (!id) throw new BadInputError('API keys do not upload files.');
    await this.rateLimiter.consume('sendMessage', id);
    return id;
  }

  /** Stores one file for `sessionId` (or, with none, for the visitor's next startChat). */
  async upload(em: EntityManager, viewer: Actor, sessionId: string | null, file: { name: string; data: Buffer }): Promise<uploads.UploadRow> {
    requireSignedIn(viewer);
    if (sessionId === null) authorize(viewer, 'upload.unbound');
    else {
      if (!isUuid(sessionId)) throw new NotFoundError();
      const { session, role } = await authorizeSession(em, viewer, sessionId, 'file.upload');
      refuseState('file.upload', session, role);
    }
    const kind = await inspect(file.data);
    const id = randomUUID();
    const inRow = await this.store.put(id, file.data);
    const name = cleanName(file.name);
    try {
      return await uploads.insert(em, { id, ownerKind: viewer.kind === 'visitor' ? 'visitor' : 'agent', ownerId: personId(viewer) as string, sessionId, name, size: file.data.length, ...kind }, inRow);
    } catch (error) {
      await this.store.remove([id]).catch(() => undefined);
      throw error;
    }
  }

  /** The ids a message is sent with: unique UUIDs, at most MAX_ATTACHMENTS (else BAD_USER_INPUT). */
  static ids(value: readonly string[] | null | undefined): string[] {
    if (!value?.length) return [];
    if (value.length > MAX_ATTACHMENTS) throw new BadInputError(`attachmentIds: at most ${MAX_ATTACHMENTS} files per message.`, 'attachmentIds');
    if (new Set(value).size !== value.length) throw new BadInputError('attachmentIds: each file once.', 'attachmentIds');
    if (!value.every(isUuid)) throw new BadInputError('attachmentIds: unknown upload.', 'attachmentIds');
    return [...value];
  }

  /**
   * Inside the send's transaction: ties the sender's uploads to the message, or refuses them all
   * (BAD_USER_INPUT, and the transaction rolls back) when one is someone else's, used, or unknown.
   */
  async attach(em: EntityManager, a: { ids: string[]; ownerId: string; sessionId: string | null; toSessionId: string; messageId: string }): Promise<uploads.UploadRow[]> {
    if (!a.ids.length) return [];
    const tied = await uploads.attach(em, a);
    if (tied.length !== a.ids.length) throw new BadInputError('attachmentIds: an upload is unknown, already sent, or not yours for this chat.', 'attachmentIds');
    return tied;
  }

  ofMessages(em: EntityManager, messageIds: readonly string[]): Promise<uploads.UploadRow[]> {
    return uploads.ofMessages(em, messageIds);
  }

  url(id: string): string {
    return this.signer.url(id);
  }

  /** A signed download: null when the URL is tampered or expired (403), NOT_FOUND when the file is gone. */
  async download(em: EntityManager, id: string, expires: unknown, sig: unknown): Promise<{ upload: uploads.UploadRow; data: Buffer } | null> {
    if (!isUuid(id) || !this.signer.verify(id, expires, sig)) return null;
    const upload = await uploads.byId(em, id);
    const data = upload && (await this.store.get(id, () => uploads.data(em, id)));
    if (!upload || !data) throw new NotFoundError('File');
    return { upload, data };
  }

  /** Erasure (team): every file of a customer. */
  async deleteForCustomer(em: EntityManager, customerId: string): Promise<number> {
    const ids = await uploads.deleteOfCustomer(em, customerId);
    await this.store.remove(ids);
    return ids.length;
  }

  /** Retention and erasure: every file of these sessions (call before deleting the sessions). */
  async deleteForSessions(em: EntityManager, sessionIds: readonly string[]): Promise<number> {
    if (!sessionIds.length) return 0;
    const ids = await uploads.deleteOfSessions(em, sessionIds);
    await this.store.remove(ids);
    return ids.length;
  }

  /** Uploads never sent within UNUSED_HOURS are deleted. */
  async deleteUnused(em: EntityManager): Promise<number> {
    const ids = await uploads.deleteUnused(em, UNUSED_HOURS);
    await this.store.remove(ids);
    if (ids.length) this.logger.info({ count: ids.length }, 'unused uploads deleted');
    return ids.length;
  }

  /** The cleanup as a durable job, every 15 minutes on one instance. */
  async schedule(jobs: Jobs, em: () => EntityManager): Promise<void> {
    await jobs.define(CLEANUP, { retryLimit: 2 }, async () => {
      await this.deleteUnused(em());
    });
    await jobs.schedule(CLEANUP, '*/15 * * * *');
  }
}

export const CLEANUP_JOB = CLEANUP;

/** A display name: the last path segment, no control characters, at most 200 characters. */
function cleanName(name: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return [...(base || 'file')].slice(0, 200).join('');
}
