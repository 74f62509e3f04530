import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROUTE_NAMES } from '../../lambdas/handlers/api/contract';
import { synthesizeApp } from '../helpers/app-synth';

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

describe('the OpenAPI document the CDK app writes', () => {
  test('lies beside the template and is valid OpenAPI (openapi-spec-validator)', () => {
    // Act
    const synth = synthesizeApp();
    const file = path.join(synth.outdir, 'JitAccess.openapi.json');
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
    expect(existsSync(path.join(synth.outdir, 'JitAccess.template.json'))).toBe(true);
    expect(validation.error).toBeUndefined();
    expect(validation.stderr).toBe('');
    expect(validation.status).toBe(0);
    const document = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.values(document.paths).flatMap((p) => Object.keys(p))).toHaveLength(ROUTE_NAMES.length);
  });
});
