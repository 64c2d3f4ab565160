import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DatabaseError,
  databaseErrorFrom,
  sqlstateClassOf,
  SQLSTATE,
  CONDITION_NAMES,
  QueryCanceled,
  OperatorIntervention,
  UniqueViolation,
  IntegrityConstraintViolation,
  SerializationFailure,
  DeadlockDetected,
  TransactionRollback,
  ConnectionException,
  AdminShutdown,
  StringDataRightTruncation,
  WarningStringDataRightTruncation,
  Warning,
  DataException,
  SqlSyntaxError,
  SyntaxErrorOrAccessRuleViolation,
  SqlProtocolViolation,
  ProtocolViolation,
  ModifyingSqlDataNotPermitted,
  ExternalRoutineExceptionModifyingSqlDataNotPermitted,
  SqlRoutineException,
  ExternalRoutineException,
} from '../../src/errors';

const gen = require('../../scripts/gen-sqlstate.js') as {
  parse(text: string): Array<{ sqlstate: string; condition: string }>;
};

const ERRCODES = '/usr/share/postgresql/15/errcodes.txt';

function raw(code: string, extra: Record<string, string> = {}): Record<string, string> {
  return { S: 'ERROR', V: 'ERROR', C: code, M: `failure ${code}`, ...extra };
}

describe('databaseErrorFrom', () => {
  it.each([
    ['57014', QueryCanceled, OperatorIntervention],
    ['23505', UniqueViolation, IntegrityConstraintViolation],
    ['40001', SerializationFailure, TransactionRollback],
    ['40P01', DeadlockDetected, TransactionRollback],
    ['57P01', AdminShutdown, OperatorIntervention],
    ['22001', StringDataRightTruncation, DataException],
  ])('maps SQLSTATE %s to its own class, which extends its SQLSTATE class and DatabaseError', (code, Cls, Parent) => {
    const err = databaseErrorFrom(raw(code));
    expect(err).toBeInstanceOf(Cls);
    expect(err).toBeInstanceOf(Parent);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.sqlstate).toBe(code);
    expect(err.name).toBe(Cls.name);
  });

  it('falls back to the SQLSTATE class when the exact code is unknown', () => {
    const err = databaseErrorFrom(raw('08ZZZ'));
    expect(err.constructor).toBe(ConnectionException);
    expect(err.code).toBe('08ZZZ');
  });

  it('falls back to DatabaseError when the SQLSTATE class is unknown too', () => {
    const err = databaseErrorFrom(raw('QQ123'));
    expect(err.constructor).toBe(DatabaseError);
    expect(err.code).toBe('QQ123');
    expect(err.sqlstateClass).toBe('QQ');
  });

  it('treats a response without a SQLSTATE as XX000 internal_error', () => {
    const err = databaseErrorFrom({ S: 'ERROR', M: 'no code' });
    expect(err.code).toBe('XX000');
    expect(err.constructor.name).toBe('InternalError');
  });

  it('sets every ErrorResponse field under its documented name', () => {
    const err = databaseErrorFrom(
      {
        S: 'ERREUR', V: 'ERROR', C: '23505', M: 'duplicate key', D: 'Key (id)=(1) already exists.',
        H: 'a hint', P: '15', p: '3', q: 'SELECT inner', W: 'PL/pgSQL function f()', s: 'public',
        t: 'users', c: 'id', d: 'int4', n: 'users_pkey', F: 'nbtinsert.c', L: '664', R: '_bt_check_unique',
      },
      { query: 'INSERT INTO users VALUES ($1)' },
    );
    expect({ ...err, message: err.message }).toEqual({
      code: '23505', sqlstate: '23505', name: 'UniqueViolation', message: 'duplicate key',
      severity: 'ERREUR', severityNonLocalized: 'ERROR', detail: 'Key (id)=(1) already exists.',
      hint: 'a hint', position: '15', internalPosition: '3', internalQuery: 'SELECT inner',
      where: 'PL/pgSQL function f()', schema: 'public', table: 'users', column: 'id', dataType: 'int4',
      constraint: 'users_pkey', file: 'nbtinsert.c', line: '664', routine: '_bt_check_unique',
      query: 'INSERT INTO users VALUES ($1)',
    });
  });

  it('chains a cause when given one', () => {
    const cause = new Error('underlying');
    expect(databaseErrorFrom(raw('42601'), { cause }).cause).toBe(cause);
  });
});

describe('sqlstateClassOf', () => {
  it('returns the exact class, then the SQLSTATE class, then DatabaseError', () => {
    expect(sqlstateClassOf('42601')).toBe(SqlSyntaxError);
    expect(sqlstateClassOf('42999')).toBe(SyntaxErrorOrAccessRuleViolation);
    expect(sqlstateClassOf('ZZ999')).toBe(DatabaseError);
  });

  it('exposes the SQLSTATE of each class as a static field', () => {
    expect(UniqueViolation.sqlstate).toBe('23505');
    expect(IntegrityConstraintViolation.sqlstate).toBe('23000');
  });
});

describe('generated names', () => {
  it('gives the warning-class duplicate a class-name prefix and the error its plain name', () => {
    expect(StringDataRightTruncation.sqlstate).toBe('22001');
    expect(WarningStringDataRightTruncation.sqlstate).toBe('01004');
    expect(new WarningStringDataRightTruncation({ sqlstate: '01004' })).toBeInstanceOf(Warning);
    expect(ModifyingSqlDataNotPermitted.sqlstate).toBe('2F002');
    expect(new ModifyingSqlDataNotPermitted({})).toBeInstanceOf(SqlRoutineException);
    expect(ExternalRoutineExceptionModifyingSqlDataNotPermitted.sqlstate).toBe('38002');
    expect(new ExternalRoutineExceptionModifyingSqlDataNotPermitted({})).toBeInstanceOf(ExternalRoutineException);
  });

  it('prefixes names that would shadow a JavaScript global or a library error with Sql', () => {
    expect(SqlSyntaxError.sqlstate).toBe('42601');
    expect(SqlProtocolViolation.sqlstate).toBe('08P01');
    expect(new SqlProtocolViolation({})).not.toBeInstanceOf(ProtocolViolation);
  });

  it('maps every generated class name to its SQLSTATE and every SQLSTATE to its condition name', () => {
    expect(SQLSTATE.QueryCanceled).toBe('57014');
    expect(SQLSTATE.DeadlockDetected).toBe('40P01');
    expect(CONDITION_NAMES['40P01']).toBe('deadlock_detected');
    const codes = Object.values(SQLSTATE);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, code] of Object.entries(SQLSTATE)) expect(sqlstateClassOf(code).name).toBe(name);
  });

  it('covers every condition listed in errcodes.txt', () => {
    const entries = gen.parse(fs.readFileSync(ERRCODES, 'utf8'));
    expect(entries.length).toBe(Object.keys(SQLSTATE).length);
    for (const e of entries) expect(CONDITION_NAMES[e.sqlstate]).toBe(e.condition);
  });

  it('is reproduced byte for byte by re-running the generator', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sqlstate-')), 'out.ts');
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    execFileSync(process.execPath, [path.join(__dirname, '../../scripts/gen-sqlstate.js'), ERRCODES, out]);
    const committed = fs.readFileSync(path.join(__dirname, '../../src/errors/sqlstate.generated.ts'), 'utf8');
    expect(fs.readFileSync(out, 'utf8')).toBe(committed);
  });
});
