import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from './build';

/** npm run schema:emit — writes schema.graphql at the repository root. */
const target = path.resolve(__dirname, '../../../schema.graphql');
fs.writeFileSync(target, printAppSchema());
console.log(`wrote ${target}`);
