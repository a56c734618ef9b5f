#!/usr/bin/env node
// gilsim's launcher: plain JavaScript, so `npx gilsim` and `npm start` work with no build step.
// It registers tsx (TypeScript on the fly), then hands over to the command in src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { cli } = await import('../src/cli/main.ts');
await cli();
