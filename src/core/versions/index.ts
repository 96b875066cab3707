// The door of src/core/versions: the version store, a leaf below method. Every versioned file (personas,
// prompts, Θ) keeps its earlier texts in a history folder, each with a record of where it came from.
// The faces reach versions through the folders that own them (method, eval's version history); this door
// says what the store offers.

export { type VersionOrigin, VERSION_ORIGINS, type VersionRecord, readVersionRecord } from './version-record';
export { keepVersion, listVersions, type Version, versionName } from './version-store';
