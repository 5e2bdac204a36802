import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('wsbench CLI usage errors', () => {
  it.each([
    [['run', '--connections', 'many'], /Expected --connections to be a positive integer, e\.g\. 1000; got "many" \(string\)/],
    [['run', '--rate', '0'], /Expected --rate to be a positive number/],
    [['run', '--size', '12 parsecs'], /Expected --size to be a size in bytes/],
    [['run', '--size', '4'], /Expected --size to be at least 8 bytes/],
    [['run', '--duration', '10'], /Expected --duration to be a duration with a unit/],
    [['run', '--duration', '2s', '--warmup', '5s'], /Expected --warmup \(5000 ms\) to be shorter than --duration \(2000 ms\)/],
    [['run', '--conections', '10'], /unknown option --conections.*wsbench run --help/s],
    [['run', '--target', 'nginx'], /Unknown target "nginx".*Known targets: gobwas, node/],
    [['run', '--target', 'gobwas:model=threads'], /knob model to be one of goroutine \| epoll; got "threads"/],
    [['run', '--target', 'gobwas', '--url', 'ws://127.0.0.1:1/'], /either --target .* or --url/],
    [['run', '--url', 'http://127.0.0.1:1/'], /Expected --url to be a WebSocket URL/],
    [['fly'], /Unknown command "fly"/],
  ])('wsbench %j exits 2 and names the problem', async (args, message) => {
    const result = await runCli(args);
    expect(result.stderr).toMatch(message);
    expect(result.exitCode).toBe(2);
  });

  it('prints usage for --help and exits 0', async () => {
    const result = await runCli(['run', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Usage: wsbench run/);
  });
});
