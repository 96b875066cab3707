// Simulated users with HIDDEN preference traits, and the preference pairs they produce.
//
// Why this exists: no real model runs in this project's tests (TESTING.md section 2). To show
// that the method works, the tests need users whose taste is known to the test but not written
// anywhere in their data, so that only a method that really learns from their choices can
// recover it. Each user has one or two traits; in every pair the chosen response has all of
// the user's traits and the rejected one violates the trait that decides the pair.
//
// The pairs are built against a GENERIC judge (one that prefers longer, more detailed, friendly,
// list-formatted answers, like typical LLM judges): in half the pairs (all of them for a user
// who wants concise answers) the rejected response is the one such a judge would pick, so
// knowing nothing about the user gives coin-flip accuracy or worse. The paper's default judges
// sit near 53% on real data; here the point is that only personal information can help.
//
// The texts are realistic: a bank of questions across everyday topics, each with one base
// answer from which every variant (concise or detailed, numbered steps or prose, with or without
// a source line, emoji, a formal or casual tone, a code block) is derived, so both responses of
// a pair always carry the same facts and differ only in style.
//
// Everything is deterministic from the seed (createRng from the engine).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, randomInt, shuffled } from '../../src/core/random';

// ---------------------------------------------------------------------------------------------
// Traits and their detectors
// ---------------------------------------------------------------------------------------------

export const TRAITS = ['concise', 'steps', 'sources', 'no-emoji', 'formal', 'code'] as const;
export type Trait = (typeof TRAITS)[number];

/** A response at or under this many words (outside code blocks) counts as concise. */
export const CONCISE_MAX_WORDS = 90;

/** Two lengths differ meaningfully when one is at least this many times the other. */
export const LENGTH_RATIO = 1.5;

const FENCED_CODE = /```[^\n]*\n[\s\S]*?```/g;

/** The text without fenced code blocks: style properties are about the prose, not the code. */
export function proseOf(text: string): string {
  return text.replace(FENCED_CODE, ' ');
}

/** Words outside code blocks: a short answer with a snippet is still a short answer. */
export function wordCount(text: string): number {
  return proseOf(text)
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

export function isConcise(text: string): boolean {
  const n = wordCount(text);
  return n > 0 && n <= CONCISE_MAX_WORDS;
}

/** A numbered list: at least two lines starting "1." / "2)" and so on. */
export function hasNumberedSteps(text: string): boolean {
  const items = proseOf(text).match(/^\s*\d{1,2}[.)]\s+\S/gm);
  return (items?.length ?? 0) >= 2;
}

/** A source line ("Source:", "References:"), an "According to ..." attribution, or a URL. */
export function citesSources(text: string): boolean {
  const prose = proseOf(text);
  return (
    /(^|\n)\s*(sources?|references?)\s*:/i.test(prose) ||
    /\baccording to\b/i.test(prose) ||
    /\bhttps?:\/\/\S+/i.test(prose)
  );
}

export function hasEmoji(text: string): boolean {
  return /\p{Extended_Pictographic}/u.test(proseOf(text));
}

