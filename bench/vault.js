// `ticketvault <command>` on the dist/ that bench/run.js built when it started: bin/ticketvault.js
// rebuilds whenever src/ is newer, and an edit made during a run must change neither the code
// under measurement nor a cold start's timing.
import { runCli } from '../dist/cli/main.js';

const code = await runCli(process.argv);
if (code !== 0) process.exitCode = code;
