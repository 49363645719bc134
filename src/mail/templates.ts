import escapeHtml from 'escape-html';
import type { MessagePayload } from '../pubsub/topics';
import type { Mail } from './mailer';

/**
 * The emails a visitor gets, as plain text and HTML. Every person's text (names, messages) is
 * escaped in the HTML part: it is stored exactly as sent (contract: "Limits on input").
 */
interface Common {
  to: string;
  visitorName: string | null;
  /** PUBLIC_URL/chat/<sessionId>#<token>: the conversation, full page, signed in. */
  continueUrl: string;
}

const who = (m: MessagePayload) => (m.author === 'VISITOR' ? 'You' : (m.authorName ?? 'Support'));
const when = (m: MessagePayload) => new Date(m.createdAt).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

function textLines(messages: readonly MessagePayload[]): string {
  return messages.map((m) => `${who(m)} (${when(m)}):\n${m.body}\n`).join('\n');
}

function htmlLines(messages: readonly MessagePayload[]): string {
  return messages
    .map(
      (m) =>
        `<tr><td style="padding:8px 0"><strong>${escapeHtml(who(m))}</strong> <span style="color:#6b7280">${escapeHtml(when(m))}</span>` +
        `<div style="white-space:pre-wrap">${escapeHtml(m.body)}</div></td></tr>`,
    )
    .join('');
}

function page(title: string, intro: string, rows: string, url: string, more: string): string {
  return (
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#111827">` +
    `<h1 style="font-size:18px">${escapeHtml(title)}</h1><p>${escapeHtml(intro)}</p>` +
    `<table role="presentation" style="border-collapse:collapse">${rows}</table>${more}` +
    `<p><a href="${escapeHtml(url)}">Continue the conversation</a></p></body></html>`
  );
}

/** The unread-reply notification: the agent's messages the visitor has not read. */
export function replyNotification(p: Common & { messages: readonly MessagePayload[] }): Mail {
  const hello = p.visitorName ? `Hello ${p.visitorName},` : 'Hello,';
  const intro = `${hello} you have ${p.messages.length === 1 ? 'a new reply' : `${p.messages.length} new replies`} in your support chat.`;
  return {
    to: p.to,
    subject: 'New reply to your support chat',
    text: `${intro}\n\n${textLines(p.messages)}\nContinue the conversation: ${p.continueUrl}\n`,
    html: page('New reply to your support chat', intro, htmlLines(p.messages), p.continueUrl, ''),
  };
}

/** emailTranscript: every message of the chat, oldest first (`omitted` beyond the email's limit). */
export function transcript(p: Common & { messages: readonly MessagePayload[]; omitted: number }): Mail {
  const intro = `${p.visitorName ? `Hello ${p.visitorName}, here` : 'Here'} is the transcript of your support chat.`;
  const more = p.omitted ? `… and ${p.omitted} later messages, in the conversation itself.` : '';
  return {
    to: p.to,
    subject: 'Your support chat transcript',
    text: `${intro}\n\n${textLines(p.messages)}${more ? `\n${more}\n` : ''}\nContinue the conversation: ${p.continueUrl}\n`,
    html: page('Your support chat transcript', intro, htmlLines(p.messages), p.continueUrl, more ? `<p>${escapeHtml(more)}</p>` : ''),
  };
}