const CONTRACTION =
  /\b\w+(?:n['’]t|['’](?:re|ll|ve|m|d))\b|\b(?:it|that|there|here|what|who|let|he|she|where|how)['’]s\b/i;
const SLANG =
  /\b(?:gonna|wanna|kinda|sorta|gotta|yeah|yep|nope|hey|awesome|super|totally|stuff|btw|lol|tbh|ooh|honestly|basically|tons)\b/i;

/** Formal register: no contractions, no exclamation marks, no slang. */
export function isFormal(text: string): boolean {
  const prose = proseOf(text);
  return !CONTRACTION.test(prose) && !prose.includes('!') && !SLANG.test(prose);
}

export function hasCodeBlock(text: string): boolean {
  return /```[^\n]*\n[\s\S]*?```/.test(text);
}

/** Whether a single response has the property a trait asks for. */
export const TRAIT_DETECTORS: Record<Trait, (text: string) => boolean> = {
  concise: isConcise,
  steps: hasNumberedSteps,
  sources: citesSources,
  'no-emoji': (t) => !hasEmoji(t),
  formal: isFormal,
  code: hasCodeBlock,
};

/**
 * Which of two responses satisfies a trait better: 1 for the first, -1 for the second, 0 when
 * the trait does not separate them. Conciseness is relative (the clearly shorter one wins),
 * because a user who wants brevity prefers 60 words to 200 even if neither is "short".
 */
export function traitPreference(trait: Trait, a: string, b: string): -1 | 0 | 1 {
  if (trait === 'concise') {
    const wa = wordCount(a);
    const wb = wordCount(b);
    if (wa === 0 || wb === 0) return 0;
    if (wb >= wa * LENGTH_RATIO) return 1;
    if (wa >= wb * LENGTH_RATIO) return -1;
    return 0;
  }
  const da = TRAIT_DETECTORS[trait](a);
  const db = TRAIT_DETECTORS[trait](b);
  return da === db ? 0 : da ? 1 : -1;
}

// ---------------------------------------------------------------------------------------------
// Question bank: one base answer per question, written in a neutral, formal register (no
// contractions, no exclamation marks, no emoji, no URL outside the source line), so every style
// variant is derived from it by rules.
// ---------------------------------------------------------------------------------------------

export type Topic =
  | 'cooking'
  | 'travel'
  | 'programming'
  | 'personal finance'
  | 'science'
  | 'writing'
  | 'fitness'
  | 'home repair'
  | 'gardening'
  | 'health';

export interface BankEntry {
  id: string;
  topic: Topic;
  question: string;
  /** The direct answer in one or two sentences. */
  summary: string;
  /** [short form, detailed form] of each point; the short forms alone are a complete terse answer. */
  points: [string, string][];
  /** Background and caveats that only the detailed versions carry. */
  extra: string;
  /** A complete attribution line (a "Source:" line or an "According to ..." sentence). */
  source: string;
  /** Two topical emoji for the emoji variants. */
  emoji: [string, string];
  /** Only where a code block makes sense for the question. */
  code?: { lang: string; intro: string; body: string };
}

export const QUESTION_BANK: readonly BankEntry[] = [
  {
    id: 'pasta',
    topic: 'cooking',
    question: 'How do I cook dried pasta so it comes out al dente?',
    summary:
      'Cook it in plenty of well-salted boiling water, start tasting two minutes before the packet time, and drain it while the centre still offers a slight bite.',
    points: [
      [
        'Boil plenty of water and salt it.',
        'Bring about four litres of water to a rolling boil for every 500 g of pasta and add a generous tablespoon of salt, which seasons the pasta from the inside.',
      ],
      [
        'Add the pasta and stir.',
        'Add the pasta all at once and stir during the first minute, when the surface starch is stickiest and pieces tend to clump together.',
      ],
      [
        'Taste it early.',
        'Begin tasting two minutes before the time printed on the packet; the pasta is ready when it is tender but a thin pale core remains in the centre.',
      ],
      [
        'Drain and sauce it at once.',
        'Keep a cup of the cooking water, drain the pasta, and toss it with the sauce immediately, loosening it with the starchy water if needed.',
      ],
    ],
    extra:
      'Pasta keeps cooking for a minute after draining, so stopping slightly early matters more than the exact timer. Rinsing is unnecessary unless the pasta is destined for a cold salad, because rinsing removes the starch that helps the sauce cling.',
    source: 'Source: Harold McGee, "On Food and Cooking" (Scribner, 2004), chapter on grains and pasta.',
    emoji: ['🍝', '👌'],
  },
  {
    id: 'rice',
    topic: 'cooking',
    question: 'What is the best way to cook fluffy white rice on the stove?',
    summary:
      'Rinse the rice, use about 1.5 cups of water per cup of long-grain rice, simmer it covered on low heat for 15 minutes, then let it rest off the heat for 10 minutes before fluffing.',
    points: [
      [
        'Rinse the rice until the water runs clear.',
        'Rinse the rice in a sieve under cold water until the water runs mostly clear, which removes loose surface starch that would otherwise make the grains gummy.',
      ],
      [
        'Measure the water.',
        'Use roughly 1.5 cups of water per cup of long-grain white rice; jasmine rice needs slightly less and basmati slightly more.',
      ],
      [
        'Simmer covered on low heat.',
        'Bring the pot to a boil, add a pinch of salt, cover with a tight lid and turn the heat to its lowest setting for about 15 minutes without lifting the lid.',
      ],
      [
        'Rest, then fluff.',
        'Take the pot off the heat and leave it covered for 10 minutes so the moisture evens out, then fluff the grains gently with a fork.',
      ],
    ],
    extra:
      'Lifting the lid releases the steam that cooks the top layer, which is the most common reason for rice that is crunchy on top and mushy underneath. A heavy pot also helps, because a thin base scorches before the rice is done.',
    source: 'Source: J. Kenji López-Alt, "The Food Lab" (W. W. Norton, 2015), section on rice.',
    emoji: ['🍚', '✨'],
  },
  {
    id: 'chicken',
    topic: 'cooking',
    question: 'How can I tell when a chicken breast is cooked through without drying it out?',
    summary:
      'Use an instant-read thermometer: chicken is safe at 74 °C (165 °F) in the thickest part, and taking it off the heat a few degrees earlier and letting it rest keeps it juicy.',
    points: [
      [
        'Even out the thickness.',
        'Pound the thick end of the breast gently until it is an even thickness, so the thin end does not overcook while the thick end catches up.',
      ],
      [
        'Cook over medium heat.',
        'Cook over medium rather than high heat so the outside browns without burning before the inside is done.',
      ],
      [
        'Check the temperature.',
        'Insert an instant-read thermometer into the thickest part and remove the chicken at about 71 °C (160 °F).',
      ],
      [
        'Let it rest.',
        'Rest the chicken for five minutes, during which carryover heat takes it to 74 °C (165 °F) and the juices settle.',
      ],
    ],
    extra:
      'Cutting into the meat to check the colour lets juices escape and is unreliable, since pinkness depends on acidity as well as temperature. A thermometer costs little and removes the guesswork entirely.',
    source:
      'Source: U.S. Department of Agriculture, Food Safety and Inspection Service, "Safe Minimum Internal Temperature Chart", https://www.fsis.usda.gov',
    emoji: ['🍗', '🌡️'],
  },
  {
    id: 'herbs',
    topic: 'cooking',
    question: 'How do I keep fresh herbs like basil and parsley from wilting in a day or two?',
    summary:
      'Treat soft herbs like cut flowers: trim the stems and stand them in a glass of water, keeping basil at room temperature and parsley loosely covered in the fridge.',
    points: [
      ['Trim the stems.', 'Cut a centimetre off the stems with a sharp knife so they can take up water again.'],
      [
        'Stand them in water.',
        'Place the bunch in a jar with a few centimetres of water, as you would with cut flowers.',
      ],
      [
        'Store each herb correctly.',
        'Keep basil on the counter away from direct sun, since cold turns its leaves black, and cover parsley, coriander and dill loosely with a bag before refrigerating them.',
      ],
      ['Change the water.', 'Replace the water every two days and remove any leaves that have turned slimy.'],
    ],
    extra:
      'Woody herbs such as rosemary and thyme are different: they keep best wrapped in a slightly damp paper towel inside a container in the fridge. Washing herbs only just before use also helps, because moisture on the leaves speeds up decay.',
    source:
      'According to the University of Illinois Extension guide to storing fresh herbs, soft herbs kept in water last up to two weeks.',
    emoji: ['🌿', '🥬'],
  },
  {
    id: 'jetlag',
    topic: 'travel',
    question: 'How can I get over jet lag faster after a long flight east?',
    summary:
      'Shift your schedule toward the destination a few days early, seek morning daylight once you arrive, and keep any nap under 30 minutes so you can sleep at the local bedtime.',
    points: [
      [
        'Shift your sleep before leaving.',
        'For three days before departure, go to bed and wake up about an hour earlier each day to move your body clock toward the destination.',
      ],
      [
        'Get morning light.',
        'After arriving, spend time outdoors in the morning, because bright morning light advances the body clock, which is what an eastward trip requires.',
      ],
      [
        'Limit naps.',
        'If you must nap, keep it under 30 minutes and before mid-afternoon, so you still feel sleepy at the local bedtime.',
      ],
      [
        'Time caffeine and meals.',
        'Eat meals at local times and avoid caffeine after noon to reinforce the new schedule.',
      ],
    ],
    extra:
      'As a rough rule the body adjusts by about one time zone per day, so a six-hour shift can take most of a week without help. Low-dose melatonin taken at the local bedtime helps some travellers, but it is worth discussing with a doctor first.',
    source:
      'Source: Centers for Disease Control and Prevention, "Jet Lag", CDC Yellow Book, https://www.cdc.gov/yellow-book',
    emoji: ['✈️', '😴'],
  },
  {
    id: 'carry-on',
    topic: 'travel',
    question: 'How do I pack for a two-week trip with only a carry-on bag?',
    summary:
      'Pack about five days of clothes in one colour scheme, plan to do laundry once, wear your bulkiest items on the plane, and use packing cubes to compress everything.',
    points: [
      [
        'Pick a colour palette.',
        'Choose clothes in two or three colours that all combine, so five tops and three bottoms give you many outfits.',
      ],
      [
        'Pack for five days, not fourteen.',
        'Bring roughly five days of clothing and plan one laundry stop halfway, either at the accommodation or at a laundrette.',
      ],
      ['Wear the bulky items.', 'Wear your heaviest shoes and jacket on the plane instead of packing them.'],
      [
        'Compress and decant.',
        'Roll clothes into packing cubes and move toiletries into small containers that meet the 100 ml liquid limit.',
      ],
    ],
    extra:
      'Most travellers overpack the items they use least, such as extra shoes and evening outfits, so it helps to lay everything out and remove a third of it before closing the bag. Check the airline allowance as well, since some budget carriers only permit a small under-seat bag without an extra fee.',
    source: 'Source: Rick Steves, "Packing Light" travel tips, https://www.ricksteves.com/travel-tips/packing-light',
    emoji: ['🧳', '🌍'],
  },
  {
    id: 'time-zones',
    topic: 'travel',
    question: 'How do I work out what time a 9 a.m. meeting in Tokyo is for me in Berlin?',
    summary:
      'Tokyo is 8 hours ahead of Berlin in winter and 7 hours ahead in summer, so a 9 a.m. Tokyo meeting is at 1 a.m. Berlin time in winter and 2 a.m. in summer.',
    points: [
      [
        'Find both UTC offsets.',
        'Look up the offsets: Tokyo is UTC+9 all year, while Berlin is UTC+1 in winter and UTC+2 during summer time.',
      ],
      ['Subtract the offsets.', 'The difference is 8 hours in winter and 7 hours in summer, with Tokyo ahead.'],
      [
        'Convert the meeting time.',
        'Subtract the difference from 9 a.m., which puts the meeting at 1 a.m. or 2 a.m. in Berlin.',
      ],
      [
        'Check the date.',
        'Make sure of the calendar day as well, because an early Tokyo meeting can fall on the previous evening in Berlin.',
      ],
    ],
    extra:
      'Japan does not observe daylight saving time, so only the Berlin side changes, on the last Sundays of March and October. Calendar applications handle this automatically when the invitation carries the correct time zone, which is the safest way to schedule recurring meetings.',
    source: 'Source: IANA Time Zone Database, entries Asia/Tokyo and Europe/Berlin, https://www.iana.org/time-zones',
    emoji: ['🕘', '🌏'],
    code: {
      lang: 'python',
      intro: 'In Python, the standard zoneinfo module does the conversion, including summer time:',
      body: 'from datetime import datetime\nfrom zoneinfo import ZoneInfo\n\ntokyo = datetime(2025, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))\nprint(tokyo.astimezone(ZoneInfo("Europe/Berlin")))  # 2025-03-10 01:00:00+01:00',
    },
  },
  {
    id: 'paying-abroad',
    topic: 'travel',
    question: 'What is the cheapest way to pay for things when travelling abroad?',
    summary:
      'Use a card with no foreign transaction fee, always choose to pay in the local currency, and withdraw cash from bank-owned cash machines in larger, less frequent amounts.',
    points: [
      [
        'Get a fee-free card.',
        'Before leaving, get a debit or credit card that charges no foreign transaction fee; many online banks offer one.',
      ],
      [
        'Pay in local currency.',
        'When a terminal offers to charge you in your home currency, decline, because this dynamic currency conversion uses a poor exchange rate.',
      ],
      [
        'Withdraw cash sparingly.',
        'Use cash machines run by banks rather than standalone machines, and withdraw larger amounts less often to limit fixed fees.',
      ],
      [
        'Avoid airport exchange desks.',
        'Skip exchange counters at airports and hotels, which typically add margins of 10 percent or more.',
      ],
    ],
    extra:
      'It also helps to tell your bank about the trip or to check the travel settings in its app, so that foreign payments are not blocked as suspected fraud. Keeping a second card in a separate place protects you if the first one is lost or stolen.',
    source:
      'According to the European Consumer Centres Network, choosing the local currency at the terminal avoids conversion mark-ups that often exceed 5 percent.',
    emoji: ['💳', '🌍'],
  },
  {
    id: 'reverse-list',
    topic: 'programming',
    question: 'How do I reverse a list in Python?',
    summary: 'Use slicing, items[::-1], to get a reversed copy, or call items.reverse() to reverse the list in place.',
    points: [
      [
        'Decide whether you need a copy.',
        'Decide first whether the original list must stay unchanged, because the two main approaches differ exactly there.',
      ],
      [
        'Use slicing for a copy.',
        'Write items[::-1] to create a new list in reverse order, leaving the original untouched.',
      ],
      [
        'Use reverse() in place.',
        'Call items.reverse() to reverse the existing list without allocating a new one, keeping in mind that it returns None.',
      ],
      [
        'Use reversed() for loops.',
        'Use reversed(items) when you only need to loop backwards, since it returns a lazy iterator instead of a list.',
      ],
    ],
    extra:
      'A common mistake is writing items = items.reverse(), which replaces the list with None because reverse() works in place. For very large lists, the in-place method avoids doubling memory use.',
    source:
      'Source: Python documentation, "Sequence Types: list", https://docs.python.org/3/library/stdtypes.html#lists',
    emoji: ['🐍', '🔁'],
    code: {
      lang: 'python',
      intro: 'For example:',
      body: 'items = [1, 2, 3, 4]\ncopy = items[::-1]      # [4, 3, 2, 1], items unchanged\nitems.reverse()         # items is now [4, 3, 2, 1]\nfor x in reversed(copy):\n    print(x)',
    },
  },
  {
    id: 'read-csv',
    topic: 'programming',
    question: 'What is the easiest way to read a CSV file in Python?',
    summary:
      'For simple files use the built-in csv module with csv.DictReader, which gives each row as a dictionary keyed by the header; for analysis work, pandas.read_csv is more convenient.',
    points: [
      [
        'Open the file with the right options.',
        "Open the file with newline='' and an explicit encoding such as utf-8, which the csv module expects.",
      ],
      [
        'Create a DictReader.',
        'Wrap the file in csv.DictReader so that each row becomes a dictionary keyed by the column names in the header.',
      ],
      [
        'Loop over the rows.',
        'Iterate over the reader and access fields by name, converting numbers yourself, because every value arrives as a string.',
      ],
      [
        'Switch to pandas for analysis.',
        'If you need filtering, grouping or statistics, load the file with pandas.read_csv, which infers column types for you.',
      ],
    ],
    extra:
      "The csv module handles quoted fields and commas inside values correctly, which is why splitting lines on commas by hand tends to break on real data. For files with a different delimiter, pass delimiter=';' or whatever character the file uses.",
    source:
      'Source: Python documentation, "csv: CSV File Reading and Writing", https://docs.python.org/3/library/csv.html',
    emoji: ['🐍', '📄'],
    code: {
      lang: 'python',
      intro: 'For example:',
      body: 'import csv\n\nwith open("sales.csv", newline="", encoding="utf-8") as f:\n    for row in csv.DictReader(f):\n        print(row["region"], float(row["amount"]))',
    },
  },
  {
    id: 'git-undo',
    topic: 'programming',
    question: 'How do I undo my last Git commit but keep the changes?',
    summary:
      'Run git reset --soft HEAD~1: it removes the last commit and leaves its changes staged, so you can edit them and commit again.',
    points: [
      [
        'Check that the commit is not pushed.',
        'Make sure the commit has not been pushed to a shared branch, because rewriting published history causes problems for collaborators.',
      ],
      [
        'Reset softly.',
        'Run git reset --soft HEAD~1 to move the branch back one commit while keeping the changes staged.',
      ],
      [
        'Adjust the changes.',
        'Edit, stage or unstage files as needed; git status shows what will go into the next commit.',
      ],
      ['Commit again.', 'Create a new commit with the corrected content or message.'],
    ],
    extra:
      'If the commit has already been pushed, git revert HEAD is the safer choice, because it adds a new commit that undoes the old one instead of rewriting history. To fix only the message of the last commit, git commit --amend is quicker.',
    source:
      'Source: Scott Chacon and Ben Straub, "Pro Git", 2nd edition, section 7.7 "Reset Demystified", https://git-scm.com/book/en/v2',
    emoji: ['🔧', '🌱'],
    code: {
      lang: 'bash',
      intro: 'The commands:',
      body: 'git reset --soft HEAD~1   # undo the commit, keep changes staged\ngit status                # review what is staged\ngit commit -m "Better message"',
    },
  },
  {
    id: 'js-dedupe',
    topic: 'programming',
    question: 'How can I remove duplicate values from an array in JavaScript?',
    summary:
      'For primitive values, spread a Set back into an array: [...new Set(values)] keeps the first occurrence of each value and preserves order.',
    points: [
      [
        'Check the element type.',
        'Check whether the array holds primitives such as numbers and strings or objects, because a Set compares objects by reference.',
      ],
      ['Use a Set for primitives.', 'Create a Set from the array, which drops repeated values automatically.'],
      [
        'Convert back to an array.',
        'Spread the Set into a new array, or use Array.from, to get an ordinary array in the original order.',
      ],
      [
        'Use a key for objects.',
        'For objects, filter the array while remembering the keys already seen, for example the id of each object.',
      ],
    ],
    extra:
      'A Set keeps insertion order, so the result keeps the first occurrence of every value. Older approaches based on indexOf inside filter work too, but they become slow on large arrays because each lookup scans the whole array.',
    source:
      'Source: MDN Web Docs, "Set", https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Set',
    emoji: ['🟨', '✨'],
    code: {
      lang: 'javascript',
      intro: 'For example:',
      body: 'const values = [3, 1, 3, 2, 1];\nconst unique = [...new Set(values)]; // [3, 1, 2]\n\nconst seen = new Set();\nconst people = records.filter((p) => !seen.has(p.id) && seen.add(p.id));',
    },
  },
  {
    id: 'promise-all',
    topic: 'programming',
    question: 'How do I wait for several API requests to finish at the same time in JavaScript?',
    summary:
      'Start all the requests first and await Promise.all on the resulting promises; it resolves with every result in order, or rejects as soon as one request fails.',
    points: [
      ['Start every request.', 'Call each request function without awaiting it, so that all of them run concurrently.'],
      [
        'Collect the promises.',
        'Put the returned promises in an array, keeping the order in which you want the results.',
      ],
      ['Await Promise.all.', 'Await Promise.all on the array; it resolves to an array of results in the same order.'],
      [
        'Handle failures.',
        'Use Promise.allSettled instead if one failed request should not discard the results of the others.',
      ],
    ],
    extra:
      'Awaiting each request inside a loop runs them one after another, so the total time becomes the sum of all requests instead of the slowest one. When there are hundreds of requests, limit concurrency so the server is not flooded.',
    source:
      'Source: MDN Web Docs, "Promise.all()", https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Promise/all',
    emoji: ['⚡', '🟨'],
    code: {
      lang: 'javascript',
      intro: 'For example:',
      body: 'const urls = ["/api/user", "/api/orders", "/api/settings"];\nconst responses = await Promise.all(urls.map((u) => fetch(u)));\nconst [user, orders, settings] = await Promise.all(responses.map((r) => r.json()));',
    },
  },
  {
    id: 'sql-count',
    topic: 'programming',
    question: 'How do I count how many orders each customer has in SQL?',
    summary:
      'Group the orders by customer and count them: SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id.',
    points: [
      ['Select the grouping column.', 'Select the column that identifies the customer, such as customer_id.'],
      ['Add an aggregate.', 'Add COUNT(*) to count the rows in each group.'],
      ['Group the rows.', 'Finish with GROUP BY customer_id so that the count is computed per customer.'],
      [
        'Filter or sort if needed.',
        'Use HAVING to keep only groups above a threshold and ORDER BY to rank customers by their count.',
      ],
    ],
    extra:
      'Customers without any orders do not appear in this result, because they have no rows in the orders table. To include them with a count of zero, start from the customers table and use a LEFT JOIN, counting a column from the orders side.',
    source:
      'Source: PostgreSQL documentation, "Aggregate Functions", https://www.postgresql.org/docs/current/tutorial-agg.html',
    emoji: ['🗄️', '📊'],
    code: {
      lang: 'sql',
      intro: 'For example, including customers without orders:',
      body: 'SELECT c.id, c.name, COUNT(o.id) AS orders\nFROM customers c\nLEFT JOIN orders o ON o.customer_id = c.id\nGROUP BY c.id, c.name\nORDER BY orders DESC;',
    },
  },
  {
    id: 'venv',
    topic: 'programming',
    question: 'How do I set up a virtual environment for a Python project?',
    summary:
      'Run python -m venv .venv in the project folder, activate it, and install your packages with pip; they then stay isolated from other projects.',
    points: [
      [
        'Create the environment.',
        'In the project folder, run python -m venv .venv to create an isolated environment in a hidden folder.',
      ],
      [
        'Activate it.',
        'Activate it with the activate script in .venv/bin on macOS and Linux, or in .venv/Scripts on Windows.',
      ],
      [
        'Install packages.',
        'Install dependencies with pip while the environment is active; they are stored inside .venv only.',
      ],
      [
        'Record the dependencies.',
        'Save the versions with pip freeze into requirements.txt so that others can recreate the same environment.',
      ],
    ],
    extra:
      'Add .venv to the .gitignore file, since the environment is machine-specific and can always be rebuilt from requirements.txt. Editors such as VS Code detect the environment automatically once it exists in the project folder.',
    source:
      'Source: Python documentation, "venv: Creation of virtual environments", https://docs.python.org/3/library/venv.html',
    emoji: ['🐍', '📦'],
    code: {
      lang: 'bash',
      intro: 'On macOS or Linux:',
      body: 'python -m venv .venv\nsource .venv/bin/activate\npip install requests\npip freeze > requirements.txt',
    },
  },
  {
    id: 'disk-space',
    topic: 'programming',
    question: 'How do I find which files are taking up the most disk space on Linux?',
    summary:
      'Run du -ah on the folder, sort the output by size with sort -rh, and look at the top entries; tools such as ncdu make the same search interactive.',
    points: [
      ['Start from the right folder.', 'Change to the folder you suspect, or start from your home directory.'],
      ['Measure sizes with du.', 'Run du -ah to list the size of every file and folder in human-readable units.'],
      ['Sort and trim.', 'Pipe the output through sort -rh and head -n 20 to see the twenty largest entries.'],
      [
        'Try an interactive tool.',
        'Install ncdu for a navigable view that lets you drill into folders and delete files directly.',
      ],
    ],
    extra:
      'Running the command on the whole system needs sudo and can take a while, so it is usually faster to begin with obvious candidates such as downloads, caches and log folders. Also check df -h first, which shows how full each disk is.',
    source:
      'Source: GNU Coreutils manual, "du invocation", https://www.gnu.org/software/coreutils/manual/html_node/du-invocation.html',
    emoji: ['💾', '🐧'],
    code: {
      lang: 'bash',
      intro: 'The twenty largest items under your home folder:',
      body: 'du -ah ~ 2>/dev/null | sort -rh | head -n 20',
    },
  },
  {
    id: 'emergency-fund',
    topic: 'personal finance',
    question: 'How big should my emergency fund be?',
    summary:
      'Aim for three to six months of essential expenses, leaning toward six if your income is irregular or you support others, and keep it in an easy-access savings account.',
    points: [
      [
        'Add up essential expenses.',
        'Total one month of essential spending: rent or mortgage, utilities, food, insurance, transport and minimum debt payments.',
      ],
      [
        'Multiply by three to six.',
        'Multiply that figure by three if your job is stable and by six or more if your income varies or others depend on you.',
      ],
      [
        'Build it gradually.',
        'Set up an automatic transfer on payday, starting with a first goal of one month of expenses.',
      ],
      [
        'Keep it accessible.',
        'Hold the fund in an instant-access savings account, separate from your everyday account, rather than investing it.',
      ],
    ],
    extra:
      'The fund exists to cover job loss, medical bills or urgent repairs without borrowing at high interest. Once it is complete, additional savings can go toward long-term goals such as retirement investing.',
    source:
      'Source: Consumer Financial Protection Bureau, "An essential guide to building an emergency fund", https://www.consumerfinance.gov',
    emoji: ['💰', '🛟'],
  },
  {
    id: 'compound-interest',
    topic: 'personal finance',
    question: 'How does compound interest work, and how much would 5,000 dollars grow to in 10 years?',
    summary:
      'Compound interest earns interest on previous interest; at 5 percent a year compounded annually, 5,000 dollars grows to about 8,144 dollars in 10 years.',
    points: [
      ['Start with the principal.', 'Begin with the amount invested, here 5,000 dollars.'],
      [
        'Apply the rate each year.',
        'Each year, multiply the balance by one plus the rate, so at 5 percent the balance becomes 1.05 times larger.',
      ],
      [
        'Repeat for every year.',
        'After n years the balance is the principal times 1.05 to the power n, because each year builds on the last.',
      ],
      [
        'Compare with simple interest.',
        'Simple interest would give only 7,500 dollars, so compounding adds about 644 dollars here.',
      ],
    ],
    extra:
      'The effect grows with time: over 30 years the same 5,000 dollars would reach about 21,600 dollars at 5 percent. More frequent compounding, such as monthly, adds a little more, while fees and inflation reduce the real return.',
    source:
      'Source: U.S. Securities and Exchange Commission, Investor.gov compound interest calculator, https://www.investor.gov',
    emoji: ['📈', '💵'],
    code: {
      lang: 'python',
      intro: 'The same calculation in Python:',
      body: 'principal, rate, years = 5000, 0.05, 10\nbalance = principal * (1 + rate) ** years\nprint(f"{balance:,.2f}")  # 8,144.47',
    },
  },
  {
    id: 'budget-split',
    topic: 'personal finance',
    question: 'How should I split my monthly take-home pay between needs, wants and savings?',
    summary:
      'A simple starting point is the 50/30/20 rule: about 50 percent for needs, 30 percent for wants and 20 percent for savings and extra debt payments.',
    points: [
      [
        'Start from take-home pay.',
        'Use your income after tax and deductions, since that is the money you actually have.',
      ],
      [
        'Allocate half to needs.',
        'Put about 50 percent toward needs such as housing, groceries, utilities, insurance and minimum loan payments.',
      ],
      ['Allocate 30 percent to wants.', 'Allow around 30 percent for wants such as dining out, hobbies and travel.'],
      [
        'Save the remaining 20 percent.',
        'Direct 20 percent to savings, investments and paying down debt faster, ideally by automatic transfer.',
      ],
    ],
    extra:
      'In expensive cities needs often exceed half of income, in which case it is reasonable to shrink the wants category first rather than savings. Reviewing the split every few months keeps it realistic as income and costs change.',
    source:
      'Source: Elizabeth Warren and Amelia Warren Tyagi, "All Your Worth: The Ultimate Lifetime Money Plan" (Free Press, 2005).',
    emoji: ['🧾', '💡'],
    code: {
      lang: 'python',
      intro: 'For example, in Python:',
      body: 'take_home = 3200\nfor name, share in [("needs", 0.5), ("wants", 0.3), ("savings", 0.2)]:\n    print(f"{name}: {take_home * share:.0f}")',
    },
  },
  {
    id: 'debt-order',
    topic: 'personal finance',
    question: 'Should I pay off my smallest debt first or the one with the highest interest rate?',
    summary:
      'Paying the highest-interest debt first, the avalanche method, costs the least overall, while paying the smallest balance first, the snowball method, gives quicker wins that help some people stay motivated.',
    points: [
      ['List every debt.', 'Write down each debt with its balance, interest rate and minimum payment.'],
      ['Pay all minimums.', 'Keep paying the minimum on every debt so that none falls into arrears.'],
      [
        'Choose a target.',
        'Send all extra money to one debt: the highest rate for the avalanche method or the smallest balance for the snowball method.',
      ],
      [
        'Roll payments forward.',
        'When a debt is paid off, add its payment to the next target so the amount you repay keeps growing.',
      ],
    ],
    extra:
      'The difference in cost is largest when rates differ a lot, for example a credit card at 24 percent next to a car loan at 6 percent. If motivation has been the problem in the past, the snowball method may still be the better choice, because a plan that is followed beats an optimal plan that is abandoned.',
    source:
      'According to Gal and McShane, "Can Small Victories Help Win the War? Evidence from Consumer Debt Management", Journal of Marketing Research (2012), closing small accounts first is associated with paying off more debt overall.',
    emoji: ['💳', '🏔️'],
  },
  {
    id: 'index-funds',
    topic: 'personal finance',
    question: 'What is an index fund, and why do people recommend them for beginners?',
    summary:
      'An index fund holds all the stocks or bonds in a market index, such as the S&P 500, so it offers broad diversification at a very low cost without needing to pick investments.',
    points: [
      [
        'It tracks an index.',
        'The fund buys every security in an index in the same proportions, so its return follows that market.',
      ],
      ['It spreads risk.', 'Owning hundreds of companies means a single failure has little effect on the whole.'],
      [
        'It costs little.',
        'Because no analysts pick stocks, annual fees are often below 0.2 percent, compared with about 1 percent for many actively managed funds.',
      ],
      [
        'It needs little attention.',
        'Investors can contribute regularly and hold for years without monitoring individual companies.',
      ],
    ],
    extra:
      'Over long periods most actively managed funds fail to beat their benchmark index after fees, which is the main argument for indexing. Index funds still fall when the market falls, so they suit money that can stay invested for at least five years.',
    source:
      'Source: S&P Dow Jones Indices, SPIVA U.S. Scorecard, https://www.spglobal.com/spdji/en/research-insights/spiva/',
    emoji: ['📊', '🌱'],
  },
  {
    id: 'blue-sky',
    topic: 'science',
    question: 'Why is the sky blue?',
    summary:
      'Air molecules scatter short-wavelength blue light much more strongly than red light, a process called Rayleigh scattering, so blue light reaches our eyes from every direction of the sky.',
    points: [
      [
        'Sunlight contains all colours.',
        'Sunlight is a mixture of all visible wavelengths, from violet and blue to red.',
      ],
      [
        'Air scatters blue light most.',
        'Molecules of nitrogen and oxygen scatter light more strongly the shorter its wavelength, so blue is scattered about five times more than red.',
      ],
      [
        'Scattered light fills the sky.',
        'This scattered blue light reaches us from all parts of the sky, which is why the whole sky looks blue.',
      ],
      [
        'Our eyes favour blue over violet.',
        'Violet is scattered even more, but sunlight contains less of it and our eyes are less sensitive to it.',
      ],
    ],
    extra:
      'The same effect explains red sunsets: when the sun is low, its light crosses much more air, so most of the blue is scattered away before it reaches us and the remaining light looks orange and red.',
    source: 'Source: NASA Space Place, "Why Is the Sky Blue?", https://spaceplace.nasa.gov/blue-sky/',
    emoji: ['🌤️', '🔵'],
  },
  {
    id: 'vaccines',
    topic: 'science',
    question: 'How do vaccines train the immune system?',
    summary:
      'A vaccine shows the immune system a harmless version or piece of a pathogen, so it produces antibodies and memory cells that recognise the real pathogen quickly later.',
    points: [
      [
        'The vaccine presents an antigen.',
        'The vaccine contains a weakened or inactivated pathogen, a protein from it, or instructions such as mRNA for making that protein.',
      ],
      [
        'The immune system responds.',
        'Immune cells recognise the antigen as foreign and begin producing antibodies and activated T cells against it.',
      ],
      ['Memory cells form.', 'Some of these cells become long-lived memory B and T cells that remember the antigen.'],
      [
        'Later infection is stopped faster.',
        'If the real pathogen arrives, the memory cells respond within days instead of weeks, usually preventing serious illness.',
      ],
    ],
    extra:
      'Some vaccines need boosters because memory fades over time or because the pathogen changes, as influenza does every year. A mild fever or a sore arm after vaccination is a sign of the immune response starting, not of infection.',
    source:
      'Source: World Health Organization, "How do vaccines work?", https://www.who.int/news-room/feature-stories/detail/how-do-vaccines-work',
    emoji: ['💉', '🛡️'],
  },
  {
    id: 'celsius',
    topic: 'science',
    question: 'How do I convert a temperature from Celsius to Fahrenheit?',
    summary: 'Multiply the Celsius value by 9/5 and add 32; for example, 20 °C is 68 °F.',
    points: [
      [
        'Multiply by 9/5.',
        'Multiply the temperature in Celsius by 9/5, or 1.8, because a Fahrenheit degree is smaller than a Celsius degree.',
      ],
      ['Add 32.', 'Add 32 to account for the different zero points: water freezes at 0 °C and at 32 °F.'],
      ['Check with a known value.', 'Test the result against a reference point: 100 °C should give 212 °F.'],
      [
        'Estimate mentally if needed.',
        'For a quick estimate, double the Celsius value and add 30, which is close for everyday temperatures.',
      ],
    ],
    extra:
      'To convert back, subtract 32 and multiply by 5/9. The two scales meet at minus 40, where both read the same value.',
    source:
      'Source: National Institute of Standards and Technology, "SI Units: Temperature", https://www.nist.gov/pml/owm/si-units-temperature',
    emoji: ['🌡️', '🔥'],
    code: {
      lang: 'python',
      intro: 'As a Python function:',
      body: 'def celsius_to_fahrenheit(c: float) -> float:\n    return c * 9 / 5 + 32\n\nprint(celsius_to_fahrenheit(20))  # 68.0',
    },
  },
  {
    id: 'seasons',
    topic: 'science',
    question: 'Why do we have seasons?',
    summary:
      'Seasons come from the tilt of the Earth, about 23.4 degrees, which gives each hemisphere more direct sunlight and longer days for part of the year; the distance from the Sun plays almost no role.',
    points: [
      [
        'The axis is tilted.',
        'The Earth spins on an axis tilted about 23.4 degrees relative to its orbit, and the tilt keeps pointing the same way in space.',
      ],
      [
        'Each hemisphere leans toward the Sun in turn.',
        'As the Earth orbits, first one hemisphere and then the other leans toward the Sun.',
      ],
      [
        'Direct sunlight heats more.',
        'The hemisphere leaning toward the Sun receives sunlight at a steeper angle, which concentrates the energy on a smaller area.',
      ],
      [
        'Days are longer in summer.',
        'That hemisphere also has longer days, so it gathers more heat than it loses at night.',
      ],
    ],
    extra:
      'The Earth is actually closest to the Sun in early January, during the northern winter, which shows that distance is not the cause. Near the equator the tilt matters little, so seasons there are defined more by rainfall than by temperature.',
    source: 'Source: NASA Space Place, "What Causes the Seasons?", https://spaceplace.nasa.gov/seasons/',
    emoji: ['🌍', '☀️'],
  },
  {
    id: 'cover-letter',
    topic: 'writing',
    question: 'How should I open a cover letter so the first paragraph gets noticed?',
    summary:
      'Open with the specific role, one concrete achievement that matches its main requirement, and a sentence on why this organisation in particular interests you.',
    points: [
      [
        'Name the role.',
        'State the exact position you are applying for, and mention a referral if someone recommended you.',
      ],
      [
        'Lead with an achievement.',
        'Give one concrete, measurable achievement that matches the most important requirement in the advertisement.',
      ],
      [
        'Show why this organisation.',
        'Add a sentence that shows you know the organisation, such as a recent project or value that appeals to you.',
      ],
      ['Keep it tight.', 'Keep the paragraph to three or four sentences, so the reader reaches the main body quickly.'],
    ],
    extra:
      'Generic openings, such as announcing that you are writing to apply for a position, waste the first seconds of the attention of the reader. Recruiters often skim, so the first two lines should already answer why you are a strong match.',
    source:
      'Source: Harvard FAS Mignone Center for Career Success, "Cover Letters" guide, https://careerservices.fas.harvard.edu',
    emoji: ['✉️', '💼'],
  },
  {
    id: 'paragraph-flow',
    topic: 'writing',
    question: 'How can I make the paragraphs in my essay flow better?',
    summary:
      'Give each paragraph one main idea stated in its first sentence, link it to the previous paragraph with a transition, and order sentences so each one builds on the last.',
    points: [
      [
        'Start with a topic sentence.',
        'Open each paragraph with a sentence that states its main point, so the reader knows where it is going.',
      ],
      [
        'Connect to what came before.',
        'Use a transition that shows the relationship to the previous paragraph, such as contrast, cause or example.',
      ],
      [
        'Move from known to new.',
        'Begin sentences with information the reader already has and end them with new information, which creates a natural chain.',
      ],
      [
        'Read it aloud.',
        'Read the essay aloud and mark every place where you stumble; those are usually the gaps in logic.',
      ],
    ],
    extra:
      'Transitions cannot rescue an argument whose order is wrong, so it often helps to write a one-line summary of each paragraph and check that the summaries alone tell a coherent story. Cutting repeated points also improves flow more than adding connecting words.',
    source:
      'Source: Joseph M. Williams and Joseph Bizup, "Style: Lessons in Clarity and Grace", 12th edition (Pearson, 2016), lessons 5 and 6.',
    emoji: ['✍️', '📚'],
  },
  {
    id: 'follow-up-email',
    topic: 'writing',
    question: 'How do I write a follow-up email when someone has not replied to me in a week?',
    summary:
      'Reply in the same thread, restate your request in one sentence, make it easy to answer, and offer a simple next step or deadline.',
    points: [
      [
        'Reply in the original thread.',
        'Reply to your earlier message so the recipient sees the full context without searching.',
      ],
      ['Restate the request.', 'Summarise what you need in a single sentence, placed at the top of the email.'],
      ['Make answering easy.', 'Offer options or a yes-or-no question so the reply takes less than a minute.'],
      ['Propose a next step.', 'Suggest a date or a quick call, and thank the recipient for their time.'],
    ],
    extra:
      'Most unanswered emails are simply buried rather than ignored, so a friendly, specific reminder usually works. If there is still no reply after a second follow-up, a different channel such as a phone call is often more effective than a third email.',
    source: 'Source: Purdue Online Writing Lab, "Email Etiquette", https://owl.purdue.edu',
    emoji: ['📧', '🙂'],
  },
  {
    id: 'start-running',
    topic: 'fitness',
    question: 'How should I start running if I have never run before?',
    summary:
      'Begin with run-walk intervals three times a week, such as one minute of running and two of walking for 20 to 30 minutes, and increase the running share gradually over about eight weeks.',
    points: [
      [
        'Start with intervals.',
        'Alternate one minute of easy running with two minutes of walking for 20 to 30 minutes.',
      ],
      ['Run three times a week.', 'Leave a rest day between sessions so muscles and tendons can adapt.'],
      [
        'Progress gradually.',
        'Each week, lengthen the running intervals slightly, keeping the weekly increase around 10 percent.',
      ],
      ['Keep the pace conversational.', 'Run slowly enough to speak in full sentences; speed comes later.'],
    ],
    extra:
      'Most beginner injuries come from increasing distance too quickly, not from running slowly. Comfortable shoes that suit your stride matter more than expensive gear, and a specialist shop can help you choose.',
    source:
      'Source: NHS, "Couch to 5K: week by week", https://www.nhs.uk/live-well/exercise/running-and-aerobic-exercises/',
    emoji: ['🏃', '👟'],
    code: {
      lang: 'python',
      intro: 'If you log your runs, a small Python function turns time and distance into pace:',
      body: 'def pace(minutes: float, km: float) -> str:\n    per_km = minutes / km\n    return f"{int(per_km)}:{round(per_km % 1 * 60):02d} min/km"\n\nprint(pace(33, 5))  # 6:36 min/km',
    },
  },
  {
    id: 'protein',
    topic: 'fitness',
    question: 'How much protein do I need to build muscle?',
    summary:
      'Most people who strength train build muscle well on about 1.6 grams of protein per kilogram of body weight per day, spread over three or four meals.',
    points: [
      ['Find your body weight.', 'Use your body weight in kilograms as the base of the calculation.'],
      [
        'Multiply by 1.6.',
        'Multiply it by about 1.6 to get a daily target; up to 2.2 grams per kilogram can help during a calorie deficit.',
      ],
      ['Spread it across meals.', 'Divide the total over three or four meals of roughly 20 to 40 grams each.'],
      [
        'Pair it with training.',
        'Combine the intake with progressive resistance training, since protein alone does not build muscle.',
      ],
    ],
    extra:
      'For a 70 kg person, 1.6 grams per kilogram means about 112 grams a day, which is achievable from ordinary foods such as eggs, dairy, legumes, fish and meat. People with kidney disease should discuss higher intakes with a doctor first.',
    source:
      'Source: Morton et al., "A systematic review, meta-analysis and meta-regression of the effect of protein supplementation on resistance training-induced gains in muscle mass and strength", British Journal of Sports Medicine (2018).',
    emoji: ['💪', '🥚'],
  },
  {
    id: 'squat',
    topic: 'fitness',
    question: 'What is the correct form for a bodyweight squat?',
    summary:
      'Stand with feet about shoulder-width apart, push your hips back and bend your knees while keeping your chest up and heels down, lower until your thighs are about parallel, then stand back up.',
    points: [
      ['Set your stance.', 'Stand with your feet about shoulder-width apart and your toes turned slightly outward.'],
      [
        'Sit back and down.',
        'Push your hips back and bend your knees at the same time, as if sitting onto a chair behind you.',
      ],
      [
        'Keep your chest up.',
        'Keep your chest lifted and your back neutral, with your knees tracking in line with your toes.',
      ],
      [
        'Drive back up.',
        'Lower until your thighs are roughly parallel to the floor, then press through your whole foot to stand.',
      ],
    ],
    extra:
      'Heels lifting off the floor usually signals limited ankle mobility, which a small plate under the heels or regular calf stretching can help with. Start with two or three sets of ten slow repetitions before adding weight.',
    source:
      'Source: American Council on Exercise, "Bodyweight Squat", ACE exercise library, https://www.acefitness.org',
    emoji: ['🏋️', '🦵'],
  },
  {
    id: 'dripping-tap',
    topic: 'home repair',
    question: 'How do I fix a dripping tap in the kitchen?',
    summary:
      'Turn off the water supply, take the tap handle apart, and replace the worn washer or ceramic cartridge inside, which is almost always the cause of the drip.',
    points: [
      [
        'Isolate the water.',
        'Close the isolation valve under the sink, or the main stopcock, and open the tap to drain it.',
      ],
      [
        'Remove the handle.',
        'Prise off the decorative cap, unscrew the handle and use a spanner to undo the headgear or cartridge.',
      ],
      [
        'Replace the worn part.',
        'Take the old washer or cartridge to a hardware shop and buy an identical replacement.',
      ],
      ['Reassemble and test.', 'Put everything back in reverse order, turn the water on slowly and check for drips.'],
    ],
    extra:
      'Put the plug in the sink before starting, so small screws cannot disappear down the drain. If the tap still drips with a new washer, the valve seat may be worn, which a reseating tool or a plumber can fix.',
    source: 'Source: Which? consumer guide, "How to fix a dripping tap", https://www.which.co.uk',
    emoji: ['🚰', '🔧'],
  },
  {
    id: 'plasterboard-hole',
    topic: 'home repair',
    question: 'How do I patch a small hole in a plasterboard wall?',
    summary:
      'For holes up to a few centimetres, cover the hole with a self-adhesive mesh patch, spread two thin coats of filler over it, sand smooth when dry, and paint.',
    points: [
      ['Clean the edges.', 'Cut away loose paper and crumbled plaster around the hole with a utility knife.'],
      [
        'Apply a mesh patch.',
        'Stick a self-adhesive mesh patch over the hole, overlapping the sound wall on every side.',
      ],
      [
        'Fill in thin coats.',
        'Spread a thin coat of filler with a wide knife, let it dry, then apply a second coat feathered a little wider.',
      ],
      ['Sand and paint.', 'Sand lightly until the patch is flush with the wall, wipe off the dust, prime and paint.'],
    ],
    extra:
      'Thin coats dry faster and crack less than one thick coat. For larger holes, cut a neat square and screw a new piece of plasterboard to battens behind it instead of relying on mesh.',
    source: 'Source: This Old House, "How to Patch Drywall", https://www.thisoldhouse.com',
    emoji: ['🧱', '🛠️'],
  },
  {
    id: 'slow-drain',
    topic: 'home repair',
    question: 'How can I unclog a slow bathroom sink drain without harsh chemicals?',
    summary:
      'Pull out the hair and soap buildup from the pop-up stopper or with a plastic drain snake, then flush the drain with very hot water.',
    points: [
      [
        'Remove the stopper.',
        'Lift out the pop-up stopper, or unscrew the nut behind the drain pipe that holds its rod.',
      ],
      ['Clear the clog.', 'Pull out hair and soap buildup with a plastic drain snake or a bent wire.'],
      ['Flush with hot water.', 'Pour a kettle of very hot water down the drain to wash away loosened residue.'],
      [
        'Clean the trap if needed.',
        'If the drain is still slow, place a bucket underneath and unscrew the U-shaped trap to clean it out.',
      ],
    ],
    extra:
      'Baking soda followed by vinegar produces impressive foam but does little against hair clogs, which are the usual culprit in bathroom sinks. A simple drain cover prevents most future blockages.',
    source: 'Source: Family Handyman, "How to Unclog a Bathroom Sink", https://www.familyhandyman.com',
    emoji: ['🛁', '🪠'],
  },
  {
    id: 'tomato-leaves',
    topic: 'gardening',
    question: 'Why are the lower leaves on my tomato plants turning yellow?',
    summary:
      'Yellowing lower leaves on tomatoes usually come from nitrogen deficiency, overwatering, or early blight, a fungal disease that starts on the oldest leaves.',
    points: [
      [
        'Look at the pattern.',
        'Check whether the leaves are evenly yellow, which suggests a nutrient problem, or show brown spots with rings, which points to early blight.',
      ],
      [
        'Check the watering.',
        'Feel the soil a few centimetres down, and if it is soggy, water less often but more deeply.',
      ],
      ['Feed if needed.', 'Apply a balanced fertiliser if the whole lower plant is pale and the soil is poor.'],
      [
        'Remove affected leaves.',
        'Pinch off spotted leaves, keep foliage dry and mulch the soil to stop spores splashing up.',
      ],
    ],
    extra:
      'Some yellowing of the very oldest leaves is normal as the plant matures and shades them. Rotating where tomatoes are planted each year also reduces early blight, because the fungus survives in the soil.',
    source: 'Source: Royal Horticultural Society, "Tomato leaf problems", https://www.rhs.org.uk',
    emoji: ['🍅', '🌱'],
  },
  {
    id: 'sleep',
    topic: 'health',
    question: 'How can I fall asleep faster at night?',
    summary:
      'Keep a fixed wake-up time, avoid screens and caffeine in the hours before bed, keep the bedroom cool and dark, and get up for a while if you cannot sleep after about 20 minutes.',
    points: [
      [
        'Fix your wake-up time.',
        'Get up at the same time every day, including weekends, which anchors your body clock.',
      ],
      ['Cut caffeine early.', 'Avoid caffeine after early afternoon, since it stays in the body for many hours.'],
      [
        'Wind down without screens.',
        'Spend the last half hour before bed away from bright screens, doing something calm such as reading.',
      ],
      [
        'Leave bed if awake.',
        'If you are still awake after about 20 minutes, get up, do something quiet in dim light, and return when sleepy.',
      ],
    ],
    extra:
      'A cool room of around 18 °C suits most people. If sleep problems last for more than a few weeks, cognitive behavioural therapy for insomnia is the most effective treatment and is available through many health services.',
    source:
      'Source: NHS Every Mind Matters, "How to fall asleep faster and sleep better", https://www.nhs.uk/every-mind-matters/mental-health-issues/sleep/',
    emoji: ['😴', '🌙'],
  },
];

// ---------------------------------------------------------------------------------------------
// Rendering a response from a base answer and a set of style knobs
// ---------------------------------------------------------------------------------------------

export interface Knobs {
  length: 'short' | 'long';
  steps: boolean;
  source: boolean;
  emoji: boolean;
  formal: boolean;
  code: boolean;
}

const CASUAL_OPENERS = [
  'Oh, great question!',
  'Sure thing!',
  'Ooh, I love this one!',
  'Happy to help with this!',
  'Good one!',
];
const CASUAL_CLOSERS = [
  'Hope that helps!',
  "Good luck, you've got this!",
  'Have fun with it!',
  "Let me know how it goes, I'm curious!",
];

/** Everyday speech: contractions and a little slang. Applied to prose only, never to code. */
const CASUAL_REWRITES: [RegExp, string][] = [
  [/\bdo not\b/g, "don't"],
  [/\bDo not\b/g, "Don't"],
  [/\bdoes not\b/g, "doesn't"],
  [/\bis not\b/g, "isn't"],
  [/\bare not\b/g, "aren't"],
  [/\bcannot\b/g, "can't"],
  [/\bwill not\b/g, "won't"],
  [/\bit is\b/g, "it's"],
  [/\bIt is\b/g, "It's"],
  [/\bthat is\b/g, "that's"],
  [/\byou are\b/g, "you're"],
  [/\bYou are\b/g, "You're"],
  [/\byou will\b/g, "you'll"],
  [/\bthere is\b/g, "there's"],
  [/\bThere is\b/g, "There's"],
  [/\bhas not\b/g, "hasn't"],
  [/\bvery\b/g, 'super'],
  [/\bapproximately\b/g, 'roughly'],
  [/\bentirely\b/g, 'totally'],
];

export function casualize(text: string): string {
  return CASUAL_REWRITES.reduce((t, [re, to]) => t.replace(re, to), text);
}

/**
 * One response from a base answer. `pick` chooses among openers and closers so two renderings
 * of the same knobs can differ a little in wording, as real answers do.
 */
export function renderResponse(entry: BankEntry, knobs: Knobs, pick: (n: number) => number = () => 0): string {
  const tone = (s: string) => (knobs.formal ? s : casualize(s));
  const blocks: string[] = [];
  let opener = knobs.formal ? '' : CASUAL_OPENERS[pick(CASUAL_OPENERS.length)]!;
  if (knobs.emoji) opener = opener ? `${opener} ${entry.emoji[0]}` : entry.emoji[0];

  if (knobs.length === 'long') {
    blocks.push(tone(entry.summary));
    if (knobs.steps) blocks.push(entry.points.map(([, long], i) => `${i + 1}. ${tone(long)}`).join('\n'));
    else blocks.push(entry.points.map(([, long]) => tone(long)).join(' '));
    blocks.push(tone(entry.extra));
  } else if (knobs.steps) {
    blocks.push(entry.points.map(([short], i) => `${i + 1}. ${tone(short)}`).join('\n'));
  } else {
    blocks.push(tone(entry.summary));
  }
  // The opener goes on the first line, so a formal reply with emoji starts "🍝 Cook it ...".
  if (opener)
    blocks[0] = knobs.formal || /^\d+\./.test(blocks[0]!) ? `${opener}\n\n${blocks[0]}` : `${opener} ${blocks[0]}`;
  if (knobs.emoji) blocks[blocks.length - 1] += ` ${entry.emoji[1]}`;

  if (knobs.code && entry.code)
    blocks.push(`${tone(entry.code.intro)}\n\n\`\`\`${entry.code.lang}\n${entry.code.body}\n\`\`\``);
  if (knobs.source) blocks.push(entry.source);
  if (!knobs.formal) blocks.push(CASUAL_CLOSERS[pick(CASUAL_CLOSERS.length)]!);
  return blocks.join('\n\n');
}

/** Whether a set of knobs satisfies a trait (the knob-level twin of TRAIT_DETECTORS). */
const TRAIT_DETECTORS_KNOB: Record<Trait, (k: Knobs) => boolean> = {
  concise: (k) => k.length === 'short',
  steps: (k) => k.steps,
  sources: (k) => k.source,
  'no-emoji': (k) => !k.emoji,
  formal: (k) => k.formal,
  code: (k) => k.code,
};

function satisfy(k: Knobs, t: Trait): void {
  if (t === 'concise') k.length = 'short';
  else if (t === 'steps') k.steps = true;
  else if (t === 'sources') k.source = true;
  else if (t === 'no-emoji') k.emoji = false;
  else if (t === 'formal') k.formal = true;
  else k.code = true;
}

function violate(k: Knobs, t: Trait): void {
  if (t === 'concise') k.length = 'long';
  else if (t === 'steps') k.steps = false;
  else if (t === 'sources') k.source = false;
  else if (t === 'no-emoji') k.emoji = true;
  else if (t === 'formal') k.formal = false;
  else k.code = false;
}

// ---------------------------------------------------------------------------------------------
// Hints: now and then a real user says what they want in the question itself. These phrases
// are the only place a trait is ever written down; the memory baseline and the bootstrap's
// hypotheses can pick them up, as they would on real data.
// ---------------------------------------------------------------------------------------------

export const HINTS: Record<Trait, readonly string[]> = {
  concise: ['Keep it short, please.', 'Just the short version, please.', 'A brief answer is fine.'],
  steps: ['Could you lay it out step by step?', 'Numbered steps would help.'],
  sources: ['Please include a source.', 'Where does that come from? A reference would help.'],
  'no-emoji': ['No emojis, please.'],
  formal: ['Please keep the answer formal.'],
  code: ['A code example would help.', 'Could you show it in code?'],
};

// ---------------------------------------------------------------------------------------------
// Users and their pairs
// ---------------------------------------------------------------------------------------------

/** A native JSONL record, as the project's readers expect it. */
export interface SimulatedRecord {
  user_id: string;
  pair_id: string;
  context: { role: 'user'; content: string }[];
  chosen: string;
  rejected: string;
  demographics?: Record<string, unknown>;
  meta: {
    /** The hidden trait that decides this pair. */
    trait: Trait;
    topic: Topic;
    question: string;
    /** Set when the question itself states a preference (see HINTS). */
    hint?: Trait;
  };
}

export interface SimulatedUser {
  id: string;
  /** The hidden traits: the answer key, never written into the records (except as rare hints). */
  traits: Trait[];
  records: SimulatedRecord[];
}

export interface GenerateUserOptions {
  id: string;
  traits: Trait[];
  pairs: number;
  seed: number;
  /**
   * Share of pairs (for users without the `concise` trait) in which the generic judge's
   * favourite (the longer answer) is the REJECTED one. Default 0.5: a coin flip for those users
   * (a concise user's choices always go against the generic judge).
   */
  againstPrior?: number;
  /** Share of questions that state one of the user's preferences outright (HINTS). Default 0.1. */
  hintRate?: number;
  /** Optional survey fields, written on every record (as the PRISM importer does). */
  demographics?: Record<string, unknown>;
}

/** How often a style the user does not care about still differs between the two responses. */
const NUISANCE_DIFFERENCE = 0.05;

export function generateUser(options: GenerateUserOptions): SimulatedUser {
  const { id, traits, pairs, seed } = options;
  if (!traits.length) throw new Error('a simulated user needs at least one trait');
  const againstPrior = options.againstPrior ?? 0.5;
  const hintRate = options.hintRate ?? 0.1;
  const rng = createRng(`simulated-user:${seed}:${id}`);
  const pick = (n: number) => randomInt(rng, n);
  const has = (t: Trait) => traits.includes(t);

  // A user who wants code only asks questions where code makes sense.
  const eligible = QUESTION_BANK.filter((e) => !has('code') || e.code);
  let queue: BankEntry[] = [];
  // Deciding traits in a balanced, shuffled order, so a two-trait user shows both about equally.
  let schedule: Trait[] = [];

  const records: SimulatedRecord[] = [];
  for (let i = 0; i < pairs; i++) {
    if (!queue.length) queue = shuffled(eligible, rng);
    if (!schedule.length) schedule = shuffled(traits, rng);
    const entry = queue.shift()!;
    const deciding = schedule.shift()!;

    // Styles the user does not care about: random, and usually the same in both responses.
    const base: Knobs = {
      length: rng() < 0.5 ? 'short' : 'long',
      steps: rng() < 0.5,
      source: rng() < 0.4,
      // A formal user's answers never carry emoji: the two would read as contradictory.
      emoji: !has('formal') && rng() < 0.35,
      formal: rng() < 0.5,
      code: entry.code !== undefined && rng() < 0.4,
    };
    const chosen: Knobs = { ...base };
    for (const t of traits) satisfy(chosen, t);
    const rejected: Knobs = { ...chosen };
    violate(rejected, deciding);
    for (const t of ['steps', 'sources', 'no-emoji', 'formal', 'code'] as const) {
      if (has(t) || rng() >= NUISANCE_DIFFERENCE) continue;
      if (t === 'code' && !entry.code) continue;
      if (t === 'no-emoji' && has('formal')) continue;
      if (TRAIT_DETECTORS_KNOB[t](rejected)) violate(rejected, t);
      else satisfy(rejected, t);
    }

    // Length is the generic judge's strongest cue. A concise user's choice always goes against
    // it; for other users, the rejected answer is the longer one in `againstPrior` of the pairs.
    if (has('concise')) {
      chosen.length = 'short';
      rejected.length = deciding === 'concise' ? 'long' : 'short';
    } else {
      const against = rng() < againstPrior;
      chosen.length = against ? 'short' : 'long';
      rejected.length = against ? 'long' : 'short';
    }

    let question = entry.question;
    let hint: Trait | undefined;
    if (rng() < hintRate) {
      hint = traits[pick(traits.length)]!;
      const phrases = HINTS[hint];
      question += ' ' + phrases[pick(phrases.length)]!;
    }

    const chosenText = renderResponse(entry, chosen, pick);
    let rejectedText = renderResponse(entry, rejected, pick);
    // Conciseness is relative: a terse prose summary can be shorter than a short numbered list.
    // A concise user's chosen reply must never be the clearly longer one, so such a rejected
    // reply becomes the detailed version (it then violates conciseness as well).
    if (has('concise') && traitPreference('concise', chosenText, rejectedText) < 0) {
      rejected.length = 'long';
      rejectedText = renderResponse(entry, rejected, pick);
    }

    const record: SimulatedRecord = {
      user_id: id,
      pair_id: `${id}-${String(i + 1).padStart(3, '0')}`,
      context: [{ role: 'user', content: question }],
      chosen: chosenText,
      rejected: rejectedText,
      meta: { trait: deciding, topic: entry.topic, question: entry.id, ...(hint ? { hint } : {}) },
    };
    if (options.demographics) record.demographics = options.demographics;
    records.push(record);
  }
  return { id, traits: [...traits], records };
}

export function userJsonl(user: SimulatedUser): string {
  return user.records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** Writes `<dir>/<id>.prefs.jsonl` (a name the workspace globs pick up) and returns its path. */
export function writeUserFile(dir: string, user: SimulatedUser): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${user.id}.prefs.jsonl`);
  writeFileSync(path, userJsonl(user));
  return path;
}

/**
 * A ready-made panel: six users with single and double traits, 24-28 pairs each. Two carry
 * survey demographics: one whose stated preference reveals the trait, one whose does not.
 */
export function simulatedPanel(seed: number): SimulatedUser[] {
  return [
    generateUser({ id: 'sim-ana', traits: ['concise'], pairs: 24, seed }),
    generateUser({ id: 'sim-ben', traits: ['steps'], pairs: 24, seed }),
    generateUser({ id: 'sim-chloe', traits: ['sources', 'no-emoji'], pairs: 28, seed }),
    generateUser({
      id: 'sim-dev',
      traits: ['code'],
      pairs: 24,
      seed,
      demographics: {
        age: '25-34',
        gender: 'male',
        employment_status: 'working full-time',
        location: 'India',
        self_description: 'I build web backends for a logistics company.',
      },
    }),
    generateUser({
      id: 'sim-elena',
      traits: ['formal'],
      pairs: 24,
      seed,
      demographics: {
        age: '55-64',
        gender: 'female',
        employment_status: 'retired',
        location: 'Spain',
        stated_preferences: 'I expect a formal, professional tone from an assistant.',
      },
    }),
    generateUser({ id: 'sim-farid', traits: ['concise', 'steps'], pairs: 26, seed }),
  ];
}

/**
 * The panel plus more users with the same tastes, one or two traits each, for checks that need many users:
 * a claim about users in general is tested over users, and fewer than 6 of them can never reach p < 0.05.
 */
export function largerPanel(seed: number, users: number): SimulatedUser[] {
  const out = simulatedPanel(seed);
  for (let i = 0; out.length < users; i++) {
    const one = TRAITS[i % TRAITS.length]!;
    const two = TRAITS[(i + 2) % TRAITS.length]!;
    const traits: Trait[] = i % 2 ? [one] : [one, two];
    out.push(generateUser({ id: `sim-extra-${String(i).padStart(2, '0')}`, traits, pairs: 20, seed: seed * 100 + i }));
  }
  return out;
}
