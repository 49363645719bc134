import { Migration20261121000000_init } from './Migration20261121000000_init';

/** Every migration, in order. Listed here so the same code runs from TypeScript and from dist/. */
export const migrationsList = [{ name: 'Migration20261121000000_init', class: Migration20261121000000_init }];
