#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled to dist/bundle/ by `npm run build`.
import { main } from '../dist/bundle/main.js';

const code = await main(process.argv.slice(2));
// Exit explicitly once stdout is flushed: keep-alive sockets of health checks must not hold the process.
process.stdout.write('', () => process.exit(code));
