import { App, type AppProps } from 'aws-cdk-lib';
import { scratchDir } from './scratch-dir';

/**
 * A CDK app whose cloud assembly goes to a scratch directory, removed after the test file. An app without `outdir` (and
 * `new Stack()`, which makes one) creates a `cdk.out*` under the OS temp dir as it is constructed, and CDK removes it
 * only on `process.on('exit')`, which never fires inside jest's sandbox: every such app stayed in the temp dir, with
 * its copies of the function bundles.
 */
export function scratchApp(props: Omit<AppProps, 'outdir'> = {}): App {
  return new App({ ...props, outdir: scratchDir('jit-test-cdk-out-') });
}
