#!/usr/bin/env node
// The `wsbench` executable. main.ts only exports `main`, so tests and programs can import it without running it.
import { main } from './main.js';

// Exit explicitly: a result is complete once main returns, and a stray handle must not keep a CI job alive.
main(process.argv.slice(2)).then((code) => process.exit(code));
