import { parseBenchArgs } from '../../bench/lib/args';

describe('bench command line', () => {
  it('takes --compare FILE and --against FILE, separate or with =, resolved against the cwd', () => {
    expect(parseBenchArgs([], '/r')).toEqual({});
    expect(parseBenchArgs(['--compare', 'bench/results/a.json'], '/r')).toEqual({ compare: '/r/bench/results/a.json' });
    expect(parseBenchArgs(['--compare=/x/a.json', '--against', 'b.json'], '/r')).toEqual({ compare: '/x/a.json', against: '/r/b.json' });
  });

  it('refuses unknown arguments, a flag without its file, and --against alone', () => {
    expect(() => parseBenchArgs(['--compar', 'a.json'])).toThrow(/unknown argument --compar/);
    expect(() => parseBenchArgs(['--compare'])).toThrow(/--compare needs a file/);
    expect(() => parseBenchArgs(['--compare', '--against', 'b.json'])).toThrow(/--compare needs a file/);
    expect(() => parseBenchArgs(['--against', 'b.json'])).toThrow(/--against needs --compare/);
  });
});
