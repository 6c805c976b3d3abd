#!/usr/bin/env node
// The `sluice` executable: process concerns only (argv, exit status). Everything else is in daemon/cli.
import { processIo, runCli } from './cli/index.js';

// exitCode rather than process.exit(): let stdout drain (a piped `sluice schema` must not be cut short).
process.exitCode = await runCli(process.argv.slice(2), processIo());
