import { lookup } from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The SSRF rule (contract, partners: "Webhooks"): a webhook URL is http(s), and every address its
 * host resolves to is public unicast (not loopback, private, link-local, unique-local, carrier-
 * grade NAT, multicast, reserved…, as ipaddr.js classifies ranges), unless private addresses are
 * allowed. Checked at registration and again before each attempt, which then connects to the
 * address checked here (no second lookup an attacker's DNS could answer differently).
 */
export const URL_MAX = 2000;

export class AddressRefused extends Error {}

export interface Target {
  url: URL;
  /** The checked address to connect to, and its family. */
  address: string;
  family: 4 | 6;
}

export function parseUrl(raw: string): URL {
  if (raw.length > URL_MAX) throw new AddressRefused(`url must be at most ${URL_MAX} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AddressRefused('url is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AddressRefused('url must be http or https.');
  if (url.username || url.password) throw new AddressRefused('url must not carry credentials.');
  return url;
}

/** Why the address may not be reached, or null when it is public. */
export function refusal(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(address); // ::ffff:10.0.0.1 is 10.0.0.1
  const range = parsed.range();
  return range === 'unicast' ? null : `${parsed.toString()} is ${range === 'uniqueLocal' ? 'unique-local' : range}, not public`;
}

/** Resolves the URL's host and checks every address; throws AddressRefused. */
export async function resolveTarget(raw: string, allowPrivate: boolean): Promise<Target> {
  const url = parseUrl(raw);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: Array<{ address: string; family: number }>;
  if (net.isIP(host)) addresses = [{ address: host, family: net.isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new AddressRefused(`url's host ${host} does not resolve.`);
    }
  }
  if (!addresses.length) throw new AddressRefused(`url's host ${host} does not resolve.`);
  if (!allowPrivate) {
    for (const a of addresses) {
      const why = refusal(a.address);
      if (why) throw new AddressRefused(`url's host resolves to a non-public address (${why}).`);
    }
  }
  return { url, address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}
