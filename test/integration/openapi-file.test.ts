import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROUTE_NAMES } from '../../lambdas/handlers/api/contract';

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

describe('the OpenAPI document the CDK app writes', () => {
  test('lies beside the template and is valid OpenAPI (openapi-spec-validator)', () => {
    // Prepare
    const outdir = mkdtempSync(path.join(tmpdir(), 'jit-openapi-'));
    const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: object };

    // Act
    const synth = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/jit-access.ts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify(cdkJson.context),
        },
      },
    );
    const file = path.join(outdir, 'JitAccess.openapi.json');
    const validation = spawnSync(
      PYTHON,
      [
        '-c',
        'import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))',
        file,
      ],
      { encoding: 'utf8' },
    );

    // Assess
    expect(synth.status).toBe(0);
    expect(existsSync(path.join(outdir, 'JitAccess.template.json'))).toBe(true);
    expect(validation.error).toBeUndefined();
    expect(validation.stderr).toBe('');
    expect(validation.status).toBe(0);
    const document = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.values(document.paths).flatMap((p) => Object.keys(p))).toHaveLength(ROUTE_NAMES.length);
  });
});
