/**
 * Every error class of tspostgres: library errors (`base.ts`), server errors
 * and notices (`database.ts`), and one DatabaseError subclass per SQLSTATE
 * with the lookup that picks it (`sqlstate.generated.ts`).
 */

export * from './base';
export * from './database';
export * from './sqlstate.generated';
