#!/usr/bin/env node
// The `jit-access` command (package.json "bin"): runs the TypeScript CLI of this checkout through tsx.
require('tsx/cjs/api').register();
require('./jit-access-cli.ts');
