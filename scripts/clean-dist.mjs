#!/usr/bin/env node
// Removes dist/ before a build, so that a deleted source (or test) cannot keep running from a
// stale compiled .js.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
