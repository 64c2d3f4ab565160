#!/usr/bin/env bash
# Packaging check (run by .ci/run after `npm run build`): `npm pack` the
# project, install the tarball into a scratch CommonJS project and a scratch
# ESM project, and load `tspostgres`, `tspostgres/reactor`,
# `tspostgres/reactor/testing`, `tspostgres/core` and `tspostgres/testing` from both. The ESM entry points must export every name
# the CommonJS ones do. Installs use the npm cache first (--prefer-offline).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
{ [ -f dist/src/index.js ] && [ -f dist/esm/index.mjs ]; } || npm run build

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tsp-pack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TARBALL="$WORK/$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
echo "check-pack: packed $(basename "$TARBALL") ($(du -k "$TARBALL" | cut -f1) kB)"

# scratch <dir> <type>: a project of that module type with the tarball installed.
scratch() {
  mkdir -p "$1"
  printf '{ "name": "scratch-%s", "version": "1.0.0", "private": true, "type": "%s" }\n' "$2" "$2" > "$1/package.json"
  (cd "$1" && npm install --silent --no-audit --no-fund --prefer-offline "$TARBALL" >/dev/null)
}

scratch "$WORK/cjs" commonjs
cat > "$WORK/cjs/check.js" <<'JS'
const entries = ['tspostgres', 'tspostgres/reactor', 'tspostgres/reactor/testing', 'tspostgres/core', 'tspostgres/testing'];
const names = {};
for (const e of entries) names[e] = Object.keys(require(e)).filter((n) => n !== '__esModule').sort();
console.log(JSON.stringify(names));
JS

scratch "$WORK/esm" module
cat > "$WORK/esm/check.js" <<'JS'
const entries = ['tspostgres', 'tspostgres/reactor', 'tspostgres/reactor/testing', 'tspostgres/core', 'tspostgres/testing'];
const names = {};
for (const e of entries) names[e] = Object.keys(await import(e)).filter((n) => n !== 'default').sort();
console.log(JSON.stringify(names));
JS

CJS=$(cd "$WORK/cjs" && node check.js)
ESM=$(cd "$WORK/esm" && node check.js)
node -e '
  const [cjs, esm] = process.argv.slice(1).map((s) => JSON.parse(s));
  let ok = true;
  for (const [entry, names] of Object.entries(cjs)) {
    const missing = names.filter((n) => !esm[entry].includes(n));
    if (missing.length) { ok = false; console.error(`check-pack: ESM ${entry} lacks ${missing.join(", ")}`); }
    console.log(`check-pack: ${entry}: ${names.length} exports, loaded from CommonJS and ESM`);
  }
  process.exit(ok ? 0 : 1);
' "$CJS" "$ESM"
# tspostgres/testing in use, from both module systems: a Connection (tspostgres)
# on a VirtualReactor (tspostgres/reactor) against a FakeServer, so the three
# entries share one module instance (a Deferred from one is a Deferred to the other).
SMOKE='
  const reactor = new VirtualReactor();
  const server = new FakeServer(reactor);
  server.answer("SELECT 1 AS n", { fields: [{ name: "n", type: "int4" }], rows: [["1"]] });
  const conn = new Connection({ reactor, env: {} });
  await settle(reactor, conn.connect(server.dsn));
  const rows = await resultOf(reactor, conn.runQuery("SELECT 1 AS n"));
  conn.close();
  if (rows.length !== 1 || rows[0].n !== 1) throw new Error(`unexpected rows ${JSON.stringify(rows)}`);
'
cat > "$WORK/cjs/smoke.js" <<JS
const { Connection } = require('tspostgres');
const { VirtualReactor } = require('tspostgres/reactor');
const { FakeServer, resultOf, settle } = require('tspostgres/testing');
(async () => { $SMOKE })().then(() => console.log('check-pack: tspostgres/testing drives a Connection on a VirtualReactor (CommonJS)'), (e) => { console.error(e); process.exit(1); });
JS
cat > "$WORK/esm/smoke.js" <<JS
import { Connection } from 'tspostgres';
import { VirtualReactor } from 'tspostgres/reactor';
import { FakeServer, resultOf, settle } from 'tspostgres/testing';
$SMOKE
console.log('check-pack: tspostgres/testing drives a Connection on a VirtualReactor (ESM)');
JS
(cd "$WORK/cjs" && node smoke.js)
(cd "$WORK/esm" && node smoke.js)
echo "check-pack: OK"
