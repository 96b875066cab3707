// The Testing panel: each user with a persona file, in each workspace folder, is a test item (its uri the persona
// file) with two children, "re-validate persona" and "evaluate persona+demos". Running one runs the engine's job
// (test-jobs.ts) and ends it by the statistics (test-outcome.ts); its message links to the grid of its runs.
// Continuous runs re-run a user's items when their persona file changes. The items follow the folders' index.

import * as vscode from 'vscode';
import { CommandIds } from '../command-ids';
import type { Ctx } from '../ctx';
import type { Folder } from '../folders';
import { wasCancelled } from '../run-progress';
import { findPersonaFile } from '../../core/method';
import { UserError } from '../../core/user-error';
import { runTestJob, TEST_JOBS, type TestJob } from './test-jobs';
import type { TestOutcome } from './test-outcome';

/** Only in the extension's Test mode: runs items through the run profile's own handler and reads what they ended as. */
export interface TestingTestApi {
  controller: vscode.TestController;
  /** Runs these items (ids; all when none) through the run handler; resolves when the run has ended. */
  run(ids?: readonly string[]): Promise<void>;
  /** What an item last ended as. */
  outcome(id: string): TestOutcome | undefined;
}

/** Each leaf item's job, user and folder. */
interface Leaf {
  job: TestJob;
  userId: string;
  folder: Folder;
}

export function registerTesting(ctx: Ctx): TestingTestApi {
  const controller = ctx.register(vscode.tests.createTestController('synthesizeme', 'SynthesizeMe'));
  const leaves = new WeakMap<vscode.TestItem, Leaf>();
  const outcomes = new Map<string, TestOutcome>();
  // Syncs overlap (every index change starts one): only the latest started may replace the items, so that an
  // older one finishing last never puts back what a newer one saw gone, nor drops what it saw come.
  let generation = 0;
  const syncNow = () => {
    const mine = ++generation;
    return syncItems(ctx, controller, leaves, () => generation === mine);
  };
  const sync = () => void syncNow().catch((err) => ctx.log.error('testing', err as Error));
  ctx.register(ctx.folders.onDidChange(sync));
  controller.refreshHandler = () => syncNow();
  sync();

  let queue = Promise.resolve();
  const runOnce = (request: vscode.TestRunRequest, token: vscode.CancellationToken) => {
    // One run at a time: a continuous run's re-run waits for the run in flight.
    const next = queue.then(() => runItems(ctx, controller, request, token, leaves, outcomes));
    queue = next.catch(() => undefined);
    return next;
  };
  const profile = controller.createRunProfile(
    'Run',
    vscode.TestRunProfileKind.Run,
    (request, token) =>
      request.continuous ? watchPersonas(controller, request, token, runOnce) : runOnce(request, token),
    true,
    undefined,
    true,
  );
  return {
    controller,
    run: async (ids) => {
      // An item asked for before the folders' watchers have seen its files (just written): index and sync again
      // until it is there, for as long as a watcher takes under load (15 s), then call it missing.
      for (const end = Date.now() + 15_000; ids?.some((id) => !findItem(controller, id)) && Date.now() < end;) {
        await Promise.all(ctx.folders.all().map((f) => f.files.get()));
        await syncNow();
        if (ids.some((id) => !findItem(controller, id))) await new Promise((r) => setTimeout(r, 200));
      }
      const items = ids?.map((id) => findItem(controller, id) ?? missing(id));
      const source = new vscode.CancellationTokenSource();
      return Promise.resolve(
        profile.runHandler(new vscode.TestRunRequest(items, undefined, profile), source.token),
      ).finally(() => source.dispose());
    },
    outcome: (id) => outcomes.get(id),
  };
}

function missing(id: string): never {
  throw new UserError(`no test item ${id}`);
}

function findItem(controller: vscode.TestController, id: string): vscode.TestItem | undefined {
  for (const [, user] of controller.items) {
    if (user.id === id) return user;
    const child = user.children.get(id);
    if (child) return child;
  }
  return undefined;
}

/** The items: one per user with a persona file per folder; their children made once, kept while the user stays. */
async function syncItems(
  ctx: Ctx,
  controller: vscode.TestController,
  leaves: WeakMap<vscode.TestItem, Leaf>,
  latest: () => boolean,
): Promise<void> {
  const wanted: vscode.TestItem[] = [];
  const several = ctx.folders.all().length > 1;
  for (const folder of ctx.folders.all()) {
    const index = folder.files.current();
    if (!index) {
      // Being indexed again (a settings change reloads it): its items stay until the index says otherwise.
      const prefix = `${folder.uri.toString()}#`;
      for (const [id, item] of controller.items) if (id.startsWith(prefix)) wanted.push(item);
      continue;
    }
    const personaDir = (await folder.files.layout()).personaDir;
    for (const u of index.users()) {
      if (!folder.files.hasPersona(u.id)) continue;
      const path = await findPersonaFile(personaDir, u.id);
      if (!path) continue;
      const id = `${folder.uri.toString()}#${u.id}`;
      const uri = vscode.Uri.file(path);
      let item = controller.items.get(id);
      if (item?.uri?.fsPath !== uri.fsPath) item = controller.createTestItem(id, u.id, uri);
      if (several) item.description = folder.name;
      for (const job of Object.keys(TEST_JOBS) as TestJob[]) {
        if (item.children.get(`${id}/${job}`)) continue;
        const child = controller.createTestItem(`${id}/${job}`, TEST_JOBS[job], uri);
        leaves.set(child, { job, userId: u.id, folder });
        item.children.add(child);
      }
      wanted.push(item);
    }
  }
  if (latest()) controller.items.replace(wanted);
}

