// Which server is a user's home: rendezvous (highest random weight) hashing. Every server gets a score for the
// user, a hash of the two names; the user's servers, in order, are the servers by falling score. A server that
// leaves takes only the users it ranked first, who move to their second (each to its own, so they spread over
// the others); everyone else keeps their home, and when the server comes back its users return to it.
//
// Chosen over a hash ring with virtual nodes: a fleet has a handful of replicas, so scoring each of them per
// call is cheap (n hashes), the balance comes from the hash alone rather than from a number of virtual nodes
// to tune, and the order of the servers on the command line does not matter (the score names the server by
// its address, not by its place in the list).

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer so that near-equal names score far apart. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The weight of `server` for `key`: the server with the highest is the key's home. */
export function rendezvousScore(server: string, key: string): number {
  return hash32(`${server}\u0000${key}`);
}

/**
 * The servers in the order `key` tries them: its home first. `name` gives the stable name a server is scored by
 * (its address); ties, which need two equal 32-bit scores, fall to the name so that the order is total.
 */
export function rendezvousOrder<T>(key: string, servers: readonly T[], name: (server: T) => string): T[] {
  return servers
    .map((server) => ({ server, id: name(server), score: rendezvousScore(name(server), key) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((s) => s.server);
}
