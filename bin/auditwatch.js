#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { main } from '../dist/src/cli.js';
import { exitWhenDone } from '../dist/src/exit.js';

exitWhenDone(main(process.argv));
