/**
 * The console's notifications (desk issue): a sound and a desktop notification (the Notification
 * API, permission asked on a user gesture) for a new chat assigned to me and for a message in a
 * chat that is not in view; never for my own actions. A setting mutes both (kept in localStorage).
 */
const MUTE_KEY = 'switchboard-console-muted';

export class Notifier {
  muted: boolean;
  private audio?: AudioContext;

  constructor() {
    let muted = false;
    try {
      muted = localStorage.getItem(MUTE_KEY) === '1';
    } catch {
      /* private mode */
    }
    this.muted = muted;
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    try {
      localStorage.setItem(MUTE_KEY, muted ? '1' : '0');
    } catch {
      /* private mode */
    }
  }

  /** On a user gesture (a click in the console): ask once for desktop notifications, unlock sound. */
  gesture(): void {
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === 'suspended') void this.audio.resume();
    } catch {
      /* no Web Audio */
    }
  }

  /** A short two-tone chime and, when the page is hidden or another chat is in view, a desktop notification. */
  notify(title: string, body: string, onClick?: () => void): void {
    if (this.muted) return;
    this.chime();
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    try {
      const n = new Notification(title, { body: body.slice(0, 140), tag: title });
      n.onclick = () => {
        window.focus();
        onClick?.();
        n.close();
      };
    } catch {
      /* some browsers only allow notifications from a service worker */
    }
  }

  private chime(): void {
    const ctx = this.audio;
    if (!ctx || ctx.state !== 'running') return;
    const now = ctx.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.3);
    }
  }
}
