import DataLoader from 'dataloader';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Message } from '../entities';
import type { AttachmentPayload, MessagePayload } from '../pubsub/topics';
import { Attachment } from '../schema/desk-types';

/** One loader per context: a page of messages reads its attachments in one statement. */
const loaders = new WeakMap<object, DataLoader<string, AttachmentPayload[]>>();

function attachmentsLoader(ctx: Context): DataLoader<string, AttachmentPayload[]> {
  let loader = loaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const rows = await ctx.app.files.ofMessages(ctx.em, ids);
      return ids.map((id) => rows.filter((r) => r.messageId === id));
    });
    loaders.set(ctx, loader);
  }
  return loader;
}

@Resolver(() => Message)
export class MessageFilesResolver {
  /** Live messages carry theirs (so fan-out reads nothing); stored ones are read in a batch. */
  @FieldResolver(() => [Attachment], { description: 'Files sent with it, in the order given.' })
  attachments(@Root() message: MessagePayload, @Ctx() ctx: Context): AttachmentPayload[] | Promise<AttachmentPayload[]> {
    return message.attachments ?? attachmentsLoader(ctx).load(message.id);
  }
}

@Resolver(() => Attachment)
export class AttachmentResolver {
  @FieldResolver(() => String, { description: 'A signed download URL, valid for at least 10 minutes from when it was read.' })
  url(@Root() attachment: AttachmentPayload, @Ctx() ctx: Context): string {
    return ctx.app.files.url(attachment.id);
  }
}
