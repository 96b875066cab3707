// What VS Code's Re-validate Persona leaves in the persona file: the validation figures just measured, and
// `edited: true` once an earlier version differs (the text was changed by hand since the fit). Written
// through savePersona, the one writer of persona files, which keeps the version it replaces in history.
// The CLI does not ask for it: a CLI user re-validating finds the persona file as they left it.

import { savePersona } from '../method/persona-file';
import { personaHistoryDir } from '../workspace/layout';
import type { RevalidateResult, RevalidationPlan } from './revalidate';

/**
 * Records a complete persona re-validation's figures in the persona file; undefined (nothing written)
 * when calls failed, when nothing was judged, or for a target that is not a persona file.
 */
export async function saveValidationFigures(
  plan: RevalidationPlan,
  result: RevalidateResult,
): Promise<{ path: string; kept?: string } | undefined> {
  const now = result.figures.current;
  const user = plan.groups[0]?.users[0];
  const persona = user && plan.personas.get(user.id);
  if (plan.kind !== 'persona' || !plan.current.path || !persona || !now?.pairs || !result.complete) return undefined;
  const { model } = persona;
  const correct = Math.round(now.accuracy * now.samples);
  const saved = await savePersona(
    plan.current.path,
    {
      ...model,
      provenance: {
        ...model.provenance,
        edited: plan.previous !== undefined || model.provenance.edited === true,
        validation: { accuracy: now.accuracy, correct, evaluated: now.samples, of: now.samples },
      },
    },
    personaHistoryDir(plan.inputs.ws.layout, user.id),
  );
  return { path: plan.current.path, ...(saved.previous ? { kept: saved.previous } : {}) };
}