/** The leaves a request runs: its items (or all), users expanded to their children, minus its exclusions. */
function leavesOf(controller: vscode.TestController, request: vscode.TestRunRequest): vscode.TestItem[] {
  const excluded = new Set((request.exclude ?? []).map((t) => t.id));
  const roots = request.include ?? [...controller.items].map(([, item]) => item);
  const out: vscode.TestItem[] = [];
  for (const item of roots) {
    if (excluded.has(item.id)) continue;
    const children = [...item.children].map(([, c]) => c);
    for (const leaf of children.length ? children : [item]) if (!excluded.has(leaf.id)) out.push(leaf);
  }
  return out;
}

async function runItems(
  ctx: Ctx,
  controller: vscode.TestController,
  request: vscode.TestRunRequest,
  token: vscode.CancellationToken,
  leaves: WeakMap<vscode.TestItem, Leaf>,
  outcomes: Map<string, TestOutcome>,
): Promise<void> {
  const run = controller.createTestRun(request);
  const items = leavesOf(controller, request);
  items.forEach((t) => run.enqueued(t));
  try {
    for (const item of items) {
      const leaf = leaves.get(item);
      if (!leaf || token.isCancellationRequested) {
        run.skipped(item);
        continue;
      }
      run.started(item);
      const t0 = Date.now();
      const outcome = await runTestJob(ctx, leaf.job, leaf.folder, leaf.userId, token).catch(
        (err: unknown): TestOutcome =>
          wasCancelled(err)
            ? { state: 'skipped', text: 'cancelled', runs: [] }
            : { state: 'errored', text: err instanceof Error ? err.message : String(err), runs: [] },
      );
      outcomes.set(item.id, outcome);
      report(run, item, outcome, Date.now() - t0, leaf.folder);
    }
  } finally {
    run.end();
  }
}

/** The outcome in the run: the sentence in the output (every state) and, for a failure, the message with its link. */
function report(run: vscode.TestRun, item: vscode.TestItem, o: TestOutcome, ms: number, folder: Folder): void {
  run.appendOutput(`${item.parent?.label ?? ''} ${item.label}: ${o.state}: ${o.text}\r\n`, undefined, item);
  if (o.state === 'passed') return run.passed(item, ms);
  if (o.state === 'skipped') return run.skipped(item);
  const message = new vscode.TestMessage(messageText(o, folder));
  if (item.uri) message.location = new vscode.Location(item.uri, new vscode.Position(0, 0));
  if (o.state === 'failed') run.failed(item, message, ms);
  else run.errored(item, message, ms);
}

/** The sentence, and a link that opens the grid of the two runs (or the Verdicts view of one): trusted for that command only. */
function messageText(o: TestOutcome, folder: Folder): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendText(o.text);
  if (o.runs.length >= 2) {
    const args = encodeURIComponent(JSON.stringify([{ runs: o.runs, folder: folder.uri.toString() }]));
    md.appendMarkdown(`\n\n[Open the comparison grid](command:${CommandIds.compareRuns}?${args})`);
    md.isTrusted = { enabledCommands: [CommandIds.compareRuns] };
  } else if (o.runs.length === 1) {
    const args = encodeURIComponent(JSON.stringify([{ run: o.runs[0] }]));
    md.appendMarkdown(`\n\n[Show the verdicts](command:${CommandIds.showVerdicts}?${args})`);
    md.isTrusted = { enabledCommands: [CommandIds.showVerdicts] };
  }
  return md;
}

/** A continuous run: each change of a persona file re-runs its user's items (of those the request names) until cancelled. */
function watchPersonas(
  controller: vscode.TestController,
  request: vscode.TestRunRequest,
  token: vscode.CancellationToken,
  runOnce: (r: vscode.TestRunRequest, t: vscode.CancellationToken) => Promise<void>,
): Promise<void> {
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.persona.yaml');
  const onChange = (uri: vscode.Uri) => {
    // History versions are persona files too, but no item's: only the users' own files count.
    const users = leavesOf(controller, request)
      .map((leaf) => leaf.parent ?? leaf)
      .filter((u, i, all) => u.uri?.fsPath === uri.fsPath && all.indexOf(u) === i);
    if (users.length) void runOnce(new vscode.TestRunRequest(users, request.exclude, request.profile), token);
  };
  const subs = [watcher, watcher.onDidChange(onChange), watcher.onDidCreate(onChange)];
  return new Promise((resolve) =>
    token.onCancellationRequested(() => {
      subs.forEach((s) => s.dispose());
      resolve();
    }),
  );
}
