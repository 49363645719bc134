import type { TopicName } from './topics';

/**
 * Every Redis key and channel name, in one place. On a single Redis they are the names they
 * always were (`sb:message.created:<sessionId>`, `sb:presence`, `sb:rate:<bucket>:<key>`), so a
 * rolling deploy keeps hearing the instances it replaces. On a Redis Cluster the part that must
 * decide the slot is a hash tag: every topic of one session lands on the same shard
 * (`sb:message.created:{<sessionId>}`, `sb:session.updated:{<sessionId>}`), each rate-limit
 * bucket is one key in its own slot, where its Lua script runs (`sb:rate:{<bucket>:<key>}`), and
 * the presence set is one key (`sb:{presence}`).
 */
export class RedisKeys {
  constructor(
    readonly prefix: string,
    readonly cluster: boolean,
  ) {}

  private tag(part: string): string {
    return this.cluster ? `{${part}}` : part;
  }

  channel(name: TopicName, scope?: string | null): string {
    return scope ? `${this.prefix}${name}:${this.tag(scope)}` : `${this.prefix}${this.tag(name)}`;
  }

  presence(): string {
    return `${this.prefix}${this.tag('presence')}`;
  }

  rate(bucket: string, key: string): string {
    return `${this.prefix}rate:${this.tag(`${bucket}:${key}`)}`;
  }
}
