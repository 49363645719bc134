// negotiator 1.x (what @apollo/server negotiates Accept with) ships no types; the one call used here.
declare module 'negotiator' {
  export default class Negotiator {
    constructor(request: { headers: { accept?: string } });
    mediaType(available?: string[]): string | undefined;
  }
}
