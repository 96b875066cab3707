// Each user's persona as the report's runs used it: every version a run judged with (a run header records
// the persona's hash, and where the file was), found as the file is now, in the user's history, or at the
// path the run recorded (a benchmark's personas/<model>/), with its demonstrations and its record (who made
// it, when). A version no longer anywhere is listed by its hash as not found; nothing here fails the report.

import { basename, relative, resolve } from 'node:path';
import { findPersonaFile, parsePersona, type PersonaModel, readPersonaText } from '../method/persona-file';
import { PERSONA_AT } from '../eval/evaluate';
import type { RunHeader } from '../eval/run-file';
import { personaHistoryDir, type WorkspaceLayout } from '../workspace/layout';
import { listVersions } from '../versions/version-store';
import { readVersionRecord } from '../versions/version-record';
import { unlessRefused } from '../read-guard';
import { textHash } from '../text-hash';
import type { ReportDemo, ReportPair, ReportPersonaVersion, ReportUserPersonas } from './report-model';

const PERSONA = 'persona:';
const PERSONA_VERSION = '.persona.yaml';

/** A text a version may be: where it lies, its name in the report, whether it is the file as it is now. */
interface Found {
  path: string;
  text: string;
  name: string;
  current: boolean;
  /** A history version's record: who made it, when. */
  origin?: string;
  created?: string;
}

export type PairLookup = (user: string, pairId: string) => ReportPair | undefined;

/** The users whose persona a run judged with, each with its versions (the runs' order), then the current file. */
export async function userPersonas(
  layout: WorkspaceLayout,
  headers: readonly RunHeader[],
  pairOf: PairLookup,
): Promise<ReportUserPersonas[]> {
  const used = new Map<string, Map<string, number[]>>();
  const recorded = new Map<string, Set<string>>();
  headers.forEach((h, run) => {
    for (const [key, value] of Object.entries(h.inputs ?? {})) {
      if (key.startsWith(PERSONA)) {
        const user = key.slice(PERSONA.length);
        const byHash = used.get(user) ?? new Map<string, number[]>();
        byHash.set(value, [...(byHash.get(value) ?? []), run]);
        used.set(user, byHash);
      } else if (key.startsWith(PERSONA_AT)) {
        const user = key.slice(PERSONA_AT.length);
        recorded.set(user, (recorded.get(user) ?? new Set()).add(resolve(layout.runsDir, value)));
      }
    }
  });
  const out: ReportUserPersonas[] = [];
  for (const user of [...used.keys()].sort()) {
    const found = await candidates(layout, user, recorded.get(user) ?? new Set());
    out.push({ user, versions: versionsOf(user, used.get(user)!, found, pairOf) });
  }
  return out;
}

/** Every text the user's persona is known by: the current file, the history, the files the runs recorded. */
async function candidates(layout: WorkspaceLayout, user: string, recorded: ReadonlySet<string>): Promise<Found[]> {
  const found: Found[] = [];
  const current = await findPersonaFile(layout.personaDir, user).catch(() => undefined);
  const text = current ? await unlessRefused(readPersonaText(current)).catch(() => undefined) : undefined;
  if (current && text !== undefined) found.push({ path: current, text, name: 'current', current: true });
  for (const v of await listVersions(personaHistoryDir(layout, user), PERSONA_VERSION).catch(() => [])) {
    const record = await readVersionRecord(v.path);
    found.push({
      path: v.path,
      text: v.text,
      name: basename(v.path),
      current: false,
      ...(record ? { origin: record.origin, created: record.created } : {}),
    });
  }
  for (const path of recorded) {
    if (found.some((f) => f.path === path)) continue;
    const t = await unlessRefused(readPersonaText(path)).catch(() => undefined);
    if (t !== undefined) found.push({ path, text: t, name: relative(layout.root, path), current: false });
  }
  return found;
}

function versionsOf(
  user: string,
  byHash: ReadonlyMap<string, number[]>,
  found: readonly Found[],
  pairOf: PairLookup,
): ReportPersonaVersion[] {
  const hashed = found.map((f) => ({ ...f, hash: textHash(f.text) }));
  const out: ReportPersonaVersion[] = [];
  for (const [hash, runs] of byHash) {
    const f = hashed.find((x) => x.hash === hash);
    out.push(f ? version(user, f, hash, runs, pairOf) : { hash, name: 'not found', current: false, runs, demos: [] });
  }
  const now = hashed.find((f) => f.current);
  if (now && !byHash.has(now.hash)) out.push(version(user, now, now.hash, [], pairOf));
  return out;
}

function version(user: string, f: Found, hash: string, runs: number[], pairOf: PairLookup): ReportPersonaVersion {
  let model: PersonaModel | undefined;
  try {
    model = parsePersona(f.text, f.name);
  } catch {
    model = undefined;
  }
  const demos: ReportDemo[] = (model?.demos ?? []).map((d) => {
    const pair = pairOf(user, d.pairId);
    return {
      pairId: d.pairId,
      order: d.order,
      preference: d.preference,
      reasoning: d.reasoning,
      ...(pair ? { pair } : {}),
    };
  });
  return {
    hash,
    name: f.name,
    current: f.current,
    runs,
    // A file that does not parse is still shown, as the text it is.
    persona: model ? model.persona : f.text,
    demos,
    ...(f.origin ? { origin: f.origin } : {}),
    ...((f.created ?? model?.provenance.created) ? { created: f.created ?? model?.provenance.created } : {}),
    ...(model?.provenance.validation ? { validation: model.provenance.validation.accuracy } : {}),
  };
}
