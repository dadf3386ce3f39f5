// Runs the CLI from source, so tests never depend on a stale build.
import { main } from '../../src/cli.js';
import { exitWhenDone } from '../../src/exit.js';

exitWhenDone(main(process.argv));
