// Personas as a researcher might write them by hand: each preference in words that are neither
// in the simulated brain's own bank of paraphrases (persona-paraphrases.ts) nor in anything the
// simulated users' generator writes (its hint phrases). A brain that only recognised its own or
// the generator's wording would not read them; one that reads the concepts does.

export const IN_OTHER_WORDS: Record<
  'concise' | 'steps' | 'sources' | 'no-emoji' | 'formal' | 'code',
  readonly [string, string]
> = {
  concise: [
    'Walls of text put them off; they want the bottom line.',
    'Would rather have a terse reply, not an exhaustive write-up.',
  ],
  steps: ['Likes to tick items off a checklist.', 'Wants bullet points, not flowing text.'],
  sources: [
    'Always asks where the facts came from.',
    'Trusts replies that are backed up by an authoritative reference.',
  ],
  'no-emoji': ['Finds smileys grating.', 'Emoji-free replies, please.'],
  formal: ['Expects a polished, businesslike manner.', 'Colloquial phrasing irritates them.'],
  code: ['Wants to see a working example in the language they asked about.', 'Appreciates a script they can run.'],
};
