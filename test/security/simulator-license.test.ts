import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SIMULATOR = '@cloud-copilot/iam-simulate';

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(relative);
    return /\.(ts|js|cjs|mjs)$/.test(entry.name) ? [relative] : [];
  });
}

const importers = (dirs: readonly string[]) =>
  dirs.flatMap(sourceFiles).filter((file) => readFileSync(path.join(ROOT, file), 'utf8').includes(SIMULATOR));

describe('the IAM policy simulator (AGPL-3.0) stays out of what ships', () => {
  test('it is installed, so the IAM matrices cannot pass by being skipped', () => {
    // Act
    const resolved = require.resolve(SIMULATOR, { paths: [ROOT] });

    // Assess
    expect(resolved).toContain(path.join('node_modules', '@cloud-copilot', 'iam-simulate'));
  });

  test('it is a devDependency, never a dependency', () => {
    // Prepare
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };

    // Act
    const where = {
      dependency: SIMULATOR in manifest.dependencies,
      devDependency: SIMULATOR in manifest.devDependencies,
    };

    // Assess
    expect(where).toEqual({ dependency: false, devDependency: true });
  });

  test('no function, construct or CLI source imports it: nothing AGPL enters a bundle or the stack', () => {
    // Act
    const shipped = importers(['lambdas', 'lib', 'bin']);

    // Assess
    expect(shipped).toEqual([]);
  });

  test('among the scripts only the simulator wrapper imports it, and the demo reaches it through that wrapper', () => {
    // Act
    const scripts = importers(['scripts']);

    // Assess
    expect(scripts).toEqual([path.join('scripts', 'local-aws', 'iam-simulator.ts')]);
  });
});
