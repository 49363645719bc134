import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { createTestDatabase, sql, testServerEnv, uniqueName } from './support/env';
import { startServerProcess } from './support/process';

/**
 * The sessions export's memory (team extension, "Exports": streamed, never holding them all), in a
 * server process of its own as an operator runs it, alone on the machine (scripts/test.mjs runs
 * scale- files one at a time).
 */
jest.setTimeout(180_000);

const hour = 3600_000;

describe('GET /api/v1/exports/sessions.csv at scale', () => {
  it('should stream 100,000 sessions from a server process whose memory grows by less than 50 MB', async () => {
    const database = await createTestDatabase();
    const server = await startServerProcess({
      ...testServerEnv({ databaseUrl: database.url, redisPrefix: `${uniqueName('x')}:` }),
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    // 100,000 sessions cannot be made through the API in a test's time: they are written at once.
    await sql(
      database.url,
      `with c as (insert into customer (id, name, email) values (gen_random_uuid(), 'Bulk Visitor', 'bulk@example.com') returning id),
            s as (insert into chat_session (id, customer_id, status, created_at, closed_at, last_seq)
                  select gen_random_uuid(), c.id, 'CLOSED', now() - interval '1 hour' + i * interval '1 millisecond', now(), 1
                    from c, generate_series(1, 100000) as i returning id, created_at)
       insert into message (id, session_id, seq, author, body, created_at)
       select gen_random_uuid(), s.id, 1, 'VISITOR', '=SUM(A1:A9) and some more words to make the row longer than an id', s.created_at from s`,
    );
    const boss = (await server.http.ok(`mutation { login(email: "boss@example.com", password: "supervisor-pass") { token } }`)) as { login: { token: string } };
    const [{ first }] = await sql<{ first: Date }>(database.url, 'select min(created_at) as first from chat_session');
    const exportUrl = (from: Date, to: Date) => `${server.base}/api/v1/exports/sessions.csv?from=${from.toISOString()}&to=${to.toISOString()}`;
    const url = exportUrl(new Date(first), new Date(Date.now() + hour));
    const headers = { authorization: `Bearer ${boss.login.token}` };
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) * 1024;
    // A first export of 10,000 warms the code paths up (and V8 sizes its heap on that first burst
    // of allocations, 20 to 30 MB here, whatever the number of rows); the export of all 100,000,
    // ten times as many, must then grow the process by less than 50 MB. Both numbers are printed.
    const fresh = rss();
    let started = Date.now();
    const warm = await fetch(exportUrl(new Date(first), new Date(new Date(first).getTime() + 10_000)), { headers });
    expect(warm.status).toBe(200);
    await warm.arrayBuffer();
    if (!server.running) throw new Error(server.output());
    const warmMs = Date.now() - started;
    const before = rss();
    started = Date.now();
    let peak = before;
    const sampler = setInterval(() => {
      if (server.running) peak = Math.max(peak, rss());
    }, 50);
    let rows = 0;
    let formulas = 0;
    try {
      const response = await fetch(url, { headers });
      expect(response.status).toBe(200);
      const chunks: Buffer[] = [];
      for await (const chunk of Readable.fromWeb(response.body as never)) chunks.push(chunk as Buffer);
      for (const record of parse(Buffer.concat(chunks), { columns: true }) as Array<Record<string, string>>) {
        rows++;
        if (record.firstMessage.startsWith("'=SUM(")) formulas++;
      }
    } finally {
      clearInterval(sampler);
    }
    expect(rows).toBe(100_000);
    expect(formulas).toBe(100_000);
    const growthMb = (peak - before) / 1024 / 1024;
    console.log(
      `sessions.csv, 100,000 rows: server RSS ${Math.round(fresh / 1048576)} MB fresh, ${Math.round(before / 1048576)} MB after a first export (${warmMs} ms); ` +
        `peak ${Math.round(peak / 1048576)} MB during the export of all (${Date.now() - started} ms): it grew by ${growthMb.toFixed(1)} MB (${((peak - fresh) / 1048576).toFixed(1)} MB since fresh)`,
    );
    expect(growthMb).toBeLessThan(50);
    await server.terminate();
  });
});
