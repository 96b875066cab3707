// The Persona Inspector: a webview view in the side bar showing the selected user's persona,
// provenance, demonstrations, figures and history, with Fit / Re-validate / Edit / Compare.

import * as vscode from 'vscode';
import { CommandIds } from '../command-ids';
import type { Ctx } from '../ctx';
import { folderArg, type Folder } from '../folders';
import { readPersonaOf } from '../persona-of';
import type { HostToInspector, InspectorToHost, NearestUsersView } from '../protocol';
import { nearestUsersView } from './nearest-users';
import { openAt } from './open-at';
import { pairAt, showPair } from './pair-panel';
import { personaView } from './persona-data';
import type { HostedView } from './webview-host';

/** What each button of the page runs, on the user it names, in the folder the inspector shows. */
const ACTION_COMMANDS = {
  fit: CommandIds.fitUser,
  revalidate: CommandIds.revalidatePersona,
  edit: CommandIds.openPersona,
  compare: CommandIds.comparePersonaVersions,
  history: CommandIds.showHistory,
} as const;

export class PersonaInspector {
  private readonly view: HostedView<'inspector'>;
  private userId: string | undefined;
  private folder: Folder | undefined;
  /** The nearest users last found, for the user and folder they were found in (shown until another is shown). */
  private nearest: { folder: Folder; view: NearestUsersView } | undefined;

  constructor(private readonly ctx: Ctx) {
    this.view = ctx.webviews.view('inspector');
    this.view.handle((m) => this.receive(m));
    ctx.register(this.view.onVisible(() => void this.refresh()));
    ctx.register(ctx.folders.onDidChange(() => void this.refresh()));
    ctx.register(ctx.runs.onDidChange((n) => this.view.post({ type: 'busy', busy: n > 0 })));
  }

  async show(userId: string, folder: Folder): Promise<void> {
    this.userId = userId;
    this.folder = folder;
    await this.view.reveal();
    await this.refresh();
  }

  get current(): string | undefined {
    return this.userId;
  }

  async refresh(): Promise<void> {
    // A view never shown has no page; it asks for its data with `ready` when it is.
    if (!this.view.resolved) return;
    this.view.show(await this.message());
  }

  private async message(): Promise<HostToInspector> {
    const userId = this.userId;
    if (!userId || !this.folder)
      return { type: 'show', userId: null, persona: null, message: 'Select a user in the Users view.' };
    const found = this.nearest;
    const nearest =
      found && found.folder === this.folder && found.view.userId === userId ? { nearest: found.view } : {};
    try {
      const persona = await personaView(this.folder, userId);
      return {
        type: 'show',
        userId,
        persona,
        ...(persona ? {} : { message: `${userId} has no persona yet.` }),
        ...nearest,
      };
    } catch (err) {
      const message = `The persona file cannot be read: ${(err as Error).message}`;
      return { type: 'show', userId, persona: null, message, ...nearest };
    }
  }

  /** The page asked for the shown user's nearest users: found by the engine, then shown with the rest. */
  private async findNearest(userId: string): Promise<void> {
    const folder = this.folder;
    if (!folder || userId !== this.userId) return;
    const view = await nearestUsersView(folder, userId);
    if (view.message) this.ctx.log.info('inspector', `nearest users of ${userId}: ${view.message}`);
    this.nearest = { folder, view };
    await this.refresh();
  }

  /** A demonstration opened in the pair view: the user's demonstrations are the list to move through. */
  private async openPairView(folder: Folder, file: string, line: number): Promise<void> {
    const pair = await pairAt(folder, file, line);
    if (!pair) return openAt(folder, file, line);
    const found = this.userId ? await readPersonaOf(folder, this.userId).catch(() => undefined) : undefined;
    const keys = found ? found.model.demos.map((d) => ({ user: found.model.userId, pairId: d.pairId })) : [];
    await showPair(
      this.ctx,
      {
        folder,
        key: { user: pair.userId, pairId: pair.pairId },
        ...(keys.length ? { list: { name: 'demonstrations', keys } } : {}),
      },
      keys.length ? 'list' : 'file',
    );
  }

  private async receive(msg: InspectorToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        return this.refresh();
      case 'action':
        // The webview names the user; the folder is the one the inspector shows.
        await vscode.commands.executeCommand(ACTION_COMMANDS[msg.action], {
          userId: msg.userId,
          ...(this.folder ? { folder: this.folder.uri.toString() } : {}),
        });
        return;
      case 'openPair':
        if (this.folder) await openAt(this.folder, msg.file, msg.line);
        return;
      case 'openPairView':
        if (this.folder) await this.openPairView(this.folder, msg.file, msg.line);
        return;
      case 'nearest':
        return this.findNearest(msg.userId);
    }
  }
}

/** The folder to inspect a user in: the one named, else the one that has the user (a pick when several do). */
async function folderOfUser(ctx: Ctx, arg: unknown, userId: string): Promise<Folder | undefined> {
  if (folderArg(arg) !== undefined) return ctx.folders.choose(arg, 'Inspect persona');
  const having: { folder: Folder; pairs: number }[] = [];
  for (const f of ctx.folders.all()) {
    const user = (await f.files.get()).user(userId);
    if (user) having.push({ folder: f, pairs: user.pairs.length });
  }
  if (having.length <= 1) return having[0]?.folder ?? ctx.folders.first();
  const pick = await vscode.window.showQuickPick(
    having.map(({ folder: f, pairs }) => ({
      label: userId,
      description: `${f.name} · ${pairs} pairs${f.files.hasPersona(userId) ? ' · persona' : ''}`,
      folder: f,
    })),
    { title: 'Inspect persona', placeHolder: `"${userId}" is in several folders: which one?` },
  );
  return pick?.folder;
}

/** The inspector's view, and its command: a user id (or {userId, folder}) shown in the side bar. */
export function registerPersonaInspector(ctx: Ctx): PersonaInspector {
  const inspector = new PersonaInspector(ctx);
  ctx.command(CommandIds.inspectPersona, async (arg) => {
    const given = typeof arg === 'string' ? arg : (arg as { userId?: unknown } | undefined)?.userId;
    if (typeof given !== 'string' || !given) return undefined;
    const folder = await folderOfUser(ctx, arg, given);
    if (!folder) return undefined;
    await inspector.show(given, folder);
    ctx.log.info('inspector', `showing ${given}`);
    return given;
  });
  return inspector;
}
