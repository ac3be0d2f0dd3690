import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { generatedDocs, staleDocs, writeDocs } from '../../scripts/gen-docs.js';
import { PARAM_DEFS, REPO_ROOT, NETWORK_SPEC, SERVER_SPEC, ENV_OVERRIDES } from '../../src/config/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'ssw-docs-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('committed docs are what the generator writes (gen-docs --check)', () => {
  assert.deepEqual(staleDocs(REPO_ROOT), [], 'run: npm run docs');
});

test('the check notices a doc that drifted, and writing fixes it', () => {
  cpSync(join(REPO_ROOT, 'docs'), join(tmp, 'docs'), { recursive: true });
  assert.deepEqual(staleDocs(tmp), []);
  const p = join(tmp, 'docs', 'parameters.md');
  writeFileSync(p, readFileSync(p, 'utf8').replace('| `SS_SIP_SESSION_TTL` | int | `600` |', '| `SS_SIP_SESSION_TTL` | int | `900` |'));
  assert.deepEqual(staleDocs(tmp), ['docs/parameters.md']);
  rmSync(join(tmp, 'docs', 'configuration.md'));
  assert.deepEqual(staleDocs(tmp), ['docs/parameters.md', 'docs/configuration.md']);
  writeDocs(tmp);
  assert.deepEqual(staleDocs(tmp), []);
});

test('every parameter and every field appears in the generated docs', () => {
  const [params, config] = generatedDocs().map((d) => d.text);
  for (const d of PARAM_DEFS) assert.ok(params!.includes(`| \`${d.name}\``), d.name);
  assert.ok(params!.includes('| `SS_MAX_CALL_DURATION` | int | `None` | 1-2592000 or None | s | used |'));
  assert.ok(params!.includes('| `SS_MEDIA_PROXY_MODE` | enum | `Auto` | `Auto`, `On`, `Off`, `Must On` |'));
  for (const f of SERVER_SPEC.fields) assert.ok(config!.includes(`| \`${f.key}\` |`), f.key);
  for (const f of NETWORK_SPEC.fields) assert.ok(config!.includes(`| \`${f.key}\` |`), f.key);
  assert.ok(config!.includes('| `routingGateways[].timeouts.sessionProgressSdp` | integer 0-3600 s | `0` |'));
  for (const o of ENV_OVERRIDES) assert.ok(config!.includes(`| \`${o.name}\` |`), o.name);
});
