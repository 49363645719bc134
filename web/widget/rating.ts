/**
 * The widget's end-of-chat box: a rating as a radio group (arrow keys move and choose, as a
 * native radio group does), an optional comment, and "Start a new chat". A chat that ended
 * before anyone took it has nobody to rate: it says so and offers a new chat only.
 */
import type { WidgetSessionFragment } from '../generated/widget';
import { h } from '../shared/dom';
import { t } from './i18n';

export interface RatingState {
  value: number;
  rated: boolean;
  /** An agent had the chat at some point seen here (a chat requeued and then ended still has someone to rate). */
  hadAgent: boolean;
}

interface Hooks {
  root: ShadowRoot;
  rerender(): void;
  rate(comment: string): void;
  newChat(): void;
}

const NEXT: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

export function renderRating(box: HTMLDivElement, s: WidgetSessionFragment | null, state: RatingState, hooks: Hooks): void {
  const show = s?.status === 'CLOSED';
  box.hidden = !show;
  if (!show) {
    if (box.firstChild) box.replaceChildren();
    delete box.dataset.state;
    return;
  }
  const nobody = !s.agent && !state.hadAgent;
  const done = state.rated || s.rating !== null;
  const key = nobody ? 'nobody' : done ? 'done' : `ask:${state.value}`;
  if (box.dataset.state === key) return;
  const active = hooks.root.activeElement;
  const starFocused = !!active && box.contains(active) && active.getAttribute('role') === 'radio';
  const comment = box.querySelector('textarea')?.value ?? '';
  box.dataset.state = key;
  const again = h('button', { type: 'button', class: 'secondary', 'data-testid': 'sb-new-chat', onclick: () => hooks.newChat() }, t.newChat);
  if (nobody) {
    box.replaceChildren(h('p', { class: 'note', 'data-testid': 'sb-unanswered' }, t.nobody), again);
    return;
  }
  if (done) {
    box.replaceChildren(h('p', { class: 'note', role: 'status' }, t.thanks), again);
    return;
  }
  const choose = (n: number) => {
    state.value = n;
    hooks.rerender();
  };
  const stars = [1, 2, 3, 4, 5].map((n) =>
    h(
      'button',
      {
        type: 'button',
        role: 'radio',
        class: n <= state.value ? 'on' : '',
        'data-value': n,
        'data-testid': `sb-rating-${n}`,
        'aria-checked': String(n === state.value),
        // One tab stop for the group: the chosen star, or the first.
        tabindex: n === (state.value || 1) ? 0 : -1,
        'aria-label': t.stars(n),
        onclick: () => choose(n),
        onkeydown: (e: Event) => {
          const k = (e as KeyboardEvent).key;
          const to = k in NEXT ? Math.min(5, Math.max(1, n + NEXT[k])) : k === 'Home' ? 1 : k === 'End' ? 5 : 0;
          if (!to) return;
          e.preventDefault();
          choose(to);
        },
      },
      n <= state.value ? '★' : '☆',
    ),
  );
  const text = h('textarea', { 'aria-label': t.commentLabel, placeholder: t.commentPlaceholder, maxlength: 2000 });
  text.value = comment;
  const submit = h('button', { type: 'submit', class: 'primary', disabled: !state.value, 'data-testid': 'sb-rating-submit' }, t.sendRating);
  box.replaceChildren(
    h(
      'form',
      { onsubmit: (e: Event) => (e.preventDefault(), hooks.rate(text.value)) },
      h('p', { class: 'legend', id: 'sb-rating-legend' }, t.howWasIt),
      h('div', { class: 'stars', role: 'radiogroup', 'aria-labelledby': 'sb-rating-legend' }, ...stars),
      text,
      submit,
    ),
    again,
  );
  if (starFocused) stars[(state.value || 1) - 1]?.focus(); // the choice follows the focus
}
