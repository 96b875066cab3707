// The door of src/core/collect: what the CLI and the extension may use of it.

export { checkAppendable } from './append-pair';
export { collectLogPath } from './collect-log';
export { DEFAULT_SYSTEM, type ResponseSource } from './generate';
export { pairKey } from './item-key';
export { type Answer, type Asker, collect, type CollectSummary, type Item, type Pick, type Shown } from './session';
export { collectStatus, type CollectStatus } from './status';
