/** The operations the widget's chat model runs: a visitor's view of one session. */
import {
  WidgetMarkReadDocument,
  WidgetMessageAddedDocument,
  WidgetSendMessageDocument,
  WidgetSessionUpdatedDocument,
  WidgetSetTypingDocument,
  WidgetTypingDocument,
  type WidgetMessageFragment,
  type WidgetSessionFragment,
} from '../generated/widget';
import type { ChatDocuments } from '../shared/chat';

export const WIDGET_CHAT: ChatDocuments<WidgetSessionFragment, WidgetMessageFragment> = {
  messageAdded: WidgetMessageAddedDocument,
  sessionUpdated: WidgetSessionUpdatedDocument,
  typing: WidgetTypingDocument,
  sendMessage: WidgetSendMessageDocument,
  setTyping: WidgetSetTypingDocument,
  markRead: WidgetMarkReadDocument,
};
