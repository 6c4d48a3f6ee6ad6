#!/usr/bin/env node
// The heap tuning must run before the CLI's modules load (loading alone grows V8's young generation).
import { tuneHeap } from '../dist/lib/heap.js';

tuneHeap();
await import('../dist/cli/main.js');
