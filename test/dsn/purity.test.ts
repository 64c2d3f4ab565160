import * as fs from 'node:fs';
import * as path from 'node:path';

const DIR = path.join(__dirname, '../../src/dsn');

describe('src/dsn purity', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.ts'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s imports no node builtins and touches no process, timers or randomness', (file) => {
    const text = fs.readFileSync(path.join(DIR, file), 'utf8');
    expect(text).not.toMatch(/from ['"](node:|fs|os|path|child_process)/);
    expect(text).not.toMatch(/\brequire\(/);
    expect(text).not.toMatch(/\bprocess\.|\bsetTimeout\b|\bsetImmediate\b|Date\.now|Math\.random/);
  });
});
