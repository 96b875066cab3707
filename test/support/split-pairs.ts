// A user's pairs with their splits given, so the counts are known: the one way the Testing panel's tests (integration
// and e2e) write a user whose chosen answers say so ("<user> chosen N: s[::-1]"), which their brains find.

/** JSONL of `counts` = [context, validation, test] pairs of `user`, in that order, ids `<user>-1`, `<user>-2`, ... */
export function splitPairsJsonl(user: string, counts: readonly [number, number, number]): string {
  const splits = (['context', 'validation', 'test'] as const).flatMap((s, i) => Array<string>(counts[i]).fill(s));
  return splits
    .map((split, i) =>
      JSON.stringify({
        user_id: user,
        pair_id: `${user}-${i + 1}`,
        split,
        context: [{ role: 'user', content: `Question ${i + 1} of ${user}: how do I reverse a string?` }],
        chosen: `${user} chosen ${i + 1}: s[::-1]`,
        rejected: `${user} rejected ${i + 1}: strings have a long history, and reversing them is a deep topic.`,
      }),
    )
    .join('\n');
}
