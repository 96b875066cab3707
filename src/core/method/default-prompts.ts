// The default prompts, written in this project's own words. They are copied into the
// workspace's prompt folder on first use, where a researcher can read, edit and re-validate
// them; the engine then always reads the workspace copy (and records its hash).

export type PromptName = 'judge' | 'bootstrap' | 'persona-synthesis' | 'memory' | 'personalizable' | 'rubric';

export const DEFAULT_PROMPTS: Record<PromptName, string> = {
  judge: `You act as a personal reward model for one specific user.

You will be shown a conversation between this user and an AI assistant, then two candidate
replies for the assistant's next turn, labelled A and B. Decide which of the two THIS user would
rather receive. Different people want different things: length, structure, tone, evidence,
formality, code, warmth. Use everything you are told about the user below; when you know
nothing about them, judge as a thoughtful typical user would.

Think briefly about what matters to this user and how each reply serves it, then answer.
Do not favour a reply because of its position. Always pick A or B; never call it a tie.`,

  bootstrap: `You are studying the preferences of one specific user of an AI assistant.

You will be shown a conversation between this user and the assistant, then two candidate replies
for the assistant's next turn, labelled A and B. The user picked one of them.

First, reason about what this user might value, judging from the conversation: form two or three
hypotheses about them (what they ask for, how they write, what they are likely to care about in
a reply: length, structure, tone, sources, examples, code, emotional register). Then compare the
two replies against those hypotheses, say concretely how they differ, and predict which one the
user picked.`,

  'persona-synthesis': `You write a persona for one specific user of an AI assistant, from evidence of their choices.

Below are several past situations. In each, the user saw two candidate replies (A and B), and
you are told which one they actually preferred, together with an analysis of the choice.

Work out what these choices have in common. Look past the topics to the qualities the user keeps
rewarding or penalising: length and density, structure (lists, steps, headings), tone and
formality, warmth, humour, emoji, evidence and sources, hedging, examples, code, directness.
Separate consistent preferences from one-off accidents, and prefer specific, testable statements
("wants answers under five sentences", "dislikes emoji") to vague ones ("likes good answers").

Then write the persona: a short paragraph on who this user seems to be, followed by a list of
their preferences about responses, most important first. Write it in the third person, so that
another model reading it can predict which reply this user would prefer in a new situation. Do
not mention the examples themselves.`,

  memory: `You maintain a memory about one user of an AI assistant, like an assistant's long-term memory feature.

Below are past conversations of this user. Extract durable facts about them that would help
personalise future answers: who they are, what they work on, their circumstances, interests,
stated preferences and dislikes. Only record what the conversations support; do not guess.
Write each fact as one short sentence.`,

  personalizable: `You decide whether a question and its two candidate answers leave room for personal preference.

A pair is personalizable when reasonable, well-informed people could disagree about which answer
is better: because of taste in length, tone, structure or style, because the question invites
opinions or values, or because the best answer depends on who is asking. It is not
personalizable when one answer is plainly better for nearly everyone: it is correct where the
other is wrong, it answers where the other refuses without reason, or it is clearly more
complete and accurate.

Give a one-sentence reason, then your label.`,

  // The `rubric` and `rubric+persona` methods: persona-guided scoring, after the description of P-GenRM's
  // prompt-only variant (issue 24), in this project's own words.
  rubric: `You act as a personal reward model for one specific user, and you show your work as a scoring rubric.

Below are some of this user's past choices: in each, they saw two candidate replies (A and B) and
you are told which one they preferred. Then comes a new conversation with two candidate replies,
A and B, for the assistant's next turn.

Work in four steps.
1. The user. Unless a description of this user is given below, describe them in a few sentences:
   who they seem to be and what they reward or penalise in replies (length, structure, tone,
   evidence, examples, code, warmth), judging from their past choices. When a description is
   given, take it as it is.
2. The criteria. Write three to six criteria that would decide which reply THIS user prefers in
   the new conversation, each with a weight saying how much it matters to them (a non-negative
   number; weights are compared with each other, they need not add up to anything).
3. The scores. Score each reply on each criterion from 1 (fails it completely) to 10 (could not
   do better), in the order of the criteria. Score each reply on its own merits: its position
   says nothing about its quality.
4. The decision is not yours to write: the weighted sum of each reply's scores decides. Equal
   sums count as no decision, so make the scores say what you mean.`,
};

/**
 * Where each prompt's output format is fixed by code (the schema), not by the editable text. The fields are
 * described in words, never with placeholders such as "<the persona>": small models copy a placeholder
 * verbatim into the answer (Gemma 3 270M did, through llama-server, and its persona read "<the persona>").
 */
export const OUTPUT_INSTRUCTIONS: Record<PromptName, string> = {
  judge:
    'Reply with a JSON object with two fields: "reasoning", a string holding your brief reasoning in your own words, ' +
    'and "preference", the letter "A" or the letter "B".',
  bootstrap:
    'Reply with a JSON object with two fields: "reasoning", a string holding your hypotheses about the user ' +
    'and your comparison of the replies, and "preference", the letter "A" or the letter "B".',
  'persona-synthesis':
    'Reply with a JSON object with two fields: "reasoning", a string saying what the choices have in common, ' +
    'and "persona", a string holding the full text of the persona you wrote.',
  memory: 'Reply with a JSON object with one field: "facts", a list of strings, one fact about the user in each.',
  personalizable:
    'Reply with a JSON object with two fields: "reason", one sentence, and "personalizable", true or false.',
  rubric:
    'Reply with a JSON object with three fields: "persona", a string describing this user; "criteria", a list of ' +
    'objects, each with "name" (a short phrase) and "weight" (a non-negative number); and "scores", an object with ' +
    'two fields "A" and "B", each a list of whole numbers from 1 to 10, one per criterion in the order of "criteria".',
};

/** `rubric+persona`: the persona is given, so the answer holds only the criteria and the scores. */
export const RUBRIC_GIVEN_PERSONA_OUTPUT =
  'Reply with a JSON object with two fields: "criteria", a list of objects, each with "name" (a short phrase) and ' +
  '"weight" (a non-negative number); and "scores", an object with two fields "A" and "B", each a list of whole ' +
  'numbers from 1 to 10, one per criterion in the order of "criteria".';
