/**
 * Ending a chat from the widget and rating it: "End chat" asks first (it cannot be undone), focus
 * stays in the widget (on the rating, or on "Start a new chat" when nobody took the chat), and the
 * rating box (rating.ts) is drawn under the last line of the conversation.
 */
import { WidgetCloseChatDocument, WidgetRateChatDocument } from '../generated/widget';
import type { TypedDocument } from '../shared/gql';
import { renderRating, type RatingState } from './rating';
import type { WidgetChat } from './transcript';
import type { View } from './view';

export interface EndingHost {
  root: ShadowRoot;
  view: View;
  chat(): WidgetChat | null;
  call<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R>;
  render(): void;
  scrollToEnd(): void;
  newChat(): void;
}

export class Ending {
  /** The question "End this chat?" is open. */
  confirming = false;
  private readonly rating: RatingState = { value: 0, rated: false, hadAgent: false };

  constructor(private readonly host: EndingHost) {}

  reset(): void {
    this.confirming = false;
    Object.assign(this.rating, { value: 0, rated: false, hadAgent: false });
  }

  ask(): void {
    const chat = this.host.chat();
    if (!chat || chat.session.status === 'CLOSED') return;
    this.confirming = true;
    this.host.render();
    this.host.view.endConfirm.querySelector<HTMLButtonElement>('[data-testid="sb-end-confirm"]')?.focus();
  }

  cancel(): void {
    this.confirming = false;
    this.host.render();
    this.host.view.input.focus();
  }

  async end(): Promise<void> {
    const chat = this.host.chat();
    if (!chat || chat.session.status === 'CLOSED') return;
    chat.endedHere = true;
    try {
      const { closeChat } = await this.host.call(WidgetCloseChatDocument, { sessionId: chat.id });
      this.confirming = false;
      chat.setSession(closeChat);
      this.host.scrollToEnd();
      const box = this.host.view.ratingBox;
      (box.querySelector<HTMLElement>('[role="radio"][tabindex="0"]') ?? box.querySelector<HTMLElement>('button'))?.focus();
    } catch {
      chat.endedHere = false; // shown as still open; the visitor may try again
      this.host.render();
    }
  }

  private async rate(comment: string): Promise<void> {
    const chat = this.host.chat();
    if (!chat || !this.rating.value) return;
    try {
      const { rateChat } = await this.host.call(WidgetRateChatDocument, { sessionId: chat.id, rating: this.rating.value, comment: comment.trim() || null });
      this.rating.rated = true;
      chat.setSession(rateChat);
    } catch {
      this.rating.rated = true; // rated already, or the chat is gone: nothing more to ask
      this.host.render();
    }
    this.host.view.ratingBox.querySelector<HTMLElement>('[data-testid="sb-new-chat"]')?.focus();
  }

  render(): void {
    const s = this.host.chat()?.session ?? null;
    if (s?.agent) this.rating.hadAgent = true;
    renderRating(this.host.view.ratingBox, s, this.rating, {
      root: this.host.root,
      rerender: () => this.host.render(),
      rate: (comment) => void this.rate(comment),
      newChat: () => this.host.newChat(),
    });
  }
}
