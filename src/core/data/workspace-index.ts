// The workspace index: users -> pairs across files, updated one file at a time so that an edit
// in the editor re-splits only the users that file touches (a pair's split follows its id, splits.ts).

import type { Pair, Problem } from './pair';
import type { FileParse } from './parse-result';
import {
  DEFAULT_SPLIT_OPTIONS,
  emptySplitNotes,
  HASH_BASIS,
  splitUserOn,
  type SplitBasis,
  type SplitOptions,
  type UserSplit,
} from './splits';

export interface UserEntry {
  id: string;
  pairs: Pair[];
  split: UserSplit;
  /** Problems that belong to the user rather than a file: duplicates across files, too small to split. */
  problems: Problem[];
}

export class PreferenceIndex {
  private readonly files = new Map<string, FileParse>();
  /** user -> file -> that file's pairs of the user */
  private readonly byUser = new Map<string, Map<string, Pair[]>>();
  private readonly entries = new Map<string, UserEntry>();
  private readonly dirty = new Set<string>();

  constructor(
    private splitOptions: SplitOptions = DEFAULT_SPLIT_OPTIONS,
    private splitBasis: SplitBasis = HASH_BASIS,
  ) {}

  setSplitOptions(options: SplitOptions): void {
    this.splitOptions = options;
    for (const u of this.byUser.keys()) this.dirty.add(u);
  }

  /** The rule for pairs without an explicit split (split-record.ts decides it per workspace). */
  setSplitBasis(basis: SplitBasis): void {
    this.splitBasis = basis;
    for (const u of this.byUser.keys()) this.dirty.add(u);
  }

  get basis(): SplitBasis {
    return this.splitBasis;
  }

  get options(): SplitOptions {
    return this.splitOptions;
  }

  /** Replace everything known about one file. */
  setFile(parse: FileParse): void {
    this.removeFile(parse.file);
    this.files.set(parse.file, parse);
    const mine = new Map<string, Pair[]>();
    for (const p of parse.pairs) {
      let list = mine.get(p.userId);
      if (!list) mine.set(p.userId, (list = []));
      list.push(p);
    }
    for (const [user, pairs] of mine) {
      let files = this.byUser.get(user);
      if (!files) this.byUser.set(user, (files = new Map()));
      files.set(parse.file, pairs);
      this.dirty.add(user);
    }
  }

  removeFile(file: string): void {
    const old = this.files.get(file);
    if (!old) return;
    this.files.delete(file);
    for (const p of old.pairs) {
      const files = this.byUser.get(p.userId);
      if (!files) continue;
      files.delete(file);
      this.dirty.add(p.userId);
      if (files.size === 0) this.byUser.delete(p.userId);
    }
  }

  fileNames(): string[] {
    return [...this.files.keys()].sort();
  }

  file(file: string): FileParse | undefined {
    return this.files.get(file);
  }

  private refresh(): void {
    for (const user of this.dirty) {
      const files = this.byUser.get(user);
      if (!files) {
        this.entries.delete(user);
        continue;
      }
      const pairs: Pair[] = [];
      const problems: Problem[] = [];
      const seen = new Map<string, Pair>();
      // Files in name order, pairs in file order: the same workspace always gives the same list.
      for (const name of [...files.keys()].sort()) {
        for (const p of files.get(name)!) {
          const first = seen.get(p.pairId);
          if (first) {
            problems.push({
              file: p.source.file,
              line: p.source.line,
              column: p.source.column,
              message:
                `duplicate pair_id "${p.pairId}" for user "${user}" ` +
                `(first in ${first.source.file}:${first.source.line}); this record is ignored`,
              severity: 'error',
            });
            continue;
          }
          seen.set(p.pairId, p);
          pairs.push(p);
        }
      }
      const split = splitUserOn(this.splitBasis, user, pairs, this.splitOptions);
      // A split left empty is said, not filled by moving pairs: a pair's split never depends on the others.
      for (const message of pairs[0] ? emptySplitNotes(split, this.splitOptions) : []) {
        problems.push({
          file: pairs[0]!.source.file,
          line: pairs[0]!.source.line,
          column: pairs[0]!.source.column,
          message,
          severity: 'warning',
        });
      }
      if (split.tooSmall && pairs[0]) {
        problems.push({
          file: pairs[0].source.file,
          line: pairs[0].source.line,
          column: pairs[0].source.column,
          message:
            `user "${user}" has ${pairs.length} pair${pairs.length === 1 ? '' : 's'}, ` +
            `fewer than ${this.splitOptions.minPairs}: too small to split (explicit splits are kept)`,
          severity: 'warning',
        });
      }
      this.entries.set(user, { id: user, pairs, split, problems });
    }
    this.dirty.clear();
  }

  users(): UserEntry[] {
    this.refresh();
    return [...this.entries.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  user(id: string): UserEntry | undefined {
    this.refresh();
    return this.entries.get(id);
  }

  /** Every problem: each file's, then each user's; sorted by file, line, column. */
  problems(): Problem[] {
    this.refresh();
    const all: Problem[] = [];
    for (const f of this.files.values()) all.push(...f.problems);
    for (const u of this.entries.values()) all.push(...u.problems);
    return all.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  }

  pairCount(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.pairs.length;
    return n;
  }
}
