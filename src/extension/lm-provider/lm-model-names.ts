// How a VS Code language model is named in settings and runs: `vendor/id` (ids alone may repeat across vendors), and
// what it is: its vendor, id, family and version, recorded in each run's header as Ollama's digest is. Pure: unit-tested.

export interface LmModelFacts {
  vendor: string;
  id: string;
  family: string;
  version: string;
}

export function lmModelName(m: Pick<LmModelFacts, 'vendor' | 'id'>): string {
  return `${m.vendor}/${m.id}`;
}

/** The selector of a model named `vendor/id` (the id may hold slashes itself); a bare name is taken as an id. */
export function lmSelectorOf(name: string): { vendor?: string; id: string } {
  const slash = name.indexOf('/');
  return slash > 0 ? { vendor: name.slice(0, slash), id: name.slice(slash + 1) } : { id: name };
}

/** The identity a run header records (RunHeader.modelDigest): a new version of the same family is another model. */
export function lmIdentity(m: LmModelFacts): string {
  return `vendor ${m.vendor}, id ${m.id}, family ${m.family}, version ${m.version}`;
}
