import { Migration } from '@mikro-orm/migrations';

/**
 * chat_session.entered_queue_at: when the chat last entered the queue (started, or put back).
 * queued_at is the queue's order, which an OFFLINE or disconnected requeue sets to just before
 * the head; the console shows this one ("waiting since").
 */
export class Migration20261201000000_entered_queue_at extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table chat_session add column entered_queue_at timestamptz;
      update chat_session set entered_queue_at = coalesce(queued_at, created_at) where status = 'QUEUED';
    `);
  }

  override async down(): Promise<void> {
    this.addSql('alter table chat_session drop column entered_queue_at;');
  }
}
