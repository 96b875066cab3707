// The `synthesizeme` executable: only starts the CLI, so that tests and the benchmark can
// import runCli without running it.

import { main } from './main';

void main();
